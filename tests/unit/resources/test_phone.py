"""``client.phone``: bulk and single phone searches against the simulator, in virtual time."""

from __future__ import annotations

from typing import Any

import pytest
from helpers import Connect, Simulate

from enrow_async import (
    BatchFailedError,
    BatchNotFoundError,
    BatchStatus,
    EnrowClient,
    PhoneQualification,
    PhoneSearch,
)
from enrow_async.testing import EnrowSimulator, SimulatorConfig

pytestmark = pytest.mark.anyio


LINKEDIN = "https://www.linkedin.com/in/dwight-schrute"
PEOPLE = [
    {"linkedin_url": LINKEDIN, "custom": "r0"},
    PhoneSearch(firstname="Jim", lastname="Halpert", company_domain="dundermifflin.com"),
    {"firstname": "Pam", "lastname": "Beesly", "company_name": "Dunder Mifflin"},
]


async def test_bulk_end_to_end(client: EnrowClient) -> None:
    job = await client.phone.bulk.start(PEOPLE, custom="phones")
    batch = await client.phone.bulk.wait(job.id, timeout=10)
    assert batch.status is BatchStatus.COMPLETED
    assert batch.custom == "phones"
    assert [r.index for r in batch.results] == [0, 1, 2]
    assert batch.results[0].params["linkedin_url"] == LINKEDIN
    assert batch.results[1].params["firstname"] == "Jim"
    assert batch.stats.finished == batch.stats.requested == 3
    assert batch.stats.found == sum(r.found for r in batch.results)
    for result in batch.results:
        assert result.qualification in PhoneQualification
        assert (result.number is not None) == result.found
    again = await client.phone.bulk.get(job.id)
    assert again == batch


async def test_single_end_to_end(client: EnrowClient) -> None:
    job = await client.phone.single.start(
        PhoneSearch(firstname="Jim", lastname="Halpert", company_domain="dm.com", custom="lead")
    )
    assert (await client.phone.single.get(job.id)).status is BatchStatus.ONGOING
    done = await client.phone.single.wait(job.id, timeout=10)
    assert done.result is not None
    assert done.result.qualification in PhoneQualification
    assert done.result.custom == "lead"
    assert await client.phone.single.get(job.id) == done


async def test_single_by_linkedin_url(client: EnrowClient) -> None:
    job = await client.phone.single.start({"linkedin_url": LINKEDIN})
    result = (await client.phone.single.wait(job.id, timeout=10)).result
    assert result is not None
    assert result.params["linkedin_url"] == LINKEDIN


async def test_unknown_ids_are_batch_not_found(client: EnrowClient) -> None:
    with pytest.raises(BatchNotFoundError):
        await client.phone.bulk.get("nope")
    with pytest.raises(BatchNotFoundError):
        await client.phone.bulk.wait("nope", timeout=5)
    with pytest.raises(BatchNotFoundError):
        await client.phone.single.get("nope")
    with pytest.raises(BatchNotFoundError):
        await client.phone.single.wait("nope", timeout=5)


@pytest.mark.parametrize(("ongoing", "missing"), [(200, 400), (202, 404)])
async def test_bulk_wire_variants(
    simulate: Simulate, connect: Connect, ongoing: int, missing: int
) -> None:
    config = SimulatorConfig(ongoing_status=ongoing, not_found_status=missing, duration=0.4)
    async with simulate(config) as sim, connect(sim) as client:
        job = await client.phone.bulk.start(PEOPLE)
        assert (await client.phone.bulk.get(job.id)).status is BatchStatus.ONGOING
        assert (await client.phone.bulk.wait(job.id, timeout=10)).stats.finished == 3
        with pytest.raises(BatchNotFoundError) as info:
            await client.phone.bulk.get("nope")
        assert info.value.status == missing


async def test_failed_bulk_raises_with_progress(simulate: Simulate, connect: Connect) -> None:
    async with (
        simulate(SimulatorConfig(fail_rate=1.0, duration=0.2)) as sim,
        connect(sim) as client,
    ):
        job = await client.phone.bulk.start(PEOPLE)
        with pytest.raises(BatchFailedError) as failed:
            await client.phone.bulk.wait(job.id, timeout=10)
    assert failed.value.batch_id == job.id
    assert failed.value.progress.status is BatchStatus.FAILED


@pytest.mark.parametrize(
    "call",
    [
        lambda c: c.phone.bulk.start([]),
        lambda c: c.phone.bulk.start([{"firstname": "Jim"}]),
        lambda c: c.phone.bulk.start(["https://www.linkedin.com/in/x"]),
        lambda c: c.phone.single.start({}),
        lambda c: c.phone.single.start({"firstname": "Jim", "lastname": "Halpert"}),
        lambda c: c.phone.bulk.wait(3, timeout=1),
        lambda c: c.phone.single.get(""),
    ],
)
async def test_bad_input_refused_before_any_request(
    client: EnrowClient, sim: EnrowSimulator, call: Any
) -> None:
    before = sim.stats.requests
    with pytest.raises((ValueError, TypeError)):
        await call(client)
    assert sim.stats.requests == before
