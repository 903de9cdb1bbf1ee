"""The list engine: plan, guard, record, wait, hand over by position, resume, retry; in
memory on virtual time, counting POSTs at the simulator."""

from __future__ import annotations

from pathlib import Path

import anyio
import pytest
from helpers import Connect, Simulate

from enrow_async import (
    EmailResult,
    EmailSearch,
    EnrowClient,
    FinishedBatch,
    GapReason,
    JournalFile,
    MemoryRecord,
    RecordState,
    SpendingRefusedError,
)
from enrow_async.testing import EnrowSimulator, SimulatorConfig

pytestmark = pytest.mark.anyio


POST = ("POST", "/email/find/bulk")


def people(n: int, start: int = 0) -> list[EmailSearch]:
    return [
        EmailSearch(f"Person {i}", f"co{i}.example.com", custom=f"row-{i}")
        for i in range(start, start + n)
    ]


def posts(sim: EnrowSimulator) -> int:
    return sim.stats.requests.get(POST, 0)


async def test_the_estimate_sends_nothing_and_counts_exactly(
    sim: EnrowSimulator, client: EnrowClient
) -> None:
    searches = [*people(7), *people(3)]  # 3 duplicates
    job = client.email.list_job(searches, batch_size=3)
    estimate = await job.estimate()
    assert (estimate.rows, estimate.distinct, estimate.duplicates) == (10, 7, 3)
    assert (estimate.to_send, estimate.batches, estimate.credits) == (7, 3, 7.0)
    assert estimate.balance is not None
    assert estimate.started == ()
    assert posts(sim) == 0


async def test_results_are_handed_over_by_position_batch_by_batch(
    sim: EnrowSimulator, client: EnrowClient
) -> None:
    searches = [*people(5), *people(2)]
    record = MemoryRecord()
    seen: list[FinishedBatch[EmailResult]] = []
    job = client.email.list_job(searches, batch_size=2, record=record)
    report = await job.run(timeout=60, on_batch=seen.append)
    assert report.complete
    assert report.found == 7
    assert len(seen) == 3
    by_position = {p: r for batch in seen for p, r in batch.results}
    assert sorted(by_position) == list(range(7))
    assert all(r.index == p and r.custom == searches[p].custom for p, r in by_position.items())
    assert by_position[5].email == by_position[0].email  # a duplicate gets the same result
    states = [(e.number, e.state) for e in record.entries]
    assert states == [(n, s) for n in range(3) for s in (RecordState.POSTING, RecordState.STARTED)]
    assert report.reserved == 5
    assert report.settled == 3
    assert report.refunded + report.final == report.reserved
    assert posts(sim) == 3


async def test_a_run_after_another_run_of_the_same_record_plans_again_and_pays_nothing_twice(
    sim: EnrowSimulator, client: EnrowClient
) -> None:
    """An estimate made, then the same list run by someone else over the same record
    before this run starts (an approval left open while another call ran it): the run
    reads the record again and starts nothing already started."""
    searches, record = people(5), MemoryRecord()
    late = client.email.list_job(searches, batch_size=2, record=record)
    assert (await late.estimate()).to_send == 5
    first = await client.email.list_job(searches, batch_size=2, record=record).run(timeout=60)
    assert first.complete
    assert posts(sim) == 3
    report = await late.run(timeout=60, max_credits=5)
    assert report.complete
    assert report.found == first.found
    assert posts(sim) == 3


@pytest.mark.parametrize("how", ["cap", "balance", "confirm"])
async def test_the_guard_refuses_before_any_post(
    simulate: Simulate, connect: Connect, how: str
) -> None:
    async with simulate(SimulatorConfig(credits=4)) as sim, connect(sim) as client:
        job = client.email.list_job(people(5 if how == "balance" else 3))
        with pytest.raises(SpendingRefusedError) as info:
            if how == "cap":
                await job.run(timeout=60, max_credits=2)
            elif how == "confirm":
                await job.run(timeout=60, confirm=lambda estimate: estimate.credits < 3)
            else:
                await job.run(timeout=60)
        assert posts(sim) == 0
    assert info.value.credits == (5 if how == "balance" else 3)


