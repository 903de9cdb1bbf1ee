"""Waiting on many batches to the end (``wait_batches``): each handed over as it finishes,
their combined progress, and the rest named with why instead of raised; in memory on
virtual time."""

from __future__ import annotations

import pytest
from helpers import SEARCHES, Connect

from enrow_async import (
    AuthenticationError,
    BatchNotFoundError,
    BatchStatus,
    BulkResults,
    EnrowClient,
    JobProgress,
    wait_batches,
)
from enrow_async.testing import EnrowSimulator

pytestmark = pytest.mark.anyio


async def test_finished_batches_are_handed_over_and_unreadable_ones_named(
    sim: EnrowSimulator, client: EnrowClient
) -> None:
    done = sim.add_batch(SEARCHES[:3], duration=0.2)
    failed = sim.add_batch(SEARCHES[:2], duration=0.3, fail=True)
    seen: list[BulkResults] = []
    progress: list[JobProgress] = []
    outcome = await wait_batches(
        client.email.bulk.wait_many,
        {done: 3, failed: 0, "nope": 0},
        timeout=60,
        on_batch=seen.append,
        on_progress=progress.append,
        duplicates=4,
    )
    assert {b.id: b.status for b in seen} == {
        done: BatchStatus.COMPLETED,
        failed: BatchStatus.FAILED,
    }
    assert list(outcome.unreadable) == ["nope"]
    assert isinstance(outcome.unreadable["nope"], BatchNotFoundError)
    assert (outcome.unfinished, outcome.timed_out, outcome.stopped_by) == ((), None, None)
    last = progress[-1]
    assert (last.batches, last.batches_done, last.duplicates) == (3, 2, 4)


async def test_a_deadline_names_the_batches_still_running(
    sim: EnrowSimulator, client: EnrowClient
) -> None:
    quick = sim.add_batch(SEARCHES[:1], duration=0.2)
    slow = sim.add_batch(SEARCHES[:1], duration=600)
    seen: list[str] = []

    async def keep(batch: BulkResults) -> None:  # an async callback is awaited
        seen.append(batch.id)

    outcome = await wait_batches(
        client.email.bulk.wait_many, dict.fromkeys([quick, slow], 1), timeout=30, on_batch=keep
    )
    assert seen == [quick]
    assert outcome.unfinished == (slow,)
    assert outcome.timed_out is not None
    assert list(outcome.timed_out.pending) == [slow]
    assert outcome.stopped_by is None


async def test_a_failure_of_every_batch_stops_the_wait_and_names_them_all(
    sim: EnrowSimulator, connect: Connect
) -> None:
    batch = sim.add_batch(SEARCHES[:1], duration=0.2)
    async with connect(sim, key="wrong-key") as client:
        outcome = await wait_batches(
            client.email.bulk.wait_many, {batch: 1}, timeout=30, on_batch=print
        )
    assert isinstance(outcome.stopped_by, AuthenticationError)
    assert outcome.unfinished == (batch,)
    assert outcome.unreadable == {}
