"""Pure retry rules: what is retried, how long to wait, and the client-wide budget."""

from __future__ import annotations

import pytest

from enrow_async import (
    APIError,
    AuthenticationError,
    BatchNotFoundError,
    InsufficientCreditsError,
    OutcomeUnknownError,
    RateLimitError,
    ResponseError,
    RetryBudget,
    RetryPolicy,
    ServerError,
    TransportError,
)
from enrow_async._io.ratelimit import SlidingWindow


@pytest.mark.parametrize(
    "error",
    [
        RateLimitError("slow down"),
        ServerError("boom", status=503),
        TransportError("reset"),
    ],
)
def test_transient_errors_are_retried(error: Exception) -> None:
    policy = RetryPolicy(attempts=3)
    assert policy.retryable(error)  # type: ignore[arg-type]
    assert policy.delay(1, error, 0.5) is not None  # type: ignore[arg-type]
    assert policy.delay(3, error, 0.5) is None  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "error",
    [
        APIError("bad", status=400),
        AuthenticationError("no", status=401),
        BatchNotFoundError("gone", status=404),
        InsufficientCreditsError("poor", status=422),
        ResponseError("garbage"),
        OutcomeUnknownError("maybe created"),
    ],
)
def test_final_errors_are_never_retried(error: Exception) -> None:
    assert RetryPolicy().delay(1, error, 0.5) is None  # type: ignore[arg-type]


def test_retry_after_is_honoured_and_capped() -> None:
    policy = RetryPolicy(max_retry_after=5.0)
    assert policy.delay(1, RateLimitError("x", retry_after=2.0), 0.0) >= 2.0  # type: ignore[operator]
    assert policy.delay(1, RateLimitError("x", retry_after=3600.0), 0.0) <= 5.0 + 1e-9  # type: ignore[operator]


def test_budget_spends_and_fails_when_empty() -> None:
    budget = RetryBudget(capacity=20, retry_cost=5, timeout_cost=10)
    assert budget.try_spend(ServerError("x", status=500)) == 5
    assert budget.try_spend(TransportError("x")) == 10
    assert budget.tokens == 5
    assert budget.try_spend(TransportError("x")) is None
    assert budget.try_spend(ServerError("x", status=500)) == 5
    assert budget.try_spend(ServerError("x", status=500)) is None
    assert budget.tokens == 0


def test_budget_refills_on_success_up_to_capacity() -> None:
    budget = RetryBudget(capacity=10, retry_cost=5, refill=1)
    budget.try_spend(ServerError("x", status=500))
    budget.succeeded(0)
    assert budget.tokens == 6
    budget.succeeded(5)
    assert budget.tokens == 10
    budget.succeeded(0)
    assert budget.tokens == 10


def test_sliding_window_is_pure_given_times() -> None:
    window = SlidingWindow(limit=3, period=1.0, margin=0.0)
    for t in (0.0, 0.1, 0.2):
        assert window.delay(t) == 0.0
        window.record(t)
    assert window.delay(0.3) == pytest.approx(0.7)
    assert window.delay(1.5) == 0.0
    window.record(1.0)
    assert window.delay(1.0) == pytest.approx(0.1)
