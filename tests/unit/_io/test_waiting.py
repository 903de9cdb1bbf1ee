"""BatchStream: results as batches finish, progress callbacks, the deadline, errors, leaving.

Real parts (simulator in memory, MemoryTransport, Sender, Scheduler) on the virtual clock; a
Recorder around the transport tells when each GET went out.
"""

from __future__ import annotations

import asyncio
import gc
import warnings
from collections.abc import Callable
from typing import Any

import anyio
import anyio.lowlevel
import orjson
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from enrow_async import (
    AuthenticationError,
    BatchErrors,
    BatchNotFoundError,
    BatchStatus,
    BatchTimeoutError,
    PollPolicy,
    Progress,
    WebhookEvent,
    parse_webhook,
)
from enrow_async._core.jobs import EMAIL_BULK, JOBS, PHONE_BULK, VERIFY_BULK, JobSpec

from .parts import LONG, Parts, instant, running, workers

pytestmark = pytest.mark.anyio

SAFETY_NET = PollPolicy(initial=3600.0, min_interval=3600.0, max_interval=3600.0, spread=0.0)
"""A webhook-driven wait's plan: the notification, not these polls, should end it."""


class Hooks:
    """A WebhookSource in memory: ``deliver`` hands a parsed event to its id's subscribers."""

    def __init__(self) -> None:
        self.subscribers: dict[str, list[Callable[[Any], object]]] = {}

    def subscribe(self, batch_id: str, callback: Callable[[Any], object]) -> Callable[[], None]:
        callbacks = self.subscribers.setdefault(batch_id, [])
        callbacks.append(callback)

        def unsubscribe() -> None:
            if callback in callbacks:
                callbacks.remove(callback)

        return unsubscribe

    def deliver(self, name: str, batch_id: str) -> WebhookEvent:
        event = parse_webhook(orjson.dumps({"event": name, "id": batch_id}))
        for callback in list(self.subscribers.get(batch_id, ())):
            callback(event)
        return event

    @property
    def count(self) -> int:
        return sum(map(len, self.subscribers.values()))


def linear(parts: Parts, duration: float, n: int = 50) -> str:
    """An email batch of ``n`` searches whose progress grows linearly over ``duration``."""
    people = [{"fullname": f"P {i}", "company_domain": f"co{i}.com"} for i in range(n)]
    return parts.sim.add_batch(people, duration=duration, curve="linear")


# -- on_progress -----------------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["sync", "async"])
async def test_on_progress_in_order_in_the_callers_task_and_once_at_the_end(kind: str) -> None:
    caller = asyncio.current_task()
    seen: list[tuple[str, str, Any]] = []

    def sync(progress: Progress) -> None:
        assert asyncio.current_task() is caller
        seen.append(("progress", progress.batch_id, progress))

    async def coroutine(progress: Progress) -> None:
        await anyio.lowlevel.checkpoint()
        sync(progress)

    async with running() as parts:
        ids = [linear(parts, 10.0), linear(parts, 20.0)]
        stream = parts.stream(ids, on_progress=sync if kind == "sync" else coroutine)
        async for batch in stream:
            seen.append(("batch", batch.id, batch))
    for batch_id in ids:
        mine = [(what, item) for what, bid, item in seen if bid == batch_id]
        *progress, (last, batch) = mine
        assert last == "batch"
        assert batch.status is BatchStatus.COMPLETED
        snapshots = [item for what, item in progress]
        assert {what for what, _ in progress} == {"progress"}
        assert len(snapshots) > 2, "a 10-20 s batch polled every 2 s or less"
        counts = [p.finished for p in snapshots]
        assert counts == sorted(counts)
        statuses = [p.status for p in snapshots]
        assert statuses == [BatchStatus.ONGOING] * (len(statuses) - 1) + [BatchStatus.COMPLETED]
        assert snapshots[-1].finished == 50


async def test_a_raising_callback_ends_the_wait_and_every_poll() -> None:
    def boom(progress: Progress) -> None:
        raise RuntimeError("callback bug")

    async with running() as parts:
        ids = [linear(parts, 100.0) for _ in range(3)]
        with pytest.raises(RuntimeError, match="callback bug"):
            async for _ in parts.stream(ids, on_progress=boom):
                pass
        gets = len(parts.transport.gets())
        await anyio.sleep(600.0)
        assert len(parts.transport.gets()) == gets
        assert parts.scheduler.watched == 0


# -- the deadline ----------------------------------------------------------------------------


