"""Pure rules for transient failures: one ``Backoff`` and three decisions the sender takes.

- [RetryPolicy][enrow_async.RetryPolicy]: whether and when one request is tried again;
- [RetryBudget][enrow_async.RetryBudget]: *whether* a single call may try once more, from
  client-wide tokens (after botocore's retry quota) that every retry spends and every
  success refills a little, so that an outage turns single calls into fast failures
  instead of a retry storm. It never ends a wait: the gate already spaces polls out;
- ``Health``, the gate: *when* anything may be sent. A 429 pauses every request, single
  calls too, until its ``Retry-After`` (or a backoff) has passed. After ``threshold``
  transient failures of reads in a row the API counts as down, and polls go one at a time,
  a probe, each failed probe holding polls back a jittered step of the same ``Backoff``
  longer; the first answer ends it, and every held poll goes at once. So during an outage
  a client polls about once per backoff step, however many waits it serves.

Times and random draws are passed in.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import attrs

from ..errors import EnrowError, TransportError
from .policy import check_range
from .schedule import draw

__all__ = ["Backoff", "Health", "RetryBudget", "RetryPolicy"]


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


@attrs.define
class Health:
    """Failures in a row, and until when requests wait (on the loop's clock)."""

    backoff: Backoff
    threshold: int = 3
    failures: int = 0
    paused: float = 0.0
    """No request at all before this (a 429's pause)."""
    until: float = 0.0
    """No poll before this (the pause, or the outage's next probe)."""
    probing: bool = False

    @property
    def down(self) -> bool:
        return self.failures >= self.threshold

    def wait(self, now: float, *, poll: bool) -> float:
        """Seconds before a request may go at ``now``: a single call waits out a pause; a
        poll also an outage's spacing, or ``inf`` while a probe is out (until an answer).
        A poll told 0 while the API is down is the probe."""
        if not poll:
            return self.paused - now
        if now < self.until:
            return self.until - now
        if self.down:
            if self.probing:
                return math.inf
            self.probing = True
        return 0.0

    def succeeded(self) -> bool:
        """An answer came; returns True when that ended an outage (held polls may go)."""
        ended = self.down or self.probing
        self.failures = 0
        self.probing = False
        return ended

    def failed(self, now: float, rand: float) -> None:
        """A transient failure at ``now``; once the API counts as down, polls wait a
        jittered step that grows with every failed probe."""
        self.failures += 1
        self.probing = False
        if self.down:
            steps = self.failures - self.threshold + 1
            wait = self.backoff.ceiling(steps) * (0.5 + rand / 2)
            self.until = max(self.until, now + wait)

    def pause(self, until: float) -> None:
        """Hold every new request, single calls too, until ``until`` (after a 429)."""
        self.paused = max(self.paused, until)
        self.until = max(self.until, until)
