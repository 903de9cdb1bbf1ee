"""Progress models: ``fraction`` and the single-job answer's pollable shape."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from enrow_async.models import BatchStats, BatchStatus, JobProgress, Progress, SingleAnswer


@pytest.mark.parametrize(
    ("status", "finished", "requested", "fraction"),
    [
        (BatchStatus.ONGOING, 0, 10, 0.0),
        (BatchStatus.ONGOING, 5, 10, 0.5),
        (BatchStatus.ONGOING, 12, 10, 1.0),
        (BatchStatus.ONGOING, 0, 0, 0.0),
        (BatchStatus.COMPLETED, 0, 0, 1.0),
    ],
)
def test_progress_fraction(
    status: BatchStatus, finished: int, requested: int, fraction: float
) -> None:
    assert Progress("b", status, finished, requested).fraction == fraction


@pytest.mark.parametrize(("finished", "requested", "fraction"), [(3, 4, 0.75), (0, 0, 1.0)])
def test_job_progress_fraction(finished: int, requested: int, fraction: float) -> None:
    assert JobProgress(finished, requested, 0, 2).fraction == fraction


def test_single_answer_reads_as_zero_or_one_of_one() -> None:
    ongoing: SingleAnswer[str] = SingleAnswer("j", BatchStatus.ONGOING)
    done = SingleAnswer("j", BatchStatus.COMPLETED, "result")
    assert (ongoing.done, ongoing.stats) == (False, BatchStats(0, 1))
    assert (done.done, done.stats, done.result) == (True, BatchStats(1, 1), "result")


@given(
    eta=st.floats(0.0, 1e6),
    taken_at=st.floats(-1e6, 1e6),
    later=st.floats(0.0, 2e6),
)
def test_eta_counts_down_from_the_snapshot_and_stops_at_zero(
    eta: float, taken_at: float, later: float
) -> None:
    progress = Progress("b", BatchStatus.ONGOING, 1, 10, eta=eta, taken_at=taken_at)
    job = JobProgress(1, 10, 0, 2, eta=eta, taken_at=taken_at)
    assert progress.eta_at(taken_at) == eta
    assert progress.finish_at == taken_at + eta
    left = progress.eta_at(taken_at + later)
    assert left == max(0.0, eta - ((taken_at + later) - taken_at))
    assert job.eta_at(taken_at + later) == left


def test_an_unknown_eta_stays_unknown_and_no_clock_keeps_it() -> None:
    unknown = Progress("b", BatchStatus.ONGOING, 0, 10, taken_at=5.0)
    assert unknown.eta_at(100.0) is None
    assert unknown.finish_at is None
    unclocked = Progress("b", BatchStatus.ONGOING, 1, 10, eta=7.5)
    assert unclocked.eta_at(100.0) == 7.5
    assert unclocked.finish_at is None
    assert JobProgress(0, 10, 0, 1).eta_at(3.0) is None
