"""Progress models: ``fraction`` and the single-job answer's pollable shape."""

from __future__ import annotations

import pytest

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
