"""The Scheduler: one heap, a coalescing timer, a bounded pool of workers, explicit states.

Real parts (simulator in memory, MemoryTransport, Sender) on the virtual clock; a Recorder
around the transport tells when each GET went out and how many were in flight.
"""

from __future__ import annotations

import math
import random
from collections import Counter

import anyio
import anyio.abc
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from enrow_async import (
    AuthenticationError,
    BatchNotFoundError,
    BatchStatus,
    ClientClosedError,
    PollPolicy,
    RetryPolicy,
)
from enrow_async._core.http import Request, Response
from enrow_async._core.schedule import LAST_CALL, PollPlan
from enrow_async._io.scheduler import (
    Event,
    Failed,
    Finished,
    Progressed,
    WatchState,
)
from enrow_async.testing import Faults, SimulatorConfig

from .parts import instant, running, workers

pytestmark = pytest.mark.anyio


def tick(due: float, coalesce: float) -> float:
    """Where the scheduler's timer puts a poll due at ``due``: the nearest grid tick."""
    return round(due / coalesce) * coalesce if coalesce else due


def drain(receive: anyio.abc.ObjectReceiveStream[Event]) -> list[Event]:
    """The events already sent."""
    events = []
    while True:
        try:
            events.append(receive.receive_nowait())
        except anyio.WouldBlock:
            return events


async def events_until_done(receive: anyio.abc.ObjectReceiveStream[Event]) -> list[Event]:
    seen: list[Event] = []
    async for event in receive:
        seen.append(event)
        if not isinstance(event, Progressed):
            break
    return seen


# -- construction ----------------------------------------------------------------------------


async def test_a_closed_clients_scheduler_refuses_new_watches() -> None:
    async with running() as parts:
        watch = parts.watch(parts.batches(1)[0], parts.send)
    with pytest.raises(ClientClosedError, match="closed"):
        parts.scheduler.add(watch, 1.0)
    assert watch.state is WatchState.CANCELLED  # never watched: nothing to cancel later
    assert parts.scheduler.watched == 0
    assert workers() == 0


# -- when polls go out -----------------------------------------------------------------------


@settings(max_examples=8)
@given(seed=st.integers(0, 2**32 - 1))
async def test_first_polls_are_spread_over_the_window(seed: int) -> None:
    # What BatchStream does: each first poll after plan.first_delay(rand), so that a wait on
    # many batches does not read them all at once.
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
    delays=st.lists(st.floats(0.05, 4.0), min_size=1, max_size=12),
    coalesce=st.sampled_from([0.0, 0.05, 0.1, 0.25]),
)
async def test_polls_due_in_one_tick_share_one_wake_up(
    delays: list[float], coalesce: float
) -> None:
    async with running(coalesce=coalesce) as parts:
        send = parts.send
        ids = parts.batches(len(delays))
        now = anyio.current_time()
        for job_id, delay in zip(ids, delays, strict=True):
            parts.scheduler.add(parts.watch(job_id, send), delay)
        await anyio.sleep(max(delays) + coalesce + 0.01)
        first = parts.transport.first_gets()
    expected = {job_id: tick(now + d, coalesce) for job_id, d in zip(ids, delays, strict=True)}
    assert first.keys() == expected.keys()
    for job_id, at in first.items():
        assert at == pytest.approx(expected[job_id], abs=1e-6)
        assert abs(at - (now + delays[ids.index(job_id)])) <= coalesce / 2 + 1e-6
    # one wake-up per tick: the GETs of one tick go out at one instant
    assert len({instant(at) for at in first.values()}) == len(
        {instant(at) for at in expected.values()}
    )


async def test_the_first_poll_comes_before_the_deadline() -> None:
    async with running() as parts:
        send = parts.send
        now = anyio.current_time()
        watch = parts.watch(parts.batches(1)[0], send, deadline=now + 1.0)
        parts.scheduler.add(watch, 10.0)
        await anyio.sleep(1.05)  # just past the deadline
        assert parts.transport.gets() == [pytest.approx(tick(now + 1.0 - LAST_CALL, 0.1))]
        parts.scheduler.cancel(watch)