async def test_a_run_cancelled_while_starting_is_resumed_without_paying_twice(
    sim: EnrowSimulator, client: EnrowClient, tmp_path: Path
) -> None:
    journal = tmp_path / "run.journal"
    searches = people(10)

    async def started(_: object) -> None:
        scope.cancel()  # as if the process were stopped after the first start

    with anyio.CancelScope() as scope:
        job = client.email.list_job(searches, batch_size=4, record=JournalFile(journal))
        await job.run(timeout=60, on_started=started)
    assert posts(sim) == 1
    again = client.email.list_job(searches, batch_size=4, record=JournalFile(journal))
    estimate = await again.estimate()
    assert [m.kept for m in estimate.started] == [4]
    assert estimate.to_send == 6
    report = await again.run(timeout=60)
    assert report.complete
    assert report.found == 10
    assert posts(sim) == 3  # 1 + the 2 batches never started


async def test_an_edited_list_reuses_every_started_batch_and_sends_only_the_edit(
    sim: EnrowSimulator, client: EnrowClient
) -> None:
    record = MemoryRecord()
    searches = people(10)
    await client.email.list_job(searches, batch_size=5, record=record).run(timeout=60)
    edited = [*searches[:3], EmailSearch("New Person", "new.example.com"), *searches[3:]]
    job = client.email.list_job(edited, batch_size=5, record=record)
    estimate = await job.estimate()
    assert [(m.number, m.kept) for m in estimate.started] == [(0, 5), (1, 5)]
    assert (estimate.to_send, estimate.reused) == (1, 10)
    results: dict[int, EmailResult] = {}
    report = await job.run(timeout=60, on_batch=lambda b: results.update(b.results))
    assert report.complete
    assert sorted(results) == list(range(11))
    assert results[3].raw_params["fullname"] == "New Person"
    assert posts(sim) == 3


async def test_an_unknown_start_is_recorded_and_never_resent_unasked(
    sim: EnrowSimulator, client: EnrowClient
) -> None:
    record = MemoryRecord()
    sim.inject("drop_after", path="/email/find/bulk", method="POST")  # created, no answer
    report = await client.email.list_job(people(6), batch_size=3, record=record).run(timeout=60)
    assert report.positions(GapReason.UNKNOWN) == [0, 1, 2]
    assert report.found == 3
    assert report.stopped_by is None  # an unknown start costs nothing more: the next goes on
    states = [e.state for e in record.entries]
    assert states == [
        RecordState.POSTING,
        RecordState.UNKNOWN,
        RecordState.POSTING,
        RecordState.STARTED,
    ]
    again = client.email.list_job(people(6), batch_size=3, record=record)
    estimate = await again.estimate()
    assert (estimate.uncertain, estimate.to_send) == (3, 0)
    report = await again.run(timeout=60)
    assert report.positions(GapReason.UNKNOWN) == [0, 1, 2]
    assert report.found == 3
    resent = client.email.list_job(people(6), batch_size=3, record=record, resend_unknown=True)
    assert (await resent.estimate()).to_send == 3
    assert (await resent.run(timeout=60)).complete
    assert posts(sim) == 3


async def test_failed_batches_are_retried_on_request_only(
    simulate: Simulate, connect: Connect
) -> None:
    config = SimulatorConfig(duration=(0.2, 0.4), seed=1, fail_rate=0.5)
    async with simulate(config) as sim, connect(sim) as client:
        record = MemoryRecord()
        searches = people(12)
        first = await client.email.list_job(searches, batch_size=3, record=record).run(timeout=60)
        failed = first.positions(GapReason.FAILED)
        assert failed
        assert first.found == 12 - len(failed)
        sent = posts(sim)
        job = client.email.list_job(searches, batch_size=3, record=record)
        assert (await job.estimate()).to_send == 0  # waited for again, not paid again
        report = await job.run(timeout=60, retry_failed=True, max_credits=len(failed))
        assert posts(sim) > sent
        assert report.found + len(report.positions(GapReason.FAILED)) == 12
        assert len(report.positions(GapReason.FAILED)) < len(failed)  # seed 1: retries pass
        assert len(report.batches) == len(first.batches) + posts(sim) - sent


async def test_verification_lists_are_placed_by_position(
    sim: EnrowSimulator, client: EnrowClient
) -> None:
    emails = ["a@x.com", "b@x.com", "A@X.com ", "c@x.com"]
    job = client.verify.list_job(emails, batch_size=2)
    estimate = await job.estimate()
    assert (estimate.distinct, estimate.credits) == (3, 0.75)
    results: dict[int, object] = {}
    report = await job.run(timeout=60, on_batch=lambda b: results.update(b.results))
    assert report.complete
    assert sorted(results) == [0, 1, 2, 3]
    assert results[0] == results[2]
    assert sim.stats.requests[("POST", "/email/verify/bulk")] == 2
