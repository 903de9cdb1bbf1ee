"""``client.verify``: bulk and single verifications against the simulator, in virtual time."""

from __future__ import annotations

from typing import Any

import anyio
import pytest
from helpers import Connect, Simulate

from enrow_async import (
    BatchFailedError,
    BatchNotFoundError,
    BatchStatus,
    BatchTimeoutError,
    EnrowClient,
    Progress,
    Qualification,
)
from enrow_async.testing import EnrowSimulator, SimulatorConfig

pytestmark = pytest.mark.anyio


EMAILS = ["dwight@dundermifflin.com", {"email": "jim@dundermifflin.com", "custom": "r1"}]


async def test_bulk_end_to_end(client: EnrowClient) -> None:
    job = await client.verify.bulk.start(EMAILS, custom={"campaign": 2})
    assert job.id
    first = await client.verify.bulk.get(job.id)
    assert first.id == job.id
    assert first.stats.requested == 2
    seen: list[Progress] = []
    batch = await client.verify.bulk.wait(job.id, timeout=10, on_progress=seen.append)
    assert batch.status is BatchStatus.COMPLETED
    assert batch.custom == {"campaign": 2}
    assert batch.stats.finished == batch.stats.requested == 2
    assert sorted(r.email for r in batch.results) == sorted(
        ["dwight@dundermifflin.com", "jim@dundermifflin.com"]
    )
    assert all(isinstance(r.index, str) for r in batch.results)
    assert all(r.qualification in Qualification for r in batch.results)
    assert batch.stats.valid == sum(r.valid for r in batch.results)
    assert seen
    assert seen[-1].status is BatchStatus.COMPLETED
    assert seen[-1].finished == 2


async def test_single_end_to_end(client: EnrowClient) -> None:
    job = await client.verify.single.start("dwight@dundermifflin.com", custom="c1")
    answer = await client.verify.single.get(job.id)
    assert answer.id == job.id
    assert answer.status is BatchStatus.ONGOING
    done = await client.verify.single.wait(job.id, timeout=10)
    result = done.result
    assert result is not None
    assert result.email == "dwight@dundermifflin.com"
    assert result.custom == "c1"
    assert result.qualification in Qualification
    assert await client.verify.single.get(job.id) == done


async def test_watch_streams_progress_until_done(client: EnrowClient, sim: EnrowSimulator) -> None:
    batch_id = sim.add_batch([f"p{i}@dundermifflin.com" for i in range(40)], kind="verify")
    snapshots = [p async for p in client.verify.bulk.watch(batch_id, timeout=10)]
    assert snapshots[-1].status is BatchStatus.COMPLETED
    assert all(p.status is BatchStatus.ONGOING for p in snapshots[:-1])
    assert all(p.batch_id == batch_id for p in snapshots)


async def test_wait_many_yields_each_batch_once(client: EnrowClient, sim: EnrowSimulator) -> None:
    ids = [sim.add_batch(["a@b.co"] * n, kind="verify", duration=n * 20.0) for n in (3, 1, 2)]
    seen = [batch.id async for batch in client.verify.bulk.wait_many(ids, timeout=600)]
    assert seen == [ids[1], ids[2], ids[0]]


async def test_unknown_ids_are_batch_not_found(client: EnrowClient) -> None:
    with pytest.raises(BatchNotFoundError):
        await client.verify.bulk.get("nope")
    with pytest.raises(BatchNotFoundError):
        await client.verify.bulk.wait("nope", timeout=5)
    with pytest.raises(BatchNotFoundError):
        await client.verify.single.get("nope")
    with pytest.raises(BatchNotFoundError):
        await client.verify.single.wait("nope", timeout=5)


@pytest.mark.parametrize(("ongoing", "missing"), [(200, 400), (202, 404)])
async def test_bulk_wire_variants(
    simulate: Simulate, connect: Connect, ongoing: int, missing: int
) -> None:
    config = SimulatorConfig(ongoing_status=ongoing, not_found_status=missing, duration=0.4)
    async with simulate(config) as sim, connect(sim) as client:
        job = await client.verify.bulk.start(EMAILS)
        assert (await client.verify.bulk.get(job.id)).status is BatchStatus.ONGOING
        done = await client.verify.bulk.wait(
            job.id, timeout=10, estimated_minutes=job.estimated_duration
        )
        assert done.stats.finished == 2
        with pytest.raises(BatchNotFoundError) as info:
            await client.verify.bulk.get("nope")
        assert info.value.status == missing


async def test_failed_bulk_raises_with_progress(simulate: Simulate, connect: Connect) -> None:
    async with (
        simulate(SimulatorConfig(fail_rate=1.0, duration=0.2)) as sim,
        connect(sim) as client,
    ):
        job = await client.verify.bulk.start(EMAILS)
        with pytest.raises(BatchFailedError) as failed:
            await client.verify.bulk.wait(job.id, timeout=10)
    assert failed.value.batch_id == job.id
    assert failed.value.progress.status is BatchStatus.FAILED


async def test_bulk_wait_deadline_stops_polling(simulate: Simulate, connect: Connect) -> None:
    async with simulate(SimulatorConfig(duration=60.0)) as sim, connect(sim) as client:
        job = await client.verify.bulk.start(["a@b.co"])
        with pytest.raises(BatchTimeoutError) as info:
            await client.verify.bulk.wait(job.id, timeout=0.3)
        assert info.value.progress is not None
        assert info.value.progress.status is BatchStatus.ONGOING
        polls = sim.stats.requests
        await anyio.sleep(600)
        assert sim.stats.requests == polls, "a timed-out wait must stop polling"


@pytest.mark.parametrize(
    "call",
    [
        lambda c: c.verify.bulk.start([]),
        lambda c: c.verify.bulk.start(["ok@x.com", "nope"]),
        lambda c: c.verify.bulk.start([{"email": "ok@x.com", "extra": 1}]),
        lambda c: c.verify.single.start("nope"),
        lambda c: c.verify.single.get(""),
        lambda c: c.verify.bulk.wait(3, timeout=1),
        lambda c: c.verify.single.wait("j", timeout=-1),
    ],
)
async def test_bad_input_refused_before_any_request(
    client: EnrowClient, sim: EnrowSimulator, call: Any
) -> None:
    before = sim.stats.requests
    with pytest.raises((ValueError, TypeError)):
        await call(client)
    assert sim.stats.requests == before
