"""find_emails' Collector: results back in input order; inconsistent answers are named."""

from __future__ import annotations

import pytest

from enrow_async import (
    BatchStats,
    BatchStatus,
    BulkJob,
    BulkResults,
    EmailResult,
    Progress,
    Qualification,
)
from enrow_async._core.collect import Collector

pytestmark = pytest.mark.anyio


def _batch(batch_id: str, indexes: list[int]) -> BulkResults:
    results = tuple(EmailResult(i, Qualification.INVALID, custom=f"{batch_id}{i}") for i in indexes)
    return BulkResults(
        batch_id, BatchStatus.COMPLETED, BatchStats(len(indexes), len(indexes)), results
    )


async def test_results_are_renumbered_into_input_order() -> None:
    collector = Collector([BulkJob("a"), BulkJob("b")], [2, 3], started=0.0)
    collector.add(_batch("b", [2, 0, 1]))
    collector.add(_batch("a", [1, 0]))
    results = collector.results
    assert not collector.failed
    assert [r and r.index for r in results] == [0, 1, 2, 3, 4]
    assert [r and r.custom for r in results] == ["a0", "a1", "b0", "b1", "b2"]


async def test_index_outside_the_batch_is_named_not_dropped() -> None:
    collector = Collector([BulkJob("a"), BulkJob("b")], [2, 2], started=0.0)
    collector.add(_batch("a", [0, 1]))
    collector.add(_batch("b", [0, 1, 2, 7]))
    assert collector.failed == {"b": "2 result(s) with an index outside 0-1: 2, 7"}
    assert [r and r.custom for r in collector.results] == ["a0", "a1", "b0", "b1"]


async def test_repeated_index_leaves_a_gap_and_is_named() -> None:
    collector = Collector([BulkJob("a")], [3], started=0.0)
    collector.add(_batch("a", [0, 1, 1]))
    assert [r is None for r in collector.results] == [False, False, True]
    assert collector.failed == {"a": "index(es) given twice: 1"}


def _running(batch_id: str, eta: float | None, taken_at: float) -> Progress:
    return Progress(batch_id, BatchStatus.ONGOING, 1, 4, eta=eta, taken_at=taken_at)


async def test_the_job_eta_is_the_latest_batch_finish_counted_down() -> None:
    collector = Collector([BulkJob("a"), BulkJob("b")], [4, 4], started=0.0)
    assert collector.combined(_running("a", 30.0, 10.0), 10.0).eta is None  # b not seen yet
    job = collector.combined(_running("b", 5.0, 20.0), 22.0)
    assert job.eta == pytest.approx(18.0)  # a finishes at 40: 18 s after 22
    assert job.taken_at == 22.0
    assert job.eta_at(30.0) == pytest.approx(10.0)


async def test_the_job_eta_is_unknown_while_a_running_batch_has_none() -> None:
    collector = Collector([BulkJob("a"), BulkJob("b")], [4, 4], started=0.0)
    collector.combined(_running("a", 30.0, 10.0), 10.0)
    assert collector.combined(_running("b", None, 12.0), 12.0).eta is None
    done = Progress("b", BatchStatus.COMPLETED, 4, 4, eta=0.0, taken_at=15.0)
    assert collector.combined(done, 15.0).eta == pytest.approx(25.0)
