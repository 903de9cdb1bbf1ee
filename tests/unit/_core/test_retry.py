"""Pure retry rules: how often and how long to wait, and the client-wide budget.

What is retried at all is the classifier's verdict (tests/unit/_core/test_classify.py)."""

from __future__ import annotations

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from enrow_async import Backoff, RetryBudget, RetryPolicy, ServerError, TransportError


def test_retry_after_is_a_floor_with_one_cap() -> None:
    policy = RetryPolicy(backoff=Backoff(initial=0.2), max_retry_after=5.0)
    assert policy.delay(1, 0.0, 2.0) == 2.0
    assert policy.delay(1, 0.9, 0.01) == pytest.approx(0.9 * 0.2)  # the jitter is larger
    assert policy.delay(1, 0.0, 3600.0) == 5.0
    for bad in (None, 0.0, -1.0, math.nan):
        assert policy.delay(1, 0.5, bad) == pytest.approx(0.1)


@pytest.mark.parametrize("bad", [-1.0, math.inf, math.nan])
def test_a_cap_that_is_no_cap_is_refused(bad: float) -> None:
    with pytest.raises(ValueError, match="max_retry_after"):
        RetryPolicy(max_retry_after=bad)


def test_a_policy_without_a_try_is_refused() -> None:
    with pytest.raises(ValueError, match="attempts must be >= 1, got 0"):
        RetryPolicy(attempts=0)


@pytest.mark.parametrize("field", ["capacity", "retry_cost", "timeout_cost", "refill"])
def test_a_budget_with_a_negative_amount_is_refused(field: str) -> None:
    with pytest.raises(ValueError, match="RetryBudget amounts must be >= 0"):
        RetryBudget(**{field: -1})


@given(
    attempt=st.integers(-3, 10**6),
    rand=st.floats(0.0, 1.0),
    hint=st.none() | st.floats(allow_nan=True, allow_infinity=True),
)
def test_a_delay_is_finite_and_bounded(attempt: int, rand: float, hint: float | None) -> None:
    policy = RetryPolicy()
    delay = policy.delay(attempt, rand, hint)
    assert math.isfinite(delay)
    assert 0.0 <= delay <= max(policy.backoff.cap, policy.max_retry_after)
    if hint is not None and hint > 0:
        assert delay >= min(hint, policy.max_retry_after)


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


# --- retry backoff ------------------------------------------------------------------------


def test_backoff_ceiling_grows_then_stays_at_the_cap() -> None:
    b = Backoff(initial=0.2, factor=2.0, cap=10.0)
    ceilings = [b.ceiling(n) for n in range(1, 40)]
    assert ceilings[:4] == pytest.approx([0.2, 0.4, 0.8, 1.6])
    assert ceilings == sorted(ceilings)
    assert max(ceilings) == 10.0
    assert b.ceiling(10**9) == 10.0  # no overflow
    assert b.ceiling(0) == b.ceiling(-3) == 0.2


def test_backoff_is_full_jitter_under_the_ceiling() -> None:
    b = Backoff()
    assert b.delay(3, 0.0) == 0.0
    assert b.delay(3, 0.5) == pytest.approx(0.5 * b.ceiling(3))
    assert b.delay(3, 0.25) == b.delay(3, 0.25)
    assert b.delay(30, 0.999) < b.cap


@pytest.mark.parametrize(
    ("field", "value"),
    [("initial", 0.0), ("factor", 0.5), ("cap", 0.1)],
)
def test_backoff_rejects_bad_values_naming_the_field(field: str, value: float) -> None:
    with pytest.raises(ValueError, match=f"Backoff.{field} "):
        Backoff(**{field: value})
