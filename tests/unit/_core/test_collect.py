"""A finished batch's results placed by index (inconsistencies named, never dropped) and
the combined progress of many batches."""

from __future__ import annotations

import pytest

from enrow_async import (
    BatchStatus,
    EmailResult,
    EmailVerification,
    Progress,
    Qualification,
)
from enrow_async._core.collect import CombinedProgress, place_results, place_verifications


def _results(indexes: list[int]) -> list[EmailResult]:
    return [EmailResult(i, Qualification.INVALID, custom=f"r{i}") for i in indexes]


def test_results_are_placed_by_their_index() -> None:
    placed, problem = place_results(_results([2, 0, 1]), 3)
    assert sorted(placed) == [0, 1, 2]
    assert placed[2].custom == "r2"
    assert problem == ""


def test_an_index_outside_the_batch_is_named_not_placed() -> None:
    placed, problem = place_results(_results([0, 5, 1]), 2)
    assert sorted(placed) == [0, 1]
    assert problem == "1 result(s) with an index outside 0-1: 5"


def test_a_repeated_index_leaves_a_gap_and_is_named() -> None:
    placed, problem = place_results(_results([0, 0, 2]), 3)
    assert sorted(placed) == [2]  # which of the two is index 0 cannot be known
    assert problem == "index(es) given twice: 0"


def test_verifications_are_placed_by_custom_else_by_address() -> None:
    results = [
        EmailVerification("b@x.com", Qualification.VALID, "u1", custom="1"),
        EmailVerification("A@X.com", Qualification.INVALID, "u2", custom=None),
    ]
    placed, problem = place_verifications(results, ["a@x.com", "b@x.com", "c@x.com"])
    assert placed[0].index == "u2"
    assert placed[1].index == "u1"
    assert 2 not in placed
    assert problem == ""


def _running(batch_id: str, eta: float | None, taken_at: float) -> Progress:
    return Progress(batch_id, BatchStatus.ONGOING, 1, 4, eta=eta, taken_at=taken_at)


def test_the_job_eta_is_the_latest_batch_finish_counted_down() -> None:
    combined = CombinedProgress({"a": 4, "b": 4}, started=0.0, duplicates=3)
    assert combined.update(_running("a", 30.0, 10.0), 10.0).eta is None  # b not seen yet
    job = combined.update(_running("b", 5.0, 20.0), 22.0)
    assert job.eta == pytest.approx(18.0)  # a finishes at 40: 18 s after 22
    assert (job.taken_at, job.requested, job.duplicates) == (22.0, 8, 3)
    assert job.eta_at(30.0) == pytest.approx(10.0)


def test_the_job_eta_is_unknown_while_a_running_batch_has_none() -> None:
    combined = CombinedProgress({"a": 4, "b": 4}, started=0.0)
    combined.update(_running("a", 30.0, 10.0), 10.0)
    assert combined.update(_running("b", None, 12.0), 12.0).eta is None
    done = Progress("b", BatchStatus.COMPLETED, 4, 4, eta=0.0, taken_at=15.0)
    assert combined.update(done, 15.0).eta == pytest.approx(25.0)
