"""JobRunner: one start / get / wait for every row of the job table, over the real parts."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import anyio
import orjson
import pytest

from enrow_async import (
    AccountInfo,
    BatchFailedError,
    BatchStatus,
    BulkJob,
    OutcomeUnknownError,
    PollPolicy,
    Progress,
    SingleJob,
)
from enrow_async._core.http import Request, Response
from enrow_async._core.jobs import (
    EMAIL_BULK,
    EMAIL_SINGLE,
    JOBS,
    PHONE_BULK,
    PHONE_SINGLE,
    VERIFY_BULK,
    VERIFY_SINGLE,
    JobSpec,
)
from enrow_async._core.requests import to_searches
from enrow_async._io.jobs import JobRunner
from enrow_async._io.transport import Transport
from enrow_async.testing import SimulatorConfig

from .parts import POLICY, Parts, polling, running

pytestmark = pytest.mark.anyio

JIM = {"fullname": "Jim Halpert", "company_domain": "dundermifflin.com"}
PHONE = {"firstname": "Jim", "lastname": "Halpert", "company_domain": "dundermifflin.com"}
STARTS: dict[JobSpec[Any], tuple[Any, ...]] = {
    EMAIL_BULK: (to_searches([JIM, {"fullname": "Pam Beesly", "company_name": "DM"}]),),
    EMAIL_SINGLE: (JIM,),
    VERIFY_BULK: (["jim@dundermifflin.com", "pam@dundermifflin.com"],),
    VERIFY_SINGLE: ("jim@dundermifflin.com",),
    PHONE_BULK: ([PHONE, {"linkedin_url": "https://www.linkedin.com/in/pam"}],),
    PHONE_SINGLE: (PHONE,),
}
"""What each row's start is built from: a new row of the table needs a line here."""

BULKS = {"email": "/email/find/bulk", "verify": "/email/verify/bulk", "phone": "/phone/bulk"}


@pytest.fixture
async def parts() -> AsyncIterator[Parts]:
    async with running(SimulatorConfig(seed=5, duration=(20.0, 40.0))) as opened:
        yield opened


def runner(parts: Parts, *, policy: PollPolicy = POLICY, webhook_poll: float = 60.0) -> JobRunner:
    return JobRunner(
        parts.config,
        parts.sender,
        parts.poller,
        policy=policy,
        webhook_poll_interval=webhook_poll,
    )


class BlankIds:
    """The simulator's answers, a start's job id blanked (an API that broke its promise)."""

    def __init__(self, inner: Transport) -> None:
        self.inner = inner

    async def send(self, request: Request) -> Response:
        response = await self.inner.send(request)
        if request.method != "POST":
            return response
        blanked = orjson.loads(response.body) | {"id": " "}
        return Response(response.status, response.headers, orjson.dumps(blanked))

    async def aclose(self) -> None:
        await self.inner.aclose()


async def test_a_start_answered_without_a_job_id_is_an_unknown_outcome(parts: Parts) -> None:
    parts.sender.transport = BlankIds(parts.sender.transport)
    with pytest.raises(OutcomeUnknownError, match="no job id"):
        await runner(parts).start(EMAIL_BULK, BulkJob, *STARTS[EMAIL_BULK])
    assert parts.sim.stats.created == {EMAIL_BULK.path: 1}  # sent once, never again


def test_every_row_has_a_sample() -> None:
    assert set(STARTS) == set(JOBS)


@pytest.mark.parametrize("spec", JOBS, ids=lambda spec: spec.name)
async def test_every_row_starts_reads_and_waits(parts: Parts, spec: JobSpec[Any]) -> None:
    jobs = runner(parts)
    started = await jobs.start(spec, BulkJob if spec.bulk else SingleJob, *STARTS[spec])
    assert started.id
    assert parts.sim.stats.created == {spec.path: 1}
    assert parts.sim.batch(started.id).path == spec.path
    ongoing = await jobs.get(spec, started.id)
    assert ongoing.status is BatchStatus.ONGOING
    if spec.bulk:
        seen: list[Progress] = []
        batch = await jobs.wait(
            spec,
            started.id,
            timeout=600,
            on_progress=seen.append,
            estimated_minutes=started.estimated_duration,
            webhook=None,
        )
        assert batch.status is BatchStatus.COMPLETED
        assert batch.stats.finished == batch.stats.requested == len(STARTS[spec][0])
        assert seen[-1].status is BatchStatus.COMPLETED
        assert await jobs.get(spec, started.id) == batch
    else:
        done = await jobs.wait(spec, started.id, timeout=600, webhook=None)
        assert done.status is BatchStatus.COMPLETED
        assert done.result is not None
        assert await jobs.get(spec, started.id) == done


