"""Figures in words: credits exactly, a plan, progress, what to do after a refusal."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from enrow_async import Estimate, JobProgress, SpendingRefusedError, credits_text
from enrow_async.mcp.words import plan_text, progress_text, refusal_hint


@given(st.integers(0, 10**9), st.sampled_from([0, 0.25, 0.5, 0.75]))
def test_credits_are_counted_exactly(whole: int, part: float) -> None:
    text = credits_text(whole + part)
    assert "e" not in text
    assert float(text) == whole + part


def test_a_plan_says_what_is_sent_reused_and_paid() -> None:
    plan = Estimate("search", 12, 10, 2, (), (), 1, 9, 1, 9.0, 40.0)
    assert plan_text(plan) == (
        "12 search(es) to run, 10 distinct, 2 duplicate(s) sent once, 1 whose start had no"
        " answer (not sent again), 1 batch(es) to start reserving 9 credit(s) (misses are"
        " refunded when a batch ends), balance 40 credit(s)"
    )


def test_progress_says_what_is_left() -> None:
    progress = JobProgress(finished=3, requested=10, batches_done=0, batches=2, eta=12.4)
    assert progress_text(progress, "search") == (
        "3/10 search(es) done, 0/2 batch(es), about 12 s left"
    )


def test_a_refusal_says_what_would_let_the_call_through() -> None:
    def hint(reason: str, limit: float | None = None, *, asked: bool = False) -> str:
        refused = SpendingRefusedError("no", 12, reason)  # type: ignore[arg-type]
        return refusal_hint(refused, 100, limit, asked=asked)

    assert "max_credits=12" in hint("not_confirmed")
    assert "said no" in hint("not_confirmed", asked=True)
    assert "raise this call's max_credits to 12" in hint("cap", 10)
    assert "no argument can raise it" in hint("cap")
    assert "top up" in hint("balance")
