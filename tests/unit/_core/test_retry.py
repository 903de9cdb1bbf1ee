"""Pure retry rules: how often and how long to wait, and the client-wide budget.

What is retried at all is the classifier's verdict (tests/unit/_core/test_classify.py)."""

from __future__ import annotations

import pytest

from enrow_async import RetryBudget, RetryPolicy, ServerError, TransportError
from enrow_async._io.ratelimit import SlidingWindow


def test_attempts_bound_the_tries() -> None:
    policy = RetryPolicy(attempts=3)
    assert policy.delay(1, 0.5) is not None
    assert policy.delay(2, 0.5) is not None
    assert policy.delay(3, 0.5) is None


def test_retry_after_is_honoured_and_capped() -> None:
    policy = RetryPolicy(max_retry_after=5.0)
    assert policy.delay(1, 0.0, 2.0) == 2.0
    assert policy.delay(1, 0.0, 3600.0) == 5.0


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
