"""Waiting: the Poller's task per batch (when polls go out, what the waiter is told, the
client-wide limits it meets through the sender) and BatchStream (results as batches finish,
progress callbacks, the deadline, errors, leaving).

Real parts (simulator in memory, MemoryTransport, Sender, Poller) on the virtual clock; a
Recorder around the transport tells when each GET went out and how many were in flight.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import itertools
import random
import traceback
import warnings
from collections import Counter
from collections.abc import AsyncIterator, Callable
from typing import Any

import anyio
import anyio.lowlevel
import attrs
import orjson
import pytest
from helpers import GET_BULK, JIM, Connect, Simulate, client_tasks
from hypothesis import given, settings
from hypothesis import strategies as st

from enrow_async import (
    AuthenticationError,
    BatchErrors,
    BatchNotFoundError,
    BatchStatus,
    BatchTimeoutError,
    ClientClosedError,
    PollPolicy,
    Progress,
    RetryPolicy,
    WebhookEvent,
    parse_webhook,
)
from enrow_async._core.jobs import EMAIL_BULK, JOBS, PHONE_BULK, VERIFY_BULK, JobSpec
from enrow_async._core.schedule import LAST_CALL, PollPlan
from enrow_async._io.turns import BIG, REST
from enrow_async._io.waiting import BatchStream
from enrow_async.testing import EnrowSimulator, Faults, SimulatorConfig

from .parts import LONG, POLICY, Parts, instant, polling, running

pytestmark = pytest.mark.anyio

SAFETY_NET = 3600.0
"""A webhook-driven wait's polls, hourly: the notification, not these polls, should end it."""


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
        assert polling() == 0


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
        assert polling() == 0


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
        assert polling() == 0
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
        assert polling() == 0
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
        assert polling() == 3, "not closed from inside the collector"
        await anyio.lowlevel.checkpoint()
        assert polling() == 0
        gets = len(parts.transport.gets())
        await anyio.sleep(600.0)
        assert len(parts.transport.gets()) == gets
        assert polling() == 0


