"""The cost guard's decisions, for any estimate, server cap, ask-above level and
max_credits argument: nothing over the server's cap or the balance ever runs, and nothing
above ask-above runs unconfirmed."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from enrow_async import EmailSearch, EnrowClient, Estimate
from enrow_async.mcp._guard import Approval, Guard, Verdict, question

JOB = EnrowClient("sk_test", base_url="http://127.0.0.1:9").email.list_job(
    [EmailSearch("Ann Lee", "acme.com")]
)
"""A job to check estimates with (its client is never used: nothing is sent)."""

credits = st.integers(0, 2_000).map(float)


def estimate(to_send: int, balance: float | None) -> Estimate:
    return Estimate(
        noun="search",
        rows=to_send,
        distinct=to_send,
        duplicates=0,
        started=(),
        unused=(),
        uncertain=0,
        to_send=to_send,
        batches=1 if to_send else 0,
        credits=float(to_send),
        balance=balance,
    )


@given(
    to_send=st.integers(0, 2_000),
    balance=st.none() | credits,
    cap=credits,
    ask_above=credits,
    limit=st.none() | credits,
    can_ask=st.booleans(),
)
def test_what_runs_is_within_the_cap_and_the_balance_and_confirmed(
    to_send: int,
    balance: float | None,
    cap: float,
    ask_above: float,
    limit: float | None,
    can_ask: bool,
) -> None:
    guard = Guard(cap, ask_above)
    plan = estimate(to_send, balance)
    said = guard.verdict(JOB, plan, limit, can_ask=can_ask)
    if isinstance(said, str):  # the user is asked
        assert can_ask
        assert guard.needs_confirmation(plan)
        assert plan.credits <= guard.cap(limit)
        said = guard.answered(plan, limit, Approval(approve=True))
        assert said.confirmed_by == "user"
    assert isinstance(said, Verdict)
    assert said.cap <= cap
    if limit is not None:
        assert said.cap <= limit
    if said.refusal is None and to_send:
        assert plan.credits <= said.cap
        assert balance is None or plan.credits <= balance
        if plan.credits > ask_above:
            assert said.confirmed_by in ("user", "max_credits")
            assert said.confirmed_by == "user" or limit is not None


def test_a_refusal_says_why_and_a_question_says_the_price() -> None:
    guard = Guard(10, 0)
    over = guard.verdict(JOB, estimate(11, 100), None, can_ask=True)
    assert isinstance(over, Verdict)
    assert over.refusal is not None
    assert over.refusal.reason == "cap"
    poor = guard.verdict(JOB, estimate(5, 4), None, can_ask=True)
    assert isinstance(poor, Verdict)
    assert poor.refusal is not None
    assert poor.refusal.reason == "balance"
    unasked = guard.verdict(JOB, estimate(5, 100), None, can_ask=False)
    assert isinstance(unasked, Verdict)
    assert unasked.refusal is not None
    assert unasked.refusal.reason == "not_confirmed"
    asked = guard.verdict(JOB, estimate(5, 100), None, can_ask=True)
    assert asked == question(estimate(5, 100))
    assert "Reserve 5 credit(s) now?" in asked
    assert "balance 100" in asked


def test_no_answer_but_an_approving_form_confirms() -> None:
    guard = Guard(10, 0)
    plan = estimate(5, 100)
    for answer in (None, Approval(approve=False), "yes", {"approve": True}):
        verdict = guard.answered(plan, None, answer)
        assert verdict.refusal is not None
        assert verdict.refusal.reason == "not_confirmed"
    assert guard.answered(plan, 7, Approval(approve=True)) == Verdict(7, "user")