@pytest.mark.parametrize("kind", list(BULKS))
async def test_a_failed_bulk_raises_batch_failed(parts: Parts, kind: Any) -> None:
    (spec,) = [spec for spec in JOBS if spec.path == BULKS[kind]]
    items = {"email": [JIM], "verify": ["jim@dundermifflin.com"], "phone": [PHONE]}[kind]
    batch_id = parts.sim.add_batch(items * 4, kind=kind, duration=10.0, fail=True)
    with pytest.raises(BatchFailedError) as info:
        await runner(parts).wait(
            spec, batch_id, timeout=600, on_progress=None, estimated_minutes=None, webhook=None
        )
    assert info.value.batch_id == batch_id
    assert info.value.progress.status is BatchStatus.FAILED
    assert info.value.progress.requested == 4
    assert polling() == 0


async def test_a_wait_times_out_as_asked(parts: Parts) -> None:
    (batch_id,) = parts.batches(1)
    start = anyio.current_time()
    with pytest.raises(TimeoutError):
        await runner(parts).wait(
            EMAIL_BULK,
            batch_id,
            timeout=30,
            on_progress=None,
            estimated_minutes=None,
            webhook=None,
        )
    assert anyio.current_time() == pytest.approx(start + 30)  # virtual seconds


async def test_the_hint_in_minutes_bounds_the_wait_for_the_first_change(parts: Parts) -> None:
    # Progress in quarter steps: nothing moves for the first 22.5 s. Without a hint the waits
    # grow 1, 10, 100 s; with estimated_minutes=1, a poll comes at the hinted end.
    slow = PollPolicy(
        initial=1.0, factor=10.0, max_interval=1000.0, horizon=10.0, jitter=0.0, spread=0.0
    )
    jobs = runner(parts, policy=slow)
    people = [JIM] * 8
    hinted, plain = (parts.sim.add_batch(people, duration=90.0, curve="steps") for _ in "ab")
    start = anyio.current_time()
    async with anyio.create_task_group() as tg:
        for batch_id, minutes in ((hinted, 1.0), (plain, None)):
            tg.start_soon(_wait, jobs, batch_id, minutes)
    near_hint = [at - start for at in parts.transport.gets(hinted) if 55 <= at - start <= 65]
    assert near_hint, "a poll at the hinted finish"
    assert not [at for at in parts.transport.gets(plain) if 55 <= at - start <= 65]


async def _wait(jobs: JobRunner, batch_id: str, minutes: float | None) -> None:
    await jobs.wait(
        EMAIL_BULK,
        batch_id,
        timeout=600,
        on_progress=None,
        estimated_minutes=minutes,
        webhook=None,
    )


async def test_with_a_webhook_source_the_safety_net_polls_every_interval(parts: Parts) -> None:
    class Silent:  # a WebhookSource that never calls back
        def subscribe(self, batch_id: str, callback: Any) -> Any:
            return lambda: None

    (batch_id,) = parts.batches(1, duration=120.0)
    start = anyio.current_time()
    batch = await runner(parts, webhook_poll=50.0).wait(
        EMAIL_BULK,
        batch_id,
        timeout=600,
        on_progress=None,
        estimated_minutes=None,
        webhook=Silent(),
    )
    assert batch.status is BatchStatus.COMPLETED
    gets = [round(at - start, 3) for at in parts.transport.gets(batch_id)]
    assert gets == [50.0, 100.0, 150.0]


@pytest.mark.parametrize(
    ("ids", "options", "error"),
    [
        ("one-id", {}, TypeError),
        (["ok", ""], {}, ValueError),
        (["ok", 3], {}, TypeError),
        (["ok"], {"timeout": -1}, ValueError),
        (["ok"], {"on_progress": "print"}, TypeError),
    ],
)
async def test_bad_streams_are_refused_before_any_request(
    parts: Parts, ids: Any, options: dict[str, Any], error: type[Exception]
) -> None:
    arguments = {"timeout": 10.0, "on_progress": None} | options
    with pytest.raises(error):
        runner(parts).stream(EMAIL_BULK, ids, arguments["timeout"], arguments["on_progress"])
    assert parts.transport.sent == []


async def test_account(parts: Parts) -> None:
    info = await runner(parts).account(AccountInfo)
    assert info.credits > 0
    assert [s.method for s in parts.transport.sent] == ["GET"]