@pytest.mark.parametrize("limit", [1, 3, 10])
async def test_max_in_flight_bounds_concurrent_gets(limit: int) -> None:
    config = SimulatorConfig(seed=3, faults=Faults(slow=1.0, slow_seconds=5.0))
    async with running(config, max_in_flight=limit) as parts:
        send = parts.send
        ids = parts.batches(10)
        start = anyio.current_time()
        for job_id in ids:
            parts.scheduler.add(parts.watch(job_id, send, report=False), 1.0)
        await anyio.sleep(60.0)
        first = parts.transport.first_gets()
        assert parts.transport.peak == limit
        assert first.keys() == set(ids)
    # Ready watches are served in turn: waves of `limit` GETs, 5 s (one slow answer) apart.
    waves = Counter(instant(at - start) for at in first.values())
    expected = Counter(instant(1.0 + 5.0 * (n // limit)) for n in range(10))
    assert waves == expected


async def test_a_429_pauses_every_poller() -> None:
    config = SimulatorConfig(seed=3, faults=Faults(retry_after=5.0))
    async with running(config) as parts:
        send = parts.send
        ids = parts.batches(5)
        policy = PollPolicy(initial=0.3, min_interval=0.25, max_interval=0.5)
        watches = [parts.watch(job_id, send, policy=policy) for job_id in ids]
        for n, watch in enumerate(watches):
            parts.scheduler.add(watch, 0.3 + n * 0.1)
        await anyio.sleep(3.0)
        parts.sim.inject("rate_limited", method="GET")
        await anyio.sleep(0.6)  # every watch polls at least every 0.5 s: one got the 429
        limited = next(s for s in parts.transport.sent if s.status == 429)
        await anyio.sleep(limited.at + 2.5 - anyio.current_time())
        # The scheduler hands no watch to a worker until the pause is over (at most the
        # answered-429 poll itself waits, in the sender, to be tried again).
        states = Counter(watch.state for watch in watches)
        assert states[WatchState.QUEUED] >= 4
        assert states[WatchState.QUEUED] + states[WatchState.POLLING] == 5
        await anyio.sleep(10.0)
        sent = parts.transport.sent
    during = [s for s in sent if limited.at < s.at < limited.at + 5.0]
    assert during == [], "no GET of any batch while the 429 pause lasts"
    after = {s.job_id for s in sent if s.at >= limited.at + 5.0}
    assert after == set(ids), "every poller goes on once it is over"


# -- states: cancel, close, workers ----------------------------------------------------------


async def test_cancel_drops_a_queued_watch() -> None:
    async with running() as parts:
        send, receive = parts.send, parts.receive
        watch = parts.watch(parts.batches(1)[0], send)
        parts.scheduler.add(watch, 10.0)
        assert watch.state is WatchState.QUEUED
        await anyio.sleep(1.0)
        parts.scheduler.cancel(watch)
        assert watch.state is WatchState.CANCELLED
        assert parts.scheduler.watched == 0
        await anyio.sleep(60.0)
        assert parts.transport.gets() == []
        assert workers() == 0
        parts.scheduler.cancel(watch)  # idempotent
        parts.scheduler.poll_now(watch)  # a dead watch is not polled
        await anyio.sleep(1.0)
        assert parts.transport.gets() == []
        with pytest.raises(anyio.WouldBlock):
            receive.receive_nowait()


async def test_cancel_stops_an_in_flight_poll_and_the_others_go_on() -> None:
    config = SimulatorConfig(seed=3, faults=Faults(slow=1.0, slow_seconds=30.0))
    async with running(config, max_in_flight=1) as parts:
        send, receive = parts.send, parts.receive
        first, second = (parts.watch(job_id, send) for job_id in parts.batches(2))
        parts.scheduler.add(first, 0.0)
        parts.scheduler.add(second, 0.0)
        await anyio.sleep(1.0)
        assert first.state is WatchState.POLLING
        assert second.state is WatchState.QUEUED
        assert parts.transport.in_flight == 1
        parts.scheduler.cancel(first)
        assert first.state is WatchState.CANCELLED
        await anyio.sleep(1.0)
        assert parts.transport.cancelled == 1
        assert second.state is WatchState.POLLING, "the worker's ready work is handed on"
        await anyio.sleep(60.0)
        assert len(parts.transport.gets(first.job_id)) == 1
        assert len(parts.transport.gets(second.job_id)) >= 2
        assert all(event.watch is second for event in drain(receive))
        parts.scheduler.cancel(second)
    assert workers() == 0


async def test_a_cancel_landing_after_its_poll_was_answered_spares_the_next_poll() -> None:
    """A waiter leaves just as its poll's answer reaches the worker: the cancel lands on the
    worker's next poll, which is polled again instead of being lost."""
    async with running(max_in_flight=1) as parts:
        send, receive = parts.send, parts.receive
        first_id, second_id = parts.batches(2, duration=0.0)
        answered = anyio.Event()
        inner = parts.transport.inner

        class Gated:
            """Holds the first batch's answer, once read, until ``answered`` is set."""

            async def send(self, request: Request) -> Response:
                response = await inner.send(request)
                if request.job_id == first_id:
                    await answered.wait()
                return response

            async def aclose(self) -> None:
                await inner.aclose()

        parts.transport.inner = Gated()  # type: ignore[assignment]
        first, second = parts.watch(first_id, send), parts.watch(second_id, send)
        parts.scheduler.add(first, 0.0)
        parts.scheduler.add(second, 0.0)
        await anyio.sleep(1.0)
        assert first.state is WatchState.POLLING
        assert second.state is WatchState.QUEUED
        answered.set()  # the answer is on its way to the worker...
        parts.scheduler.cancel(first)  # ...when the waiter leaves
        with anyio.fail_after(60.0):
            event = await receive.receive()
        assert event.watch is second
        assert isinstance(event, Finished)
        assert parts.transport.cancelled == 1, "the cancel cut the second batch's first poll"
        assert len(parts.transport.gets(second_id)) == 2
    assert workers() == 0


async def test_a_hung_poll_is_cut_at_the_attempt_deadline_and_polled_again() -> None:
    """No timer per poll: the watchdog cuts a poll still out after connect + read timeout,
    counts it as a transient failure (the API's health too), and the job is polled again."""
    async with running(connect_timeout=1.0, read_timeout=2.0) as parts:
        (job_id,) = parts.batches(1, duration=0.0)
        parts.sim.inject("hang", count=2, method="GET")
        start = anyio.current_time()
        parts.scheduler.add(parts.watch(job_id, parts.send), 1.0)
        await anyio.sleep(1.0 + 3.0 + 0.05)
        assert parts.transport.cancelled == 1
        assert parts.sender.health.failures == 1
        with anyio.fail_after(600.0):
            events = await events_until_done(parts.receive)
        gets = [at - start for at in parts.transport.gets()]
    assert isinstance(events[-1], Finished)
    assert events[-1].result.status is BatchStatus.COMPLETED
    assert parts.transport.cancelled == 2
    assert len(gets) == 3
    assert gets[0] == pytest.approx(1.0)
    assert 3.0 <= gets[1] - gets[0] <= 3.0 + 0.5, "cut at 3 s, then a backoff of at most 0.4 s"
    assert 3.0 <= gets[2] - gets[1] <= 3.0 + 0.9
    assert parts.sender.health.failures == 0


async def test_polls_answered_in_time_are_never_cut() -> None:
    config = SimulatorConfig(seed=3, faults=Faults(slow=1.0, slow_seconds=2.9))
    async with running(config, connect_timeout=1.0, read_timeout=2.0) as parts:
        for job_id in parts.batches(20, duration=30.0):
            parts.scheduler.add(parts.watch(job_id, parts.send, report=False), 0.5)
        with anyio.fail_after(600.0):
            events = [await parts.receive.receive() for _ in range(20)]
        assert all(isinstance(event, Finished) for event in events)
        assert parts.transport.cancelled == 0
        assert parts.sender.health.failures == 0


async def test_aclose_fails_every_live_wait_at_once_and_stops_its_workers() -> None:
    config = SimulatorConfig(seed=3, faults=Faults(slow=1.0, slow_seconds=30.0))
    async with running(config) as parts:
        send, receive = parts.send, parts.receive
        polling, queued = (parts.watch(job_id, send) for job_id in parts.batches(2))
        parts.scheduler.add(polling, 0.0)
        parts.scheduler.add(queued, 100.0)
        await anyio.sleep(1.0)
        assert polling.state is WatchState.POLLING
        await parts.scheduler.aclose()
        assert workers() == 0, "the worker polling was cancelled and awaited"
        assert parts.transport.cancelled == 1
        events = [receive.receive_nowait(), receive.receive_nowait()]
        assert {event.watch for event in events} == {polling, queued}
        for event in events:
            assert isinstance(event, Failed)
            assert isinstance(event.error, ClientClosedError)
            assert "closed" in str(event.error)
        assert polling.state is queued.state is WatchState.DONE
        assert parts.scheduler.watched == 0
        await anyio.sleep(200.0)
        assert len(parts.transport.gets()) == 1, "nothing more is polled"
        with pytest.raises(anyio.WouldBlock):
            receive.receive_nowait()


async def test_no_worker_is_left_once_nothing_is_watched() -> None:
    async with running() as parts:
        send, receive = parts.send, parts.receive
        watches = [parts.watch(job_id, send) for job_id in parts.batches(4, duration=3.0)]
        assert workers() == 0
        for watch in watches:
            parts.scheduler.add(watch, 1.0)
        await anyio.sleep(1.05)
        assert 0 < workers() <= 4
        finished = 0
        while finished < 4:
            finished += isinstance(await receive.receive(), Finished)
        await anyio.wait_all_tasks_blocked()
        assert parts.scheduler.watched == 0
        assert workers() == 0
        assert {watch.state for watch in watches} == {WatchState.DONE}
        gets = len(parts.transport.gets())
        await anyio.sleep(600.0)
        assert len(parts.transport.gets()) == gets


# -- what the waiter is told -----------------------------------------------------------------


async def test_events_are_progressed_then_finished() -> None:
    async with running() as parts:
        send, receive = parts.send, parts.receive
        job_id = parts.sim.add_batch(
            [{"fullname": f"P {i}", "company_domain": "co.com"} for i in range(50)],
            duration=20.0,
            curve="linear",
        )
        watch = parts.watch(job_id, send)
        parts.scheduler.add(watch, 1.0)
        events = await events_until_done(receive)
    *progressed, finished = events
    assert progressed, "a 20 s batch polled every 2 s or less shows progress"
    assert all(isinstance(event, Progressed) for event in progressed)
    counts = [event.progress.finished for event in progressed]
    assert counts == sorted(counts)
    assert len(set(counts)) == len(counts), "only changes are reported"
    assert all(e.progress.status is BatchStatus.ONGOING for e in progressed)
    assert isinstance(finished, Finished)
    assert finished.result.status is BatchStatus.COMPLETED
    assert finished.progress is not None
    assert finished.progress.finished == finished.progress.requested == 50
    assert finished.progress.eta == 0.0
    assert watch.state is WatchState.DONE
    assert watch.last == finished.progress


async def test_without_report_only_the_end_is_told() -> None:
    async with running() as parts:
        send, receive = parts.send, parts.receive
        (job_id,) = parts.batches(1, duration=20.0, curve="linear")
        parts.scheduler.add(parts.watch(job_id, send, report=False), 1.0)
        events = await events_until_done(receive)
    assert [type(event) for event in events] == [Finished]


async def test_a_failed_batch_is_finished_not_failed() -> None:
    async with running() as parts:
        send, receive = parts.send, parts.receive
        (job_id,) = parts.batches(1, duration=2.0, fail=True)
        parts.scheduler.add(parts.watch(job_id, send), 1.0)
        events = await events_until_done(receive)
    assert isinstance(events[-1], Finished)
    assert events[-1].result.status is BatchStatus.FAILED


@pytest.mark.parametrize("key", [None, "wrong-key"])
async def test_a_final_error_is_failed_at_once(key: str | None) -> None:
    async with running(key=key) as parts:
        send, receive = parts.send, parts.receive
        job_id = "no-such-batch" if key is None else parts.batches(1)[0]
        watch = parts.watch(job_id, send)
        parts.scheduler.add(watch, 1.0)
        events = await events_until_done(receive)
        await anyio.sleep(60.0)
        gets = parts.transport.gets()
    assert len(events) == 1
    assert isinstance(events[0], Failed)
    expected = BatchNotFoundError if key is None else AuthenticationError
    assert isinstance(events[0].error, expected)
    assert watch.state is WatchState.DONE
    assert len(gets) == 1


async def transient_failures(failures: int) -> tuple[list[Event], list[float]]:
    """Events and GET times of a 2 s batch whose first ``failures`` reads answer 500 (each
    read tried once: no retry inside the sender)."""
    async with running(retry=RetryPolicy(attempts=1)) as parts:
        (job_id,) = parts.batches(1, duration=2.0)
        parts.sim.inject("server_error", count=failures, method="GET")
        parts.scheduler.add(parts.watch(job_id, parts.send), 1.0)
        with anyio.fail_after(600.0):
            events = await events_until_done(parts.receive)
        return events, parts.transport.gets()


async def test_a_transient_failure_is_polled_again() -> None:
    events, gets = await transient_failures(1)
    assert isinstance(events[-1], Finished)
    assert events[-1].result.status is BatchStatus.COMPLETED
    assert len(gets) >= 2


async def test_transient_failures_never_end_a_wait() -> None:
    events, gets = await transient_failures(5)
    assert [type(event) for event in events if not isinstance(event, Progressed)] == [Finished]
    assert len(gets) >= 6


async def test_a_waiter_that_left_is_polled_no_more() -> None:
    async with running() as parts:
        gone, other = parts.batches(2)
        send, receive = anyio.create_memory_object_stream[Event](math.inf)
        with send:
            left = parts.watch(gone, send)
            parts.scheduler.add(left, 1.0)
            parts.scheduler.add(parts.watch(other, parts.send), 1.0)
            receive.close()  # the waiter left without cancelling its watch
            await anyio.sleep(60.0)
            assert parts.scheduler.watched == 1
            assert len(parts.transport.gets(gone)) == 1
            assert left.state is WatchState.CANCELLED


async def test_poll_now_reads_a_queued_watch_within_half_a_tick() -> None:
    async with running(coalesce=0.1) as parts:
        send = parts.send
        (job_id,) = parts.batches(1)
        watch = parts.watch(job_id, send)
        parts.scheduler.add(watch, 100.0)
        await anyio.sleep(1.23)
        asked = anyio.current_time()
        parts.scheduler.poll_now(watch)
        await anyio.sleep(1.0)
        (at,) = parts.transport.gets()
        assert 0 <= at - asked <= 0.05 + 1e-6
        parts.scheduler.cancel(watch)


async def test_progress_carries_the_fit_eta_and_when_it_was_taken() -> None:
    async with running() as parts:
        send, receive = parts.send, parts.receive
        job_id = parts.sim.add_batch(
            [{"fullname": f"P {i}", "company_domain": "co.com"} for i in range(200)],
            duration=40.0,
            curve="linear",
        )
        start = anyio.current_time()
        parts.scheduler.add(parts.watch(job_id, send), 1.0)
        events = await events_until_done(receive)
    finish = parts.sim.batch(job_id).finish_at
    progressed = [e.progress for e in events if isinstance(e, Progressed)]
    assert all(p.taken_at is not None and start < p.taken_at < finish for p in progressed)
    late = [p for p in progressed if p.fraction >= 0.5 and p.eta is not None]
    assert late, "progress seen past half way"
    for p in late:  # the fit's finish, within a quarter of the time left
        assert p.finish_at is not None
        assert abs(p.finish_at - finish) <= 0.25 * (finish - p.taken_at) + 0.5
