"""Pure retry rules for transient failures, kept apart from polling.

:class:`RetryPolicy` says whether and when one request is tried again; :class:`RetryBudget`
is the client-wide token bucket (after botocore's retry quota) that keeps an outage from
turning into a retry storm: every retry spends tokens, every success refills a little.
"""

from __future__ import annotations

import attrs

from ..errors import (
    EnrowError,
    OutcomeUnknownError,
    RateLimitError,
    ServerError,
    TransportError,
)
from .schedule import Backoff

__all__ = ["RetryBudget", "RetryPolicy"]


@attrs.frozen
class RetryPolicy:
    """Up to ``attempts`` tries per request with jittered exponential ``backoff``.

    Retried: 429 (honouring ``Retry-After``), 5xx, and transport failures (refused or
    dropped connections, truncated bodies, read timeouts). Never retried: 400, 401, 402,
    404, 422, malformed bodies, and a POST whose outcome is unknown.
    """

    attempts: int = 5
    backoff: Backoff = attrs.field(factory=Backoff)
    max_retry_after: float = 60.0

    def __attrs_post_init__(self) -> None:
        if self.attempts < 1:
            raise ValueError(f"RetryPolicy.attempts must be >= 1, got {self.attempts}")

    @staticmethod
    def retryable(error: EnrowError) -> bool:
        if isinstance(error, OutcomeUnknownError):
            return False
        return isinstance(error, RateLimitError | ServerError | TransportError)

    def delay(self, attempt: int, error: EnrowError, rand: float) -> float | None:
        """Seconds to wait before try ``attempt + 1``, or ``None`` to give up."""
        if attempt >= self.attempts or not self.retryable(error):
            return None
        hint = error.retry_after if isinstance(error, RateLimitError) else None
        if hint is not None:
            hint = min(hint, self.max_retry_after)
        return self.backoff.delay(attempt, rand, hint)


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
