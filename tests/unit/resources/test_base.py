"""The verbs every job kind shares, over every row of the job table.

Every row is served, with nothing listed anywhere else: the client's front for a row is
named by it (``"email bulk"``: ``client.email.bulk``), and the simulator serves the row's
path, limit, price and event as the row says. Unknown ids, both wire dialects, failed
batches, deadlines and bad input behave alike for every row; what a family's own answers
hold is tested in ``test_email.py``, ``test_verify.py`` and ``test_phone.py``."""

from __future__ import annotations

from typing import Any

import pytest
from helpers import SAMPLES, Connect, Simulate, assert_polling_stopped, front, items

from enrow_async import (
    BatchFailedError,
    BatchNotFoundError,
    BatchStatus,
    BatchTimeoutError,
    BulkJob,
    EnrowClient,
    SingleAnswer,
    SingleJob,
)
from enrow_async._core.jobs import JOBS, JobSpec
from enrow_async.testing import EnrowSimulator, SimulatorConfig
from enrow_async.testing._jobs import ENDPOINTS

pytestmark = pytest.mark.anyio

BULKS = [spec for spec in JOBS if spec.bulk]

every_row = pytest.mark.parametrize("spec", JOBS, ids=lambda spec: spec.name)
every_bulk = pytest.mark.parametrize("spec", BULKS, ids=lambda spec: spec.name)


@every_row
async def test_every_row_is_served_by_the_client_and_the_simulator(
    spec: JobSpec[Any], client: EnrowClient, sim: EnrowSimulator
) -> None:
    jobs = front(client, spec)
    started = await jobs.start(items(spec, 2))
    assert type(started) is (BulkJob if spec.bulk else SingleJob)
    assert started.credits_used == spec.price * (2 if spec.bulk else 1)
    assert sim.stats.created == {spec.path: 1}
    assert sim.batch(started.id).webhook_event()["event"] == spec.event
    done = await jobs.wait(started.id, timeout=60)
    assert done.status is BatchStatus.COMPLETED
    if spec.bulk:
        assert type(done) is spec.model
        assert len(done.results) == 2
    else:
        assert type(done) is SingleAnswer
        assert type(done.result) is spec.model
    assert await jobs.get(started.id) == done
    assert sim.stats.requests["GET", spec.path] >= 2


def test_the_simulator_serves_the_table_and_nothing_else() -> None:
    assert {path: endpoint.spec for path, endpoint in ENDPOINTS.items()} == {
        spec.path: spec for spec in JOBS
    }


@every_row
async def test_an_unknown_id_is_batch_not_found_naming_it(
    spec: JobSpec[Any], client: EnrowClient
) -> None:
    jobs = front(client, spec)
    with pytest.raises(BatchNotFoundError, match=r"\(id 'nope'\)"):
        await jobs.get("nope")
    with pytest.raises(BatchNotFoundError, match=r"\(id 'nope'\)"):
        await jobs.wait("nope", timeout=5)


@every_bulk
@pytest.mark.parametrize(("ongoing", "missing"), [(200, 400), (202, 404)])
async def test_both_wire_dialects_of_a_bulk(
    spec: JobSpec[Any], simulate: Simulate, connect: Connect, ongoing: int, missing: int
) -> None:
    config = SimulatorConfig(ongoing_status=ongoing, not_found_status=missing, duration=0.4)
    async with simulate(config) as sim, connect(sim) as client:
        jobs = front(client, spec)
        job = await jobs.start(items(spec, 3))
        assert (await jobs.get(job.id)).status is BatchStatus.ONGOING
        done = await jobs.wait(job.id, timeout=10, estimated_minutes=job.estimated_duration)
        assert done.stats.finished == 3
        with pytest.raises(BatchNotFoundError) as info:
            await jobs.get("nope")
        assert info.value.status == missing


@every_bulk
async def test_a_failed_bulk_raises_with_its_progress(
    spec: JobSpec[Any], simulate: Simulate, connect: Connect
) -> None:
    async with (
        simulate(SimulatorConfig(fail_rate=1.0, duration=0.2)) as sim,
        connect(sim) as client,
    ):
        jobs = front(client, spec)
        job = await jobs.start(items(spec, 3))
        with pytest.raises(BatchFailedError) as failed:
            await jobs.wait(job.id, timeout=10)
    assert failed.value.batch_id == job.id
    assert failed.value.progress.status is BatchStatus.FAILED


@every_row
async def test_a_wait_past_its_deadline_stops_polling(
    spec: JobSpec[Any], simulate: Simulate, connect: Connect
) -> None:
    async with simulate(SimulatorConfig(duration=60.0)) as sim, connect(sim) as client:
        jobs = front(client, spec)
        job = await jobs.start(items(spec))
        with pytest.raises(BatchTimeoutError) as info:
            await jobs.wait(job.id, timeout=0.3)
        assert info.value.progress is not None
        assert info.value.progress.status is BatchStatus.ONGOING
        await assert_polling_stopped(sim)


@pytest.mark.parametrize(
    "call",
    [
        # email
        lambda c: c.email.single.start({"fullname": "Jim", "company_domain": " "}),
        lambda c: c.email.single.start({"fullname": "", "company_domain": "dundermifflin.com"}),
        lambda c: c.email.single.get(""),
        lambda c: c.email.single.wait("j", timeout=-1),
        lambda c: c.email.bulk.start([]),
        lambda c: c.email.bulk.start([{"fullname": "Jim"}]),
        lambda c: c.email.find([SAMPLES["email"]], batch_size=0),
        lambda c: c.email.find([{"fullname": "Jim"}]),
        # verify
        lambda c: c.verify.bulk.start([]),
        lambda c: c.verify.bulk.start(["ok@x.com", "nope"]),
        lambda c: c.verify.bulk.start([{"email": "ok@x.com", "extra": 1}]),
        lambda c: c.verify.single.start("nope"),
        lambda c: c.verify.single.get(""),
        lambda c: c.verify.bulk.wait(3, timeout=1),
        lambda c: c.verify.single.wait("j", timeout=-1),
        # phone
        lambda c: c.phone.bulk.start([]),
        lambda c: c.phone.bulk.start([{"firstname": "Jim"}]),
        lambda c: c.phone.bulk.start(["https://www.linkedin.com/in/x"]),
        lambda c: c.phone.single.start({}),
        lambda c: c.phone.single.start({"firstname": "Jim", "lastname": "Halpert"}),
        lambda c: c.phone.bulk.wait(3, timeout=1),
        lambda c: c.phone.single.get(""),
    ],
)
async def test_bad_input_is_refused_before_any_request(
    client: EnrowClient, sim: EnrowSimulator, call: Any
) -> None:
    before = sim.stats.requests
    with pytest.raises((ValueError, TypeError)):
        await call(client)
    assert sim.stats.requests == before