async def test_a_stream_never_started_is_dropped_without_a_warning() -> None:
    async with running() as parts:
        stream = parts.stream(parts.batches(2))
        with warnings.catch_warnings(record=True) as seen:
            warnings.simplefilter("always")
            del stream
            gc.collect()
        assert [w for w in seen if issubclass(w.category, ResourceWarning)] == []
        assert polling() == 0


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
    others = sorted({row.event for row in JOBS} - {spec.event})
    hooks = Hooks()
    got: list[Any] = []
    async with running() as parts:
        job_id = parts.sim.add_batch(items, kind=sim_kind, duration=10.0)
        stream = parts.stream(
            [job_id], spec=spec, policy=PollPolicy(), safety=SAFETY_NET, webhook=hooks
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
        stream = parts.stream([job_id], policy=PollPolicy(), safety=SAFETY_NET, webhook=hooks)
        async with stream, anyio.create_task_group() as tg:
            tg.start_soon(stream.__anext__)
            await anyio.sleep(2.0)
            hooks.deliver("bulk_search_finished", job_id)  # too early: still ongoing
        gets = parts.transport.gets()
    assert len(gets) >= 3, "polled again on the normal plan, not after an hour"
    assert gets[-1] < 60.0


# -- the poller: when polls go out -----------------------------------------------------------


def tick(due: float, size: float) -> float:
    """Where a poll due at ``due`` wakes: the nearest tick of the shared grid."""
    return round(due / size) * size if size else due


def at_once(seconds: float) -> PollPolicy:
    """A plan whose first poll comes after exactly ``seconds``."""
    return PollPolicy(initial=seconds, min_interval=min(seconds, 0.25), spread=0.0)


@contextlib.asynccontextmanager
async def waited(stream: BatchStream[Any, Any]) -> AsyncIterator[list[Any]]:
    """``stream`` iterated by a task of its own while the block runs: what it yielded."""
    got: list[Any] = []

    async def wait() -> None:
        got.extend([item async for item in stream])

    async with stream, anyio.create_task_group() as tg:
        tg.start_soon(wait)
        yield got
        tg.cancel_scope.cancel()


async def test_a_closed_poller_refuses_a_new_stream_before_polling() -> None:
    async with running() as parts:
        stream = parts.stream(parts.batches(1))
        parts.closed = True
        with pytest.raises(ClientClosedError, match="closed"):
            await stream.__anext__()
        assert polling() == 0
        assert parts.transport.gets() == []


@settings(max_examples=8)
@given(seed=st.integers(0, 2**32 - 1))
async def test_first_polls_are_spread_over_the_window(seed: int) -> None:
    # Each first poll after plan.first_delay(rand), so that a wait on many batches does not
    # read them all at once.
    policy = PollPolicy(initial=2.0, spread=0.5, min_interval=0.25, max_interval=5.0)
    async with running(seed=seed) as parts:
        ids = parts.batches(40)
        draws = random.Random(seed)  # the parts' rand: the same draws, in the same order
        start = anyio.current_time()
        plan = PollPlan(policy, started_at=start)
        expected = {
            job_id: instant(tick(start + plan.first_delay(draws.random()), 0.1)) for job_id in ids
        }
        async with parts.stream(ids, policy=policy) as stream:
            with anyio.move_on_after(3.2):
                await stream.__anext__()
        first = {job_id: instant(at) for job_id, at in parts.transport.first_gets().items()}
    assert first == expected
    assert all(start + 0.95 <= at <= start + 3.05 for at in first.values())
    assert len(set(first.values())) >= 10, "40 first polls over 21 ticks of 0.1 s"


@settings(max_examples=15)
@given(
    delays=st.lists(st.floats(0.25, 4.0), min_size=1, max_size=12),
    size=st.sampled_from([0.0, 0.05, 0.1, 0.25]),
)
async def test_polls_due_in_one_tick_wake_together(delays: list[float], size: float) -> None:
    async with running(tick=size) as parts:
        ids = parts.batches(len(delays))
        first_delay = dict(zip(ids, delays, strict=True))
        now = anyio.current_time()
        async with waited(parts.stream(ids, policy=lambda job_id: at_once(first_delay[job_id]))):
            await anyio.sleep(max(delays) + size + 0.01)
        first = parts.transport.first_gets()
    expected = {job_id: tick(now + d, size) for job_id, d in first_delay.items()}
    assert first.keys() == expected.keys()
    for job_id, at in first.items():
        assert at == pytest.approx(expected[job_id], abs=1e-6)
        assert abs(at - (now + first_delay[job_id])) <= size / 2 + 1e-6


async def test_the_first_poll_comes_before_the_deadline() -> None:
    async with running() as parts:
        now = anyio.current_time()
        with pytest.raises(BatchTimeoutError):
            await parts.stream(parts.batches(1), policy=at_once(10.0), timeout=1.0).__anext__()
        assert parts.transport.gets() == [pytest.approx(tick(now + 1.0 - LAST_CALL, 0.1))]


@pytest.mark.parametrize("limit", [1, 3, 10])
async def test_max_in_flight_bounds_concurrent_gets(limit: int) -> None:
    config = SimulatorConfig(seed=3, faults=Faults(slow=1.0, slow_seconds=5.0))
    async with running(config, max_in_flight=limit) as parts:
        ids = parts.batches(10)
        start = anyio.current_time()
        async with waited(parts.stream(ids, policy=at_once(1.0))):
            await anyio.sleep(60.0)
        first = parts.transport.first_gets()
        assert parts.transport.peak == limit
        assert first.keys() == set(ids)
    # Polls waiting for a slot go in turn: waves of `limit` GETs, 5 s (one slow answer) apart.
    waves = Counter(instant(at - start) for at in first.values())
    expected = Counter(instant(1.0 + 5.0 * (n // limit)) for n in range(10))
    assert waves == expected


async def test_a_429_pauses_every_poll() -> None:
    config = SimulatorConfig(seed=3, faults=Faults(retry_after=5.0))
    async with running(config) as parts:
        ids = parts.batches(5)
        policy = PollPolicy(initial=0.3, min_interval=0.25, max_interval=0.5)
        async with waited(parts.stream(ids, policy=policy)):
            await anyio.sleep(3.0)
            parts.sim.inject("rate_limited", method="GET")
            await anyio.sleep(0.6)  # every batch polls at least every 0.5 s: one got the 429
            limited = next(s for s in parts.transport.sent if s.status == 429)
            await anyio.sleep(limited.at + 15.0 - anyio.current_time())
        sent = parts.transport.sent
    during = [s for s in sent if limited.at < s.at < limited.at + 5.0]
    assert during == [], "no GET of any batch while the 429 pause lasts"
    after = {s.job_id for s in sent if s.at >= limited.at + 5.0}
    assert after == set(ids), "every batch is polled again once it is over"


# -- the poller: leaving and closing ---------------------------------------------------------


async def test_closing_stops_a_poll_in_flight_and_the_others_go_on() -> None:
    config = SimulatorConfig(seed=3, faults=Faults(slow=1.0, slow_seconds=30.0))
    async with running(config, max_in_flight=1) as parts:
        first_id, second_id = parts.batches(2)
        first = parts.stream([first_id], policy=at_once(0.25))
        async with waited(first), waited(parts.stream([second_id], policy=at_once(0.5))):
            await anyio.sleep(1.0)
            assert parts.transport.in_flight == 1
            first.close()
            await anyio.sleep(1.0)
            assert parts.transport.cancelled == 1
            assert parts.transport.in_flight == 1, "the slot went to the other batch"
            await anyio.sleep(60.0)
            assert len(parts.transport.gets(first_id)) == 1
            assert len(parts.transport.gets(second_id)) >= 2
    assert polling() == 0


async def test_a_hung_poll_is_cut_at_the_attempt_deadline_and_polled_again() -> None:
    """One deadline per attempt: a poll still out after connect + read timeout is cut,
    counted as a transient failure (the API's health too), and polled again."""
    async with running(connect_timeout=1.0, read_timeout=2.0) as parts:
        (job_id,) = parts.batches(1, duration=0.0)
        parts.sim.inject("hang", count=2, method="GET")
        start = anyio.current_time()
        stream = parts.stream([job_id], policy=at_once(1.0))
        with anyio.fail_after(600.0):
            batch = await stream.__anext__()
        gets = [at - start for at in parts.transport.gets()]
    assert batch.status is BatchStatus.COMPLETED
    assert parts.transport.cancelled == 2
    assert len(gets) == 3
    assert gets[0] == pytest.approx(1.0)
    assert 3.0 <= gets[1] - gets[0] <= 3.0 + 0.5, "cut at 3 s, then a backoff of at most 0.4 s"
    assert 3.0 <= gets[2] - gets[1] <= 3.0 + 0.9
    assert parts.sender.health.failures == 0


async def test_polls_answered_in_time_are_never_cut() -> None:
    config = SimulatorConfig(seed=3, faults=Faults(slow=1.0, slow_seconds=2.9))
    async with running(config, connect_timeout=1.0, read_timeout=2.0) as parts:
        ids = parts.batches(20, duration=30.0)
        with anyio.fail_after(600.0):
            got = [batch async for batch in parts.stream(ids, policy=at_once(0.5))]
        assert len(got) == 20
        assert parts.transport.cancelled == 0
        assert parts.sender.health.failures == 0


async def test_aclose_fails_every_live_wait_at_once_and_leaves_no_task() -> None:
    config = SimulatorConfig(seed=3, faults=Faults(slow=1.0, slow_seconds=30.0))
    async with running(config) as parts:
        polled, waiting = parts.batches(2)
        stream = parts.stream(
            [polled, waiting], policy=lambda i: at_once(0.25 if i == polled else 100.0)
        )
        failures: list[BaseException] = []

        async def wait() -> None:
            with pytest.raises(ClientClosedError) as info:
                await stream.__anext__()
            failures.append(info.value)

        async with anyio.create_task_group() as tg:
            tg.start_soon(wait)
            await anyio.sleep(1.0)
            assert parts.transport.in_flight == 1
            await parts.poller.aclose()
        assert polling() == 0, "every task was cancelled and awaited"
        assert parts.transport.cancelled == 1
        assert "closed" in str(failures[0])
        await anyio.sleep(200.0)
        assert len(parts.transport.gets()) == 1, "nothing more is polled"


async def test_no_task_is_left_once_every_batch_is_done() -> None:
    async with running() as parts:
        stream = parts.stream(parts.batches(4, duration=3.0), policy=at_once(1.0))
        assert polling() == 0
        got = [await stream.__anext__()]
        assert 0 < polling() <= 3
        got += [batch async for batch in stream]
        await anyio.wait_all_tasks_blocked()
        assert polling() == 0
        gets = len(parts.transport.gets())
        await anyio.sleep(600.0)
        assert len(parts.transport.gets()) == gets
    assert len(got) == 4


# -- the poller: what the waiter is told -----------------------------------------------------


@pytest.mark.parametrize("key", [None, "wrong-key"])
async def test_a_final_error_ends_the_polling_at_once(key: str | None) -> None:
    async with running(key=key) as parts:
        job_id = "no-such-batch" if key is None else parts.batches(1)[0]
        expected = BatchNotFoundError if key is None else AuthenticationError
        with pytest.raises(expected):
            await parts.stream([job_id], policy=at_once(1.0)).__anext__()
        await anyio.sleep(60.0)
        assert len(parts.transport.gets()) == 1


@pytest.mark.parametrize("failures", [1, 5])
async def test_transient_failures_never_end_a_wait(failures: int) -> None:
    """Failures beyond ``RetryPolicy.attempts`` (here 1): a poll is tried again for as long
    as its wait lasts."""
    async with running(retry=RetryPolicy(attempts=1)) as parts:
        (job_id,) = parts.batches(1, duration=2.0)
        parts.sim.inject("server_error", count=failures, method="GET")
        with anyio.fail_after(600.0):
            batch = await parts.stream([job_id], policy=at_once(1.0)).__anext__()
        gets = parts.transport.gets()
    assert batch.status is BatchStatus.COMPLETED
    assert len(gets) >= failures + 1


async def test_progress_carries_the_fit_eta_and_when_it_was_taken() -> None:
    async with running() as parts:
        people = [{"fullname": f"P {i}", "company_domain": "co.com"} for i in range(200)]
        job_id = parts.sim.add_batch(people, duration=40.0, curve="linear")
        start = anyio.current_time()
        progressed = [p async for p in parts.stream([job_id], yield_progress=True)]
    finish = parts.sim.batch(job_id).finish_at
    progressed = progressed[:-1]  # the last one is the completed batch
    assert all(p.taken_at is not None and start < p.taken_at < finish for p in progressed)
    late = [p for p in progressed if p.fraction >= 0.5 and p.eta is not None]
    assert late, "progress seen past half way"
    for p in late:  # the fit's finish, within a quarter of the time left
        assert p.finish_at is not None
        assert abs(p.finish_at - finish) <= 0.25 * (finish - p.taken_at) + 0.5


async def test_without_a_listener_a_plan_is_not_asked_for_an_eta() -> None:
    async with running() as parts:
        job_id = linear(parts, 20.0)
        stream = parts.stream([job_id])
        batch = await stream.__anext__()
        last = stream.last(job_id)
    assert batch.status is BatchStatus.COMPLETED
    assert last is not None
    assert last.eta == 0.0  # done; the snapshots before it carried none (nobody read them)


async def test_a_hint_reads_a_sleeping_batch_within_half_a_tick() -> None:
    hooks = Hooks()
    async with running(tick=0.1) as parts:
        (job_id,) = parts.batches(1)
        async with waited(parts.stream([job_id], policy=at_once(100.0), webhook=hooks)):
            await anyio.sleep(1.23)
            asked = anyio.current_time()
            hooks.deliver("bulk_search_finished", job_id)
            await anyio.sleep(1.0)
        (at,) = parts.transport.gets()
    assert 0 <= at - asked <= 0.05 + 1e-6


async def test_a_hint_while_a_poll_is_out_brings_another_right_after_it() -> None:
    hooks = Hooks()
    config = SimulatorConfig(seed=3, faults=Faults(slow_seconds=2.0))
    async with running(config, tick=0.1) as parts:
        (job_id,) = parts.batches(1)
        parts.sim.inject("slow", method="GET")  # the first poll, at 1 s, answered at 3 s
        stream = parts.stream([job_id], policy=at_once(1.0), safety=1.0, webhook=hooks)
        async with waited(stream):
            await anyio.sleep(2.0)
            hooks.deliver("bulk_search_finished", job_id)  # while that poll is out
            await anyio.sleep(2.0)
        first, second, *_ = parts.transport.gets()
    assert first == pytest.approx(1.0)
    assert 3.0 <= second <= 3.0 + 0.05 + 1e-6, "polled again as the held answer came"


# -- webhook hints through the client (issue 12, rule 7): however many arrive for one batch,
# at most one extra GET a second, and never a lasting chain of polls


async def test_a_flood_of_events_for_an_ongoing_batch_adds_a_few_gets_not_a_chain(
    sim: EnrowSimulator, connect: Connect
) -> None:
    batch_id = sim.add_batch(JIM, duration=120.0)
    hooks = Hooks()
    async with connect(sim, webhook_poll_interval=3600.0) as client:
        async with anyio.create_task_group() as tg:
            tg.start_soon(lambda: client.wait_for_batch(batch_id, timeout=600, webhook=hooks))
            await anyio.sleep(1.0)
            before = sim.stats.requests[GET_BULK]
            for _ in range(10):  # 2,000 forged events over 10 s
                for _ in range(200):
                    hooks.deliver("bulk_search_finished", batch_id)
                await anyio.sleep(1.0)
            flood = sim.stats.requests[GET_BULK] - before
            await anyio.sleep(60.0)
            after = sim.stats.requests[GET_BULK] - before - flood
            tg.cancel_scope.cancel()
    assert flood <= 11  # at most one per second of flood
    # No chain left: one schedule polls on, the normal one (a hint switches the wait from
    # the hourly safety net to it, since the API may lag behind its own notification);
    # its waits here grow with the time since the first hint: a handful, not 2,000.
    assert after <= 8


async def test_an_event_during_a_poll_is_answered_right_after_it(
    sim: EnrowSimulator, connect: Connect
) -> None:
    batch_id = sim.add_batch(JIM, duration=5.0)
    hooks = Hooks()
    async with connect(sim, webhook_poll_interval=3600.0) as client:
        with anyio.fail_after(60):
            async with anyio.create_task_group() as tg:

                async def finish_later() -> None:
                    await anyio.sleep(5.0)
                    hooks.deliver("bulk_search_finished", batch_id)

                tg.start_soon(finish_later)
                batch = await client.wait_for_batch(batch_id, timeout=600, webhook=hooks)
    assert batch.status.done
    assert anyio.current_time() < 60  # woken by the hint, not the hourly safety net


# -- big answers arriving together (issue 27): read one per turn of the event loop -----------


@pytest.mark.parametrize("results", [200, 3])
async def test_big_answers_polled_together_are_read_in_iterations_of_their_own(
    results: int,
) -> None:
    """Ten completed batches polled at one instant. Of 200 results (45 KB answers), each
    answer is read into models in a loop iteration no other read shares, with the loop's own
    iterations between two (counted by a callback that schedules itself again); of 3
    results (small answers), all in one iteration, as they come."""
    count = 0
    reads: list[int] = []
    sizes: list[int] = []

    def tick() -> None:
        nonlocal count
        count += 1
        if len(reads) < 10:
            asyncio.get_running_loop().call_soon(tick)

    def read(job_id: str, response: Any) -> Any:
        if not reads:  # the answers are in: count iterations from here
            asyncio.get_running_loop().call_soon(tick)
        reads.append(count)
        sizes.append(len(response.body))
        return EMAIL_BULK.read(job_id, response)

    people = [{"fullname": f"P {i}", "company_domain": f"co{i}.com"} for i in range(results)]
    async with running() as parts:
        ids = [parts.sim.add_batch(people, duration=0.0) for _ in range(10)]
        spec = attrs.evolve(EMAIL_BULK, read=read)
        got = [batch async for batch in parts.stream(ids, spec=spec, policy=at_once(1.0))]
        assert len({instant(at) for at in parts.transport.gets()}) == 1, "polled together"
    assert sorted(batch.id for batch in got) == sorted(ids)
    assert len(sizes) == 10
    if results == 200:
        assert min(sizes) >= BIG
        assert all(b - a >= REST for a, b in itertools.pairwise(reads)), reads
    else:
        assert max(sizes) < BIG
        assert reads == [0] * 10


# -- waits on one job share its watch (issue 27): one poll stream, however many wait ----------

TEN_PEOPLE = [{"fullname": f"P {i}", "company_domain": "co.com"} for i in range(10)]


async def gets_of_waits(simulate: Simulate, connect: Connect, waits: int) -> tuple[int, list[Any]]:
    """``waits`` tasks waiting on one 30 s batch, on a fresh simulator: the GETs it served
    and what each wait got."""
    async with simulate(SimulatorConfig(seed=3)) as sim:
        batch_id = sim.add_batch(TEN_PEOPLE, duration=30.0)
        async with connect(sim) as client:
            got = await asyncio.gather(*(client.wait_for_batch(batch_id) for _ in range(waits)))
        return sim.stats.requests[GET_BULK], got


async def test_a_hundred_waits_on_one_batch_make_the_gets_of_one(
    simulate: Simulate, connect: Connect
) -> None:
    alone, (batch,) = await gets_of_waits(simulate, connect, 1)
    shared, got = await gets_of_waits(simulate, connect, 100)
    assert shared == alone
    assert alone >= 3, "polled a few times over 30 s"
    assert all(result is got[0] for result in got), "every wait gets the same result"
    assert got[0] == batch


async def test_waits_that_leave_do_not_stop_the_others(
    simulate: Simulate, connect: Connect
) -> None:
    alone, _ = await gets_of_waits(simulate, connect, 1)
    async with simulate(SimulatorConfig(seed=3)) as sim:
        batch_id = sim.add_batch(TEN_PEOPLE, duration=30.0)
        async with connect(sim) as client:
            tasks = [asyncio.create_task(client.wait_for_batch(batch_id)) for _ in range(100)]
            await anyio.sleep(10.0)
            for task in tasks[::2]:  # half of them leave midway, the first one among them
                task.cancel()
            await asyncio.wait(tasks)
        stayed = [task.result() for task in tasks[1::2]]
        assert all(task.cancelled() for task in tasks[::2])
        assert sim.stats.requests[GET_BULK] == alone
    assert all(batch is stayed[0] for batch in stayed)
    assert stayed[0].status is BatchStatus.COMPLETED


async def test_a_wait_that_joins_with_a_nearer_deadline_gets_its_last_call() -> None:
    """The watch sleeps 100 s; a wait joining at 1 s with a 5 s deadline brings the next
    poll forward to its last call, times out alone, and the first wait goes on."""
    async with running() as parts:
        (job_id,) = parts.batches(1, duration=30.0)
        async with waited(parts.stream([job_id], policy=at_once(100.0))) as got:
            await anyio.sleep(1.0)
            with pytest.raises(BatchTimeoutError) as info:
                await parts.stream([job_id], policy=POLICY, timeout=5.0).__anext__()
            assert parts.transport.gets(job_id) == [pytest.approx(6.0 - LAST_CALL)]
            assert polling() == 1, "the first wait still polls"
            await anyio.sleep(3600.0)
    last = info.value.pending[job_id]
    assert last is not None
    assert last.taken_at == pytest.approx(6.0 - LAST_CALL)
    assert last.elapsed == pytest.approx(5.0 - LAST_CALL), "from the joining wait's start"
    assert [batch.status for batch in got] == [BatchStatus.COMPLETED]


async def test_the_last_wait_to_leave_stops_the_polling(
    sim: EnrowSimulator, connect: Connect
) -> None:
    batch_id = sim.add_batch(TEN_PEOPLE, duration=LONG)
    async with connect(sim) as client:
        tasks = [asyncio.create_task(client.wait_for_batch(batch_id)) for _ in range(10)]
        await anyio.sleep(20.0)
        polled = sim.stats.requests[GET_BULK]
        assert polled >= 2
        for task in tasks:
            task.cancel()
        await asyncio.wait(tasks)
        await anyio.wait_all_tasks_blocked()
        assert client_tasks() == set(), "no task left behind"
        await anyio.sleep(600.0)
        assert sim.stats.requests[GET_BULK] == polled
        with pytest.raises(BatchTimeoutError):  # a new wait: a new watch, polling again
            await client.wait_for_batch(batch_id, timeout=5.0)
        assert sim.stats.requests[GET_BULK] > polled


async def test_every_wait_gets_the_same_error_with_its_own_traceback(
    sim: EnrowSimulator, connect: Connect
) -> None:
    errors: list[BaseException] = []
    depths: list[int] = []

    async def wait() -> None:
        try:
            await client.wait_for_batch("no-such-batch")
        except BatchNotFoundError as exc:
            errors.append(exc)
            depths.append(len(traceback.extract_tb(exc.__traceback__)))

    async with connect(sim) as client:
        await asyncio.gather(*(wait() for _ in range(20)))
    assert len(errors) == 20
    assert all(error is errors[0] for error in errors)
    assert len(set(depths)) == 1, "each wait's frames, not the others' before it"
    assert sim.stats.requests[GET_BULK] == 1


async def test_every_wait_is_told_the_progress_from_its_own_start(
    sim: EnrowSimulator, connect: Connect
) -> None:
    people = [{"fullname": f"P {i}", "company_domain": "co.com"} for i in range(100)]
    batch_id = sim.add_batch(people, duration=40.0, curve="linear")
    seen: dict[str, list[Progress]] = {"first": [], "late": []}
    async with connect(sim) as client:
        first = asyncio.create_task(
            client.wait_for_batch(batch_id, on_progress=seen["first"].append)
        )
        await anyio.sleep(10.0)
        joined = anyio.current_time()
        gets = sim.stats.requests[GET_BULK]
        late = asyncio.create_task(client.wait_for_batch(batch_id, on_progress=seen["late"].append))
        await anyio.wait_all_tasks_blocked()
        assert len(seen["late"]) == 1, "told the last progress at once"
        assert sim.stats.requests[GET_BULK] == gets, "without a GET of its own"
        assert await first is await late
    told_late = seen["late"]
    assert told_late[0].elapsed == 0.0
    assert told_late[0].finished == seen["first"][len(seen["first"]) - len(told_late)].finished
    for mine, theirs in zip(told_late, seen["first"][-len(told_late) :], strict=True):
        assert (mine.finished, mine.status, mine.taken_at) == (
            theirs.finished,
            theirs.status,
            theirs.taken_at,
        )
        if mine is not told_late[0]:
            assert mine.elapsed == pytest.approx(theirs.elapsed - joined)


async def test_a_wait_without_a_webhook_ends_the_safety_net(
    sim: EnrowSimulator, connect: Connect
) -> None:
    batch_id = sim.add_batch(TEN_PEOPLE, duration=20.0)
    hooks = Hooks()
    async with connect(sim, webhook_poll_interval=3600.0) as client:
        hooked = asyncio.create_task(client.wait_for_batch(batch_id, webhook=hooks))
        await anyio.sleep(5.0)
        assert sim.stats.requests[GET_BULK] == 0, "on the hourly safety net"
        with anyio.fail_after(60.0):
            plain = await client.wait_for_batch(batch_id)
        assert await hooked is plain
    assert sim.stats.requests[GET_BULK] >= 2, "polled on the normal plan"


async def test_waits_on_the_same_id_of_two_kinds_do_not_share(
    sim: EnrowSimulator, connect: Connect
) -> None:
    async with connect(sim) as client:
        results = await asyncio.gather(
            client.wait_for_batch("no-such-batch"),
            client.verify.bulk.wait("no-such-batch"),
            return_exceptions=True,
        )
    assert all(isinstance(error, BatchNotFoundError) for error in results)
    assert results[0] is not results[1]
    assert sim.stats.requests[GET_BULK] == 1
    assert sim.stats.requests["GET", "/email/verify/bulk"] == 1
