"""``client.verify``: bulk and single verifications against the simulator, in virtual time."""

from __future__ import annotations

import pytest

from enrow_async import (
    BatchStatus,
    EnrowClient,
    Progress,
    Qualification,
)
from enrow_async.testing import EnrowSimulator

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