async def test_the_deadline_raises_with_the_last_progress() -> None:
    async with running() as parts:
        (job_id,) = parts.batches(1)
        start = anyio.current_time()
        with pytest.raises(BatchTimeoutError) as info:
            await parts.stream([job_id], timeout=5.0).__anext__()
        assert anyio.current_time() == pytest.approx(start + 5.0)  # virtual seconds
        gets = len(parts.transport.gets())
        await anyio.sleep(600.0)
        assert len(parts.transport.gets()) == gets, "a timed-out wait polls no more"
    error = info.value
    assert error.timeout == 5.0
    assert set(error.pending) == {job_id}
    last = error.pending[job_id]
    assert last is not None
    assert last.status is BatchStatus.ONGOING
    assert error.progress == last
    assert instant(parts.transport.gets()[-1]) <= instant(start + 5.0)


async def test_a_batch_never_read_before_the_deadline_is_pending_with_none() -> None:
    async with running() as parts:
        (job_id,) = parts.batches(1)
        with pytest.raises(BatchTimeoutError) as info:
            await parts.stream([job_id], timeout=0.0).__anext__()
    assert info.value.pending == {job_id: None}


@settings(max_examples=10)
@given(fast=st.lists(st.booleans(), max_size=6))
async def test_finished_batches_are_yielded_before_the_timeout(fast: list[bool]) -> None:
    fast = [*fast, False]  # at least one batch outlasts the deadline
    async with running() as parts:
        ids = [parts.batches(1, duration=5.0 if quick else LONG)[0] for quick in fast]
        got: list[str] = []
        with pytest.raises(BatchTimeoutError) as info:
            stream = parts.stream([*ids, "missing"], timeout=30.0, collect_errors=True)
            async for batch in stream:
                got.append(batch.id)
    assert sorted(got) == sorted(job_id for job_id, quick in zip(ids, fast, strict=True) if quick)
    slow = [job_id for job_id, quick in zip(ids, fast, strict=True) if not quick]
    assert list(info.value.pending) == slow
    for last in info.value.pending.values():
        assert last is not None
        assert last.status is BatchStatus.ONGOING
    assert set(info.value.errors) == {"missing"}
    assert isinstance(info.value.errors["missing"], BatchNotFoundError)


# -- errors ----------------------------------------------------------------------------------


async def test_an_unknown_id_does_not_stop_the_others_and_comes_last() -> None:
    async with running() as parts:
        first, second = parts.batches(2, duration=5.0)
        got: list[str] = []
        with pytest.raises(BatchErrors) as info:
            async for batch in parts.stream([first, "missing", second], collect_errors=True):
                got.append(batch.id)
    assert sorted(got) == sorted([first, second])
    assert set(info.value.errors) == {"missing"}
    assert isinstance(info.value.errors["missing"], BatchNotFoundError)


async def test_without_collect_errors_an_unknown_id_ends_the_wait() -> None:
    async with running() as parts:
        ids = [*parts.batches(2), "missing"]
        with pytest.raises(BatchNotFoundError):
            async for _ in parts.stream(ids):
                pass
        assert parts.scheduler.watched == 0


async def test_a_client_wide_error_ends_the_wait_at_once() -> None:
    async with running(key="wrong-key") as parts:
        ids = parts.batches(5)
        with pytest.raises(AuthenticationError):
            async for _ in parts.stream(ids, collect_errors=True):
                pass
        raised = anyio.current_time()
        gets = parts.transport.gets()
        await anyio.sleep(600.0)
        assert parts.transport.gets() == gets
        assert parts.scheduler.watched == 0
    assert instant(raised) == instant(gets[0]), "at the first answer, not after the others"


# -- leaving ---------------------------------------------------------------------------------


@pytest.mark.parametrize("how", ["break", "aclose", "async with", "cancel"])
async def test_leaving_stops_every_poll(how: str) -> None:
    async with running() as parts:
        quick = parts.batches(1, duration=3.0)
        ids = [*quick, *parts.batches(5)]
        if how == "break":
            async for first in parts.stream(ids):
                batch = first
                break  # the stream is dropped: it closes
        elif how == "aclose":
            stream = parts.stream(ids)
            batch = await stream.__anext__()
            await stream.aclose()
            with pytest.raises(StopAsyncIteration):
                await stream.__anext__()
        elif how == "async with":
            async with parts.stream(ids) as stream:
                batch = await stream.__anext__()
        else:
            stream = parts.stream(ids)
            batch = await stream.__anext__()
            with anyio.move_on_after(10.0):
                await stream.__anext__()
        assert batch.id == quick[0]
        await anyio.wait_all_tasks_blocked()
        assert parts.scheduler.watched == 0
        assert workers() == 0
        gets = len(parts.transport.gets())
        await anyio.sleep(600.0)
        assert len(parts.transport.gets()) == gets


