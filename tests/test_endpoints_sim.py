"""Verifier, phone finder, single email finder and account over real HTTP to the simulator."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import pytest

from enrow_async import (
    BatchFailedError,
    BatchNotFoundError,
    BatchStatus,
    BatchTimeoutError,
    EnrowClient,
    PollPolicy,
    Progress,
    Qualification,
    RetryPolicy,
)
from enrow_async._core.schedule import Backoff
from enrow_async.models import PhoneQualification, PhoneSearch
from enrow_async.testing import EnrowSimulator, SimulatorConfig
from enrow_async.webhooks.receiver import WebhookReceiver

pytestmark = pytest.mark.anyio

EMAILS = ["dwight@dundermifflin.com", {"email": "jim@dundermifflin.com", "custom": "r1"}]
LINKEDIN = "https://www.linkedin.com/in/dwight-schrute"
PEOPLE = [
    {"linkedin_url": LINKEDIN, "custom": "r0"},
    PhoneSearch(firstname="Jim", lastname="Halpert", company_domain="dundermifflin.com"),
    {"firstname": "Pam", "lastname": "Beesly", "company_name": "Dunder Mifflin"},
]
FAST_POLLS = PollPolicy(initial=0.05, min_interval=0.02, max_interval=0.2, margin=0.02)
FAST_RETRIES = RetryPolicy(attempts=2, backoff=Backoff(initial=0.01, cap=0.02))


@pytest.fixture
async def sim() -> AsyncIterator[EnrowSimulator]:
    async with EnrowSimulator(SimulatorConfig(duration=(0.2, 0.4), seed=11)) as simulator:
        yield simulator


@pytest.fixture
async def client(sim: EnrowSimulator) -> AsyncIterator[EnrowClient]:
    async with EnrowClient(
        sim.api_key, base_url=sim.base_url, poll_policy=FAST_POLLS, retry=FAST_RETRIES
    ) as c:
        yield c


# -- email verifier --------------------------------------------------------------------------


async def test_bulk_verification_end_to_end(client: EnrowClient) -> None:
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


async def test_single_verification_end_to_end(client: EnrowClient) -> None:
    job = await client.verify.single.start("dwight@dundermifflin.com", custom="c1")
    answer = await client.verify.single.get(job.id)
    assert answer.id == job.id
    result = await client.verify.single.wait(job.id, timeout=10)
    assert result.email == "dwight@dundermifflin.com"
    assert result.custom == "c1"
    assert result.qualification in Qualification
    done = await client.verify.single.get(job.id)
    assert done.status is BatchStatus.COMPLETED
    assert done.result == result


# -- phone finder ----------------------------------------------------------------------------


async def test_phone_bulk_end_to_end(client: EnrowClient) -> None:
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


async def test_single_phone_end_to_end(client: EnrowClient) -> None:
    job = await client.phone.single.start(
        firstname="Jim", lastname="Halpert", company_domain="dundermifflin.com", custom="lead"
    )
    result = await client.phone.single.wait(job.id, timeout=10)
    assert result.qualification in PhoneQualification
    assert result.custom == "lead"
    assert (await client.phone.single.get(job.id)).result == result


# -- single email finder and account ---------------------------------------------------------


async def test_find_email_end_to_end(client: EnrowClient) -> None:
    job = await client.email.single.start(
        "Jim Halpert", company_domain="dundermifflin.com", custom={"crm": 1}
    )
    answer = await client.email.single.get(job.id)
    assert answer.status is BatchStatus.ONGOING
    assert answer.result is None
    result = await client.email.single.wait(job.id, timeout=10)
    assert result.qualification in Qualification
    assert result.custom == {"crm": 1}
    if result.found:
        assert result.email
        assert result.info is not None


async def test_account_info(client: EnrowClient) -> None:
    info = await client.account.info()
    assert info.credits >= 0
    assert isinstance(info.webhooks, tuple)


async def test_webhook_wakes_the_waits(sim: EnrowSimulator) -> None:
    # Safety-net polls come every 30 s: finishing within 5 s proves the webhook woke the wait.
    async with (
        WebhookReceiver() as hooks,
        EnrowClient(sim.api_key, base_url=sim.base_url, webhook_poll_interval=30.0) as client,
    ):
        bulk = await client.verify.bulk.start(EMAILS, webhook=hooks.url)
        single = await client.phone.single.start(linkedin_url=LINKEDIN, webhook=hooks.url)
        batch = await client.verify.bulk.wait(bulk.id, timeout=5, webhook=hooks)
        phone = await client.phone.single.wait(single.id, timeout=5, webhook=hooks)
    assert batch.status is BatchStatus.COMPLETED
    assert phone.params["linkedin_url"] == LINKEDIN


# -- errors, deadlines, cleanliness ----------------------------------------------------------


async def test_unknown_ids_are_batch_not_found(client: EnrowClient) -> None:
    with pytest.raises(BatchNotFoundError):
        await client.verify.bulk.get("nope")
    with pytest.raises(BatchNotFoundError):
        await client.verify.bulk.wait("nope", timeout=5)
    with pytest.raises(BatchNotFoundError):
        await client.phone.bulk.get("nope")
    with pytest.raises(BatchNotFoundError):
        await client.phone.bulk.wait("nope", timeout=5)
    for read in (client.email.single.get, client.verify.single.get, client.phone.single.get):
        with pytest.raises(BatchNotFoundError):
            await read("nope")
    for wait in (client.email.single.wait, client.verify.single.wait, client.phone.single.wait):
        with pytest.raises(BatchNotFoundError):
            await wait("nope", timeout=5)


@pytest.mark.parametrize(("ongoing", "missing"), [(200, 400), (202, 404)])
async def test_bulk_wire_variants(ongoing: int, missing: int) -> None:
    config = SimulatorConfig(ongoing_status=ongoing, not_found_status=missing, duration=0.4)
    async with (
        EnrowSimulator(config) as sim,
        EnrowClient(sim.api_key, base_url=sim.base_url, poll_policy=FAST_POLLS) as client,
    ):
        verification = await client.verify.bulk.start(EMAILS)
        phones = await client.phone.bulk.start(PEOPLE)
        assert (await client.verify.bulk.get(verification.id)).status is BatchStatus.ONGOING
        assert (await client.phone.bulk.get(phones.id)).status is BatchStatus.ONGOING
        done = await client.verify.bulk.wait(
            verification.id, timeout=10, estimated_duration=verification.estimated_duration
        )
        assert done.stats.finished == 2
        assert (await client.phone.bulk.wait(phones.id, timeout=10)).stats.finished == 3
        for read in (client.verify.bulk.get, client.phone.bulk.get):
            with pytest.raises(BatchNotFoundError) as info:
                await read("nope")
            assert info.value.status == missing


async def test_failed_bulks_raise_with_progress() -> None:
    async with (
        EnrowSimulator(SimulatorConfig(fail_rate=1.0, duration=0.2)) as sim,
        EnrowClient(sim.api_key, base_url=sim.base_url, poll_policy=FAST_POLLS) as client,
    ):
        verification = await client.verify.bulk.start(EMAILS)
        phones = await client.phone.bulk.start(PEOPLE)
        with pytest.raises(BatchFailedError) as failed:
            await client.verify.bulk.wait(verification.id, timeout=10)
        assert failed.value.batch_id == verification.id
        assert failed.value.progress.status is BatchStatus.FAILED
        with pytest.raises(BatchFailedError) as failed:
            await client.phone.bulk.wait(phones.id, timeout=10)
        assert failed.value.batch_id == phones.id


async def test_single_wait_deadline() -> None:
    slow = SimulatorConfig(duration=(60.0, 60.0))
    async with (
        EnrowSimulator(slow) as sim,
        EnrowClient(sim.api_key, base_url=sim.base_url, poll_policy=FAST_POLLS) as client,
    ):
        job = await client.email.single.start("Jim Halpert", company_name="Dunder Mifflin")
        with pytest.raises(BatchTimeoutError) as info:
            await client.email.single.wait(job.id, timeout=0.3)
        assert info.value.progress is not None
        assert info.value.progress.status is BatchStatus.ONGOING
        bulk = await client.verify.bulk.start(["a@b.co"])
        with pytest.raises(BatchTimeoutError):
            await client.verify.bulk.wait(bulk.id, timeout=0.3)
        polls = dict(sim.stats.requests)
        await asyncio.sleep(0.3)
        assert dict(sim.stats.requests) == polls, "a timed-out wait must stop polling"


@pytest.mark.parametrize(
    "call",
    [
        lambda c: c.verify.bulk.start([]),
        lambda c: c.verify.bulk.start(["ok@x.com", "nope"]),
        lambda c: c.phone.bulk.start([{"firstname": "Jim"}]),
        lambda c: c.email.single.start("Jim", company_domain=" "),
        lambda c: c.verify.single.start("nope"),
        lambda c: c.phone.single.start(),
        lambda c: c.email.single.get(""),
        lambda c: c.phone.bulk.wait(3, timeout=1),
        lambda c: c.email.single.wait("j", timeout=-1),
    ],
)
async def test_bad_input_refused_before_any_request(
    client: EnrowClient, sim: EnrowSimulator, call: Any
) -> None:
    before = sim.stats.requests
    with pytest.raises((ValueError, TypeError)):
        await call(client)
    assert sim.stats.requests == before
