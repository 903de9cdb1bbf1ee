"""A list job's figures in words: credits exactly, shares rounded, the plan of an estimate,
how a run went, its credits and its gaps, as every front-end says them."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from enrow_async import (
    BatchMatch,
    Estimate,
    Gap,
    GapReason,
    ListReport,
    SpendingRefusedError,
    StartedBatch,
    credits_line,
    credits_text,
    gap_lines,
    percent,
    plan_lines,
    report_lines,
)


@pytest.mark.parametrize(
    ("part", "whole", "shown"),
    [
        (16, 24, 67),
        (1, 8, 13),
        (1, 2, 50),
        (0, 7, 0),
        (7, 7, 100),
        (0, 0, 0),
        (199, 200, 99),
        (1, 1000, 1),
        (2, 3, 67),
        (1, 3, 33),
    ],
)
def test_percent_rounds(part: int, whole: int, shown: int) -> None:
    assert percent(part, whole) == shown


@given(
    st.integers(1, 10**6).flatmap(lambda whole: st.tuples(st.integers(0, whole), st.just(whole)))
)
def test_percent_is_the_nearest_whole_share_within_its_bounds(given: tuple[int, int]) -> None:
    part, whole = given
    shown = percent(part, whole)
    assert (shown == 100) == (part == whole)
    assert (shown == 0) == (part == 0)
    if 0 < shown < 99 and shown > 1:
        assert abs(shown - 100 * part / whole) <= 0.5


@given(st.integers(0, 10**9), st.sampled_from([0, 0.25, 0.5, 0.75]))
def test_credits_are_counted_exactly(whole: int, part: float) -> None:
    text = credits_text(whole + part)
    assert "e" not in text
    assert float(text) == whole + part
    assert credits_text(1234567.0) == "1234567"


def test_a_plan_says_what_is_sent_reused_and_paid() -> None:
    kept = BatchMatch(0, "b0", 100, 100)
    edited = BatchMatch(1, "b1", 100, 98)
    plan = Estimate("search", 300, 250, 50, (kept, edited), (), 3, 52, 1, 52.0, 1e6)
    assert plan_lines(plan, 320, resend="--resend-unknown") == [
        "320 row(s), 300 to search: 250 distinct search(es) (50 duplicate(s) sent once)",
        "198 already started in 2 batch(es) (journal): waited for, not paid again",
        "1 started batch(es) hold search(es) no longer in the list (already paid; their"
        " results for those are not written)",
        "3 search(es) whose start had no answer are not sent again (--resend-unknown)",
        "52 search(es) to send in 1 new batch(es), reserving 52 credit(s) up front; misses"
        " are refunded when a batch ends",
        "account balance 1000000 credit(s)",
    ]
    verify = Estimate("address", 4, 4, 0, (), (), 1, 3, 1, 0.75, None)
    assert plan_lines(verify) == [
        "4 row(s), 4 to verify: 4 distinct address(es)",
        "1 address(es) whose start had no answer are not sent again",
        "3 address(es) to send in 1 new batch(es), reserving 0.75 credit(s) up front",
    ]


def _report(*batches: StartedBatch, settled: int) -> ListReport:
    return ListReport(10, 10, 0, 10, batches, 10.0, 4.0, 6.0, settled)


def test_credits_say_what_is_settled_and_what_is_not_yet() -> None:
    both = (StartedBatch("a", 0, "k", credits_used=10.0), StartedBatch("b", 1, "k"))
    assert credits_line(_report(*both[:1], settled=1)) == (
        "credits: 10 reserved, 4 refunded, 6 final"
    )
    assert credits_line(_report(*both[:1], settled=1), refunds=False) == (
        "credits: 10 reserved, 6 final"
    )
    assert credits_line(_report(*both, settled=1)) == (
        "credits: ~10 reserved, 4 refunded so far; 1 batch(es) not settled yet (refunds come"
        " when they end)"
    )
    assert credits_line(_report(*both, settled=0), refunds=False) == (
        "credits: ~10 reserved; 2 batch(es) not settled yet"
    )


def test_a_report_says_what_was_found_duplicates_and_credits() -> None:
    batch = (StartedBatch("a", 0, "k", credits_used=8.0),)
    searched = ListReport(10, 8, 2, 10, batch, 8.0, 3.0, 5.0, 1, saved=2.0)
    assert report_lines(searched, 5, 3, rows=12) == [
        "searched 10 row(s) (8 distinct searches) in 1 batch(es): 5 email(s) found (50%),"
        " 3 not found, 2 row(s) skipped",
        "duplicates: 2 row(s) got the result of an identical search sent once: 2 credit(s) saved",
        "credits: 8 reserved, 3 refunded, 5 final",
    ]
    verified = ListReport(3, 3, 0, 3, batch, 0.75, 0.0, 0.75, 1)
    assert report_lines(verified, 2, 1, noun="address") == [
        "verified 3 address(es) (3 distinct) in 1 batch(es): 2 valid, 1 invalid",
        "credits: 0.75 reserved, 0.75 final",
    ]


def test_the_gaps_say_why_by_cause() -> None:
    gaps = (
        Gap(GapReason.PENDING, (0, 1), "b1"),
        Gap(GapReason.PENDING, (2,), "b2"),
        Gap(GapReason.ERROR, (3,), "b3", "HTTP 500"),
        Gap(GapReason.UNKNOWN, (4,)),
        Gap(GapReason.UNSENT, (5,)),
    )
    refused = SpendingRefusedError("no", 1.0, "balance")
    report = ListReport(6, 6, 0, 0, (), 0.0, 0.0, 0.0, 0, gaps=gaps, stopped_by=refused)
    assert gap_lines(report) == [
        "2 batch(es) still running at the deadline",
        "1 batch(es) came back without every result (HTTP 500)",
        "1 batch(es) may or may not have started (written as 'unknown'; check your Enrow"
        " dashboard)",
        "stopped by no",
    ]
    assert gap_lines(ListReport(1, 1, 0, 1, (), 1.0, 0.0, 1.0, 0)) == []
