"""Pure retry rules for transient failures, kept apart from polling.

[RetryPolicy][enrow_async.RetryPolicy] says whether and when one request is tried again;
[RetryBudget][enrow_async.RetryBudget] is the client-wide token bucket (after botocore's
retry quota) that keeps an outage from turning into a retry storm: every retry spends
tokens, every success refills a little.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import attrs

from ..errors import EnrowError, TransportError
from .policy import check_range
from .schedule import draw

__all__ = ["Backoff", "RetryBudget", "RetryPolicy"]


@attrs.frozen
class Backoff:
    """Delays between retries of one request after transient errors ("full jitter").

    Retry ``attempt`` (1 for the first retry) waits ``rand * ceiling(attempt)``, where the
    ceiling grows as ``initial * factor ** (attempt - 1)`` up to ``cap``. A server's
    ``Retry-After`` is ``RetryPolicy``'s to apply.
    """

    initial: float = 0.2
    factor: float = 2.0
    cap: float = 10.0

    def __attrs_post_init__(self) -> None:
        check_range("Backoff", "initial", self.initial, 1e-6, 1e6)
        check_range("Backoff", "factor", self.factor, 1.0, 100.0)
        check_range("Backoff", "cap", self.cap, self.initial, 1e6)

    def ceiling(self, attempt: int) -> float:
        """Largest delay of retry ``attempt``: non-decreasing in ``attempt``, at most ``cap``."""
        n = max(0, attempt - 1)
        if self.factor > 1.0 and n >= math.log(self.cap / self.initial, self.factor):
            return self.cap
        return min(self.cap, self.initial * self.factor**n)

    def delay(self, attempt: int, rand: float) -> float:
        """Seconds to wait before retry ``attempt``; ``rand`` in ``[0, 1)`` draws the jitter."""
        return draw(rand) * self.ceiling(attempt)


@attrs.frozen
class RetryPolicy:
    """Up to ``attempts`` tries per request with jittered exponential ``backoff``, waiting
    at least the server's ``Retry-After``, capped at ``max_retry_after`` seconds.

    What is retried at all is the classifier's verdict (``_core.classify``); this says how
    often and how long to wait. A wait's polls are tried again after transient failures
    beyond ``attempts``, for as long as the wait lasts, on the same backoff. ``rand`` draws
    the jitter (floats in [0, 1)); ``None``, the client's own ``random.Random()``. A seam
    for tests: a constant makes every delay exact.
    """

    attempts: int = 5
    backoff: Backoff = attrs.field(factory=Backoff)
    max_retry_after: float = 60.0
    rand: Callable[[], float] | None = attrs.field(default=None, eq=False, repr=False)

    def __attrs_post_init__(self) -> None:
        if self.attempts < 1:
            raise ValueError(f"RetryPolicy.attempts must be >= 1, got {self.attempts}")
        if not 0 <= self.max_retry_after < math.inf:  # also refuses NaN
            raise ValueError(
                f"RetryPolicy.max_retry_after must be finite and >= 0, got {self.max_retry_after}"
            )

    def delay(self, attempt: int, rand: float, hint: float | None = None) -> float:
        """Seconds to wait before try ``attempt + 1``: the backoff's, and at least ``hint``
        (the server's ``Retry-After``, capped at ``max_retry_after``)."""
        delay = self.backoff.delay(attempt, rand)
        if hint is not None and hint > 0:  # False for NaN
            delay = max(delay, min(hint, self.max_retry_after))
        return delay


@attrs.define
class RetryBudget:
    """Client-wide retry tokens: a retry costs ``retry_cost`` (``timeout_cost`` after a
    timeout or dropped connection); a success gives back ``refill`` up to ``capacity``."""

    capacity: int = 500
    retry_cost: int = 5
    timeout_cost: int = 10
    refill: int = 1
    tokens: int = attrs.field(default=-1)

    def __attrs_post_init__(self) -> None:
        if self.capacity < 0 or self.retry_cost < 0 or self.timeout_cost < 0 or self.refill < 0:
            raise ValueError("RetryBudget amounts must be >= 0")
        if self.tokens < 0:
            self.tokens = self.capacity

    def cost(self, error: EnrowError) -> int:
        return self.timeout_cost if isinstance(error, TransportError) else self.retry_cost

    def try_spend(self, error: EnrowError) -> int | None:
        """Take the tokens a retry after ``error`` costs; ``None`` when too few are left."""
        cost = self.cost(error)
        if cost > self.tokens:
            return None
        self.tokens -= cost
        return cost

    def succeeded(self, spent: int) -> None:
        """A request succeeded after spending ``spent`` tokens on its retries."""
        self.tokens = min(self.capacity, self.tokens + (spent or self.refill))
