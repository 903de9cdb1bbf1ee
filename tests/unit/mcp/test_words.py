"""Figures in words: a plan (the library's words, in one sentence), what to do after a
refusal."""

from __future__ import annotations

from enrow_async import Estimate, SpendingRefusedError
from enrow_async.mcp._words import plan_text, refusal_hint


def test_a_plan_says_what_is_sent_reused_and_paid() -> None:
    plan = Estimate("search", 12, 10, 2, (), (), 1, 9, 1, 9.0, 40.0)
    assert plan_text(plan) == (
        "12 row(s), 12 to search: 10 distinct search(es) (2 duplicate(s) sent once); 1"
        " search(es) whose start had no answer are not sent again; 9 search(es) to send in 1"
        " new batch(es), reserving 9 credit(s) up front; misses are refunded when a batch"
        " ends; account balance 40 credit(s)"
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