async def test_a_stream_collected_in_a_cycle_is_closed_at_the_next_turn() -> None:
    """The collector may drop a stream in the middle of the scheduler's own work: the
    stream closes on the loop's next turn, not inside whatever code was interrupted."""
    async with running() as parts:
        ids = parts.batches(1, duration=3.0) + parts.batches(3)
        stream = parts.stream(ids)
        await stream.__anext__()
        stream.cycle = stream  # type: ignore[attr-defined]
        del stream
        gc.collect()
        assert parts.scheduler.watched == 3, "not closed from inside the collector"
        await anyio.lowlevel.checkpoint()
        assert parts.scheduler.watched == 0
        gets = len(parts.transport.gets())
        await anyio.sleep(600.0)
        assert len(parts.transport.gets()) == gets
        assert workers() == 0


async def test_a_stream_never_started_is_dropped_without_a_warning() -> None:
    async with running() as parts:
        stream = parts.stream(parts.batches(2))
        with warnings.catch_warnings(record=True) as seen:
            warnings.simplefilter("always")
            del stream
            gc.collect()
        assert [w for w in seen if issubclass(w.category, ResourceWarning)] == []
        assert parts.scheduler.watched == 0


async def test_duplicate_ids_are_waited_once() -> None:
    async with running() as parts:
        first, second = parts.batches(1, duration=2.0) + parts.batches(1, duration=6.0)
        got = [batch.id async for batch in parts.stream([first, first, second, first])]
        gets = parts.transport.gets(first)
    assert got == [first, second]
    assert len({instant(at) for at in gets}) == len(gets), "one watch: one GET at a time"


# -- watching progress -----------------------------------------------------------------------


async def test_yield_progress_streams_snapshots_until_done() -> None:
    async with running() as parts:
        job_id = linear(parts, 10.0)
        stream = parts.stream([job_id], yield_progress=True)
        snapshots = [p async for p in stream]
        assert stream.last(job_id) == snapshots[-1]
        assert stream.last("other") is None
    assert snapshots[-1].status is BatchStatus.COMPLETED
    assert all(p.status is BatchStatus.ONGOING for p in snapshots[:-1])
    assert all(p.batch_id == job_id for p in snapshots)


async def test_a_batch_done_before_the_first_poll_gives_one_snapshot() -> None:
    async with running() as parts:
        (job_id,) = parts.batches(1, duration=0.0)
        snapshots = [p async for p in parts.stream([job_id], yield_progress=True)]
    assert [p.status for p in snapshots] == [BatchStatus.COMPLETED]


# -- webhook hints ---------------------------------------------------------------------------

KINDS: dict[str, tuple[JobSpec[Any], str, list[Any]]] = {
    "email": (EMAIL_BULK, "email", [{"fullname": "Jim Halpert", "company_domain": "dm.com"}]),
    "verify": (VERIFY_BULK, "verify", ["jim@dundermifflin.com"]),
    "phone": (PHONE_BULK, "phone", [{"linkedin_url": "https://www.linkedin.com/in/jim"}]),
}


@pytest.mark.parametrize("kind", list(KINDS))
async def test_a_webhook_wakes_a_wait_only_with_its_own_event(kind: str) -> None:
    spec, sim_kind, items = KINDS[kind]
    others = sorted({row.event for row in JOBS.values()} - {spec.event})
    hooks = Hooks()
    got: list[Any] = []
    async with running() as parts:
        job_id = parts.sim.add_batch(items, kind=sim_kind, duration=10.0)
        stream = parts.stream(
            [job_id], spec=spec, policy=SAFETY_NET, hinted=PollPolicy(), webhook=hooks
        )

        async def wait() -> None:
            got.extend([batch async for batch in stream])

        async with anyio.create_task_group() as tg:
            tg.start_soon(wait)
            await anyio.sleep(20.0)
            assert hooks.count == 1
            for name in others:  # another kind's notification for this id wakes nothing
                hooks.deliver(name, job_id)
                await anyio.sleep(5.0)
            assert parts.transport.gets() == []
            told = anyio.current_time()
            hooks.deliver(spec.event, job_id)
        gets = parts.transport.gets()
    assert len(gets) == 1
    assert 0 <= gets[0] - told <= 0.05 + 1e-6, "read at once (within half a tick)"
    assert [batch.status for batch in got] == [BatchStatus.COMPLETED]
    assert hooks.count == 0, "the stream unsubscribes when it ends"


async def test_an_early_webhook_switches_to_the_normal_plan() -> None:
    hooks = Hooks()
    async with running() as parts:
        job_id = linear(parts, 20.0)
        stream = parts.stream([job_id], policy=SAFETY_NET, hinted=PollPolicy(), webhook=hooks)
        async with stream, anyio.create_task_group() as tg:
            tg.start_soon(stream.__anext__)
            await anyio.sleep(2.0)
            hooks.deliver("bulk_search_finished", job_id)  # too early: still ongoing
        gets = parts.transport.gets()
    assert len(gets) >= 3, "polled again on the normal plan, not after an hour"
    assert gets[-1] < 60.0
