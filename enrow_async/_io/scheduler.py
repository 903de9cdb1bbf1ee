"""One poller per client: a heap of next-poll times and a bounded pool of workers.

Every waited job is a ``Watch`` with an explicit ``WatchState``. One event-loop timer, on a
grid of ``coalesce`` seconds, fires at the earliest due poll and hands every watch due
within half a tick to at most ``max_in_flight`` workers; workers park while nothing is ready
and exit when nothing is watched, so an idle client runs no task. A worker reads one job
through ``fetch`` (the sender), feeds the pure ``PollPlan``, sends the waiter one ``Event``
(``Progressed``, ``Finished`` or ``Failed``) and puts the watch back on the heap. Errors
never end a worker: they travel to the waiter.

Workers are plain asyncio tasks of the client's event loop (aiohttp ties the client to
asyncio), owned by the scheduler: ``aclose`` cancels and awaits them, from any task of that
loop. ``enter`` (the client's) names the loop at each new watch, or refuses it.

Polls carry no timer of their own: a watchdog, one loop timer for the oldest poll in flight,
cuts a poll that overruns ``timeout`` (cancelling its worker's scope) and treats it as the
transient failure ``overdue`` names.
"""

from __future__ import annotations

import asyncio
import enum
import functools
import heapq
import itertools
import math
from collections import deque
from collections.abc import Awaitable, Callable
from typing import Any, Protocol, TypeAlias

import anyio
import attrs
from anyio.streams.memory import MemoryObjectSendStream

from .._core.http import Request, Response
from .._core.outage import Health
from .._core.schedule import Backoff, PollPlan, last_call
from ..errors import ClientClosedError, EnrowError, RateLimitError, ResponseError
from ..models import BatchStatus, Progress

__all__ = [
    "Event",
    "Failed",
    "Finished",
    "Pollable",
    "Progressed",
    "Scheduler",
    "Watch",
    "WatchState",
]


class _Counts(Protocol):
    @property
    def finished(self) -> int: ...
    @property
    def requested(self) -> int: ...


class Pollable(Protocol):
    """What a read must answer: a status and finished/requested counts."""

    @property
    def status(self) -> BatchStatus: ...
    @property
    def stats(self) -> _Counts: ...


_EARLY = 1e-6
"""A loop may run a timer up to its clock resolution early: such a tick counts as come."""

HINT_WINDOW = 1.0
"""Seconds within which more webhook hints for one job add no poll."""

REREADS = 3
"""Answers in a row that cannot be read into their model (malformed or inconsistent) before
the waiter is told; transient failures (outages, 429s, unreadable bodies) never end a
wait: the scheduler backs off and polls again until the deadline."""

Fetch: TypeAlias = "Callable[[Request, Callable[[Response], Pollable]], Awaitable[Pollable]]"
"""``fetch(request, read)``: one attempt of a poll, read into its model (``Sender.poll``),
with no deadline of its own."""


class WatchState(enum.Enum):
    """``QUEUED`` on the heap or ready for a worker, ``POLLING`` in flight, then ``DONE``
    (the waiter was told the outcome) or ``CANCELLED`` (the waiter left)."""

    QUEUED = "queued"
    POLLING = "polling"
    DONE = "done"
    CANCELLED = "cancelled"


@attrs.frozen
class Progressed:
    """The job moved; it is still running."""

    watch: Watch
    progress: Progress


@attrs.frozen
class Finished:
    """The job is completed or failed; ``progress`` is set when the last read changed it."""

    watch: Watch
    progress: Progress | None
    result: Any


@attrs.frozen
class Failed:
    """The job could not be read."""

    watch: Watch
    error: Exception


Event: TypeAlias = Progressed | Finished | Failed


class Watch:
    """One job being waited on by one waiter."""

    __slots__ = (
        "again",
        "cut",
        "deadline",
        "failures",
        "hinted",
        "job_id",
        "last",
        "place",
        "plan",
        "reader",
        "report",
        "request",
        "scope",
        "sent",
        "sink",
        "started",
        "state",
    )

    def __init__(
        self,
        job_id: str,
        request: Request,
        read: Callable[[str, Response], Pollable],
        plan: PollPlan,
        sink: MemoryObjectSendStream[Event],
        started: float,
        deadline: float = math.inf,
        report: bool = True,
    ) -> None:
        self.job_id = job_id
        self.request = request
        self.reader = functools.partial(read, job_id)
        self.plan = plan
        self.sink = sink
        self.started = started
        self.deadline = deadline
        self.report = report
        self.failures = 0
        self.hinted = -math.inf
        self.again = False
        self.place = -1
        self.last: Progress | None = None
        self.state = WatchState.QUEUED
        self.scope: anyio.CancelScope | None = None
        self.sent = 0
        """Polls sent so far: tells the watchdog's record of this poll from older ones."""
        self.cut = False
        """The watchdog cut the poll in flight (it overran the attempt deadline)."""

    @property
    def live(self) -> bool:
        return self.state is WatchState.QUEUED or self.state is WatchState.POLLING


def _out(flight: tuple[float, int, Watch]) -> bool:
    """Whether the poll of this watchdog record is still out (not answered, not left)."""
    _, sent, watch = flight
    return sent == watch.sent and watch.state is WatchState.POLLING


class Scheduler:
    """Polls every watched job of one client on a shared heap."""

    def __init__(
        self,
        fetch: Fetch,
        *,
        overdue: Callable[[Request], Exception],
        timeout: float,
        max_in_flight: int,
        rand: Callable[[], float],
        health: Health,
        backoff: Backoff,
        enter: Callable[[], asyncio.AbstractEventLoop],
        coalesce: float = 0.1,
    ) -> None:
        self._fetch = fetch
        self._enter = enter
        self._overdue = overdue
        self._timeout = timeout
        self._limit = max_in_flight
        self._coalesce = coalesce
        self._gap = max(coalesce, _EARLY)
        """A last call closer than this to the poll just made is that poll."""
        self._rand = rand
        self._health = health
        self._recoveries = health.recoveries
        self._backoff = backoff
        self._heap: list[tuple[float, int, Watch]] = []
        self._seq = itertools.count()
        self._ready: deque[Watch] = deque()
        self._idle: deque[asyncio.Future[None]] = deque()
        self._workers = 0
        self._live: set[Watch] = set()
        self._timer: asyncio.TimerHandle | None = None
        self._timer_due = math.inf
        self._flying: deque[tuple[float, int, Watch]] = deque()
        """(deadline, poll number, watch) of each poll sent, oldest first (one timeout for
        all, so also the earliest deadline first); finished ones are dropped lazily."""
        self._watchdog: asyncio.TimerHandle | None = None
        self._tasks: set[asyncio.Task[None]] = set()
        """The running workers."""
        self._loop: asyncio.AbstractEventLoop | None = None
        """The client's loop, once a watch was added. Timing uses its own timer
        (``call_at``) instead of a sleeping task: this keeps each poll cheap."""

    @property
    def rand(self) -> Callable[[], float]:
        return self._rand

    @property
    def watched(self) -> int:
        return len(self._live)

    def now(self) -> float:
        assert self._loop is not None
        return self._loop.time()

    async def aclose(self) -> None:
        """The client is closing: every live wait fails at once instead of hanging, and
        every worker is cancelled and awaited (from any task of the client's loop)."""
        error = ClientClosedError("the EnrowClient was closed while this wait was running")
        for watch in list(self._live):
            self._finish(Failed(watch, error))
        self._heap.clear()
        self._ready.clear()
        self._release_idle()
        self._disarm()
        self._unguard()
        workers = list(self._tasks)
        for task in workers:
            task.cancel()
        if workers:
            await asyncio.wait(workers)

    def add(self, watch: Watch, delay: float) -> None:
        """Start watching; the first poll comes after ``delay`` seconds (or before the
        watch's deadline, whichever is first). A watch that ``enter`` refuses (a closed
        client, another loop) is never watched: its error is raised here."""
        try:
            self._loop = self._enter()
        except BaseException:
            watch.state = WatchState.CANCELLED
            raise
        self._live.add(watch)
        self._push(watch, last_call(self.now(), delay, watch.deadline, first=True))

    def poll_now(self, watch: Watch) -> None:
        """Poll ``watch`` as soon as a worker is free (a webhook said it finished). Hints
        coalesce: at most one extra poll per ``HINT_WINDOW`` seconds, none while one is in
        flight but one right after it; a watch never holds more than one place in line."""
        now = self.now()
        if not watch.live or now - watch.hinted < HINT_WINDOW:
            return
        watch.hinted = now
        if watch.state is WatchState.POLLING:
            watch.again = True
        else:
            self._push(watch, now)

    def cancel(self, watch: Watch) -> None:
        """Stop watching: the heap entry is dropped lazily, an in-flight poll is cancelled."""
        if watch.live:
            self._drop(watch, WatchState.CANCELLED)
            if watch.scope is not None:
                watch.scope.cancel()

    def _drop(self, watch: Watch, state: WatchState) -> None:
        watch.state = state
        self._live.discard(watch)
        if not self._live:
            self._heap.clear()
            self._disarm()
            self._unguard()
            self._release_idle()

    def _release_idle(self) -> None:
        """Wake every parked worker so that it exits (nothing is watched any more)."""
        while self._idle:
            parked = self._idle.popleft()
            if not parked.done():
                parked.set_result(None)

    def _push(self, watch: Watch, due: float) -> None:
        """(Re)place ``watch`` in line at ``due``; an earlier place of it goes stale."""
        watch.place = next(self._seq)
        heapq.heappush(self._heap, (due, watch.place, watch))
        if due < self._timer_due:
            self._arm(due)

    def _arm(self, due: float) -> None:
        """Make the loop call ``_fire`` at ``due`` (or when a client-wide pause ends),
        rounded to the nearest tick of the coalescing grid."""
        until = self._health.until
        due = self._tick(max(due, until), up=until)
        if self._timer is not None:
            if self._timer_due <= due:
                return
            self._timer.cancel()
        assert self._loop is not None
        self._timer = self._loop.call_at(due, self._fire)
        self._timer_due = due

    def _tick(self, due: float, *, up: float = -math.inf) -> float:
        """``due`` on the coalescing grid: the nearest tick, but never one before ``up`` (a
        timer for a pause's end must not fire inside the pause)."""
        tick = self._coalesce
        if not tick:
            return due
        rounded = round(due / tick) * tick
        return rounded if rounded >= up else math.ceil(up / tick) * tick

    def _disarm(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        self._timer_due = math.inf

    def _fire(self) -> None:
        """Timer callback: hand every due watch to a worker, as many as ``health`` admits
        (all, or one probe while the API is down), then re-arm for the next."""
        self._timer = None
        self._timer_due = math.inf
        heap = self._heap
        now = self.now()
        admit = self._health.admit(now)
        # Timers fire on a grid of ``coalesce`` seconds and take every poll whose tick has
        # come: one wake-up of the loop serves many polls, which costs far less CPU than one
        # wake-up each, and moves no poll by more than half a tick.
        while heap:
            due, place, watch = heap[0]
            if not watch.live or place != watch.place:
                heapq.heappop(heap)
                continue
            if self._tick(due) > now + _EARLY:
                self._arm(due)
                return
            if not admit:
                if self._health.until > now:
                    self._arm(self._health.until)
                return  # a probe is out: its answer wakes the rest (see _woken)
            heapq.heappop(heap)
            admit -= 1
            self._health.probe()
            self._ready.append(watch)
            self._dispatch()

    def _woken(self) -> None:
        """A poll came back: held polls may go now (an outage ended, or a probe failed and
        the next one is due after the pause). When an outage ends, every poll that was
        backing off goes at once: the wait resumes at full precision."""
        if self._health.recoveries != self._recoveries:
            self._recoveries = self._health.recoveries
            now = self.now()
            self._heap = [
                (min(due, now) if watch.failures else due, seq, watch)
                for due, seq, watch in self._heap
            ]
            heapq.heapify(self._heap)
            self._disarm()
        if self._heap and self._timer is None:
            self._arm(self._heap[0][0])

    def _failed(self, watch: Watch, error: Exception) -> None:
        """A poll failed. A transient failure is polled again after a jittered backoff (the
        job goes on on the server), for as long as the wait lasts; an answer that cannot be
        read into its model is read again up to ``REREADS`` times in a row; anything else
        goes to the waiter."""
        if not watch.live:
            return
        watch.failures += 1
        transient = isinstance(error, EnrowError) and error.transient
        if transient or (isinstance(error, ResponseError) and watch.failures < REREADS):
            hint = error.retry_after if isinstance(error, RateLimitError) else None
            delay = self._backoff.delay(watch.failures, self._rand(), hint)
            watch.state = WatchState.QUEUED
            self._push(watch, last_call(self.now(), delay, watch.deadline, gap=self._gap))
        else:
            self._finish(Failed(watch, error))

    def _dispatch(self) -> None:
        """Hand the ready work to a parked worker, or start one while under the limit."""
        while self._idle:
            parked = self._idle.popleft()
            if not parked.done():
                parked.set_result(None)
                return
        if self._workers < self._limit:
            assert self._loop is not None
            self._workers += 1
            task = self._loop.create_task(self._worker())
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)

    async def _worker(self) -> None:
        """Poll ready watches; park while none is ready; exit when nothing is watched.

        One cancel scope per worker (not per request) lets ``cancel`` and the watchdog stop
        an in-flight poll; a cancelled scope is replaced, and the poll it interrupted is
        settled by ``_interrupted``. The ready work left by an exiting worker is handed on."""
        ready = self._ready
        current: Watch | None = None
        try:
            while self._live:
                scope = anyio.CancelScope()
                with scope:
                    while self._live:
                        if not ready:
                            parked = self._loop.create_future()  # type: ignore[union-attr]
                            self._idle.append(parked)
                            await parked
                            continue
                        current = ready.popleft()
                        if not current.live:
                            continue
                        self._guard(current, scope)
                        await self._poll(current)
                        current.scope = None
                        current = None
                if current is not None:
                    self._interrupted(current)
                    current = None
        finally:
            self._workers -= 1
            if ready and self._live:
                self._dispatch()

    def _interrupted(self, watch: Watch) -> None:
        """A worker's scope was cancelled while it polled ``watch``: the watchdog cut it (a
        transient failure: backoff, poll again), or its waiter left (nothing to do), or a
        cancel meant for the poll before it landed on this one (poll it again at once)."""
        watch.scope = None
        if watch.cut:
            watch.cut = False
            self._failed(watch, self._overdue(watch.request))
        elif watch.live:
            watch.state = WatchState.QUEUED
            self._push(watch, self.now())

    def _guard(self, watch: Watch, scope: anyio.CancelScope) -> None:
        """``watch`` goes out now: note when it must be answered by."""
        watch.state = WatchState.POLLING
        watch.scope = scope
        watch.sent += 1
        watch.cut = False
        flying = self._flying
        while flying and not _out(flying[0]):  # answered: forget it
            flying.popleft()
        flying.append((self.now() + self._timeout, watch.sent, watch))
        if self._watchdog is None:
            self._arm_watchdog()

    def _arm_watchdog(self) -> None:
        assert self._loop is not None
        self._watchdog = self._loop.call_at(self._flying[0][0], self._bark)

    def _bark(self) -> None:
        """Watchdog timer: cut every poll still out past its deadline, then re-arm."""
        self._watchdog = None
        flying = self._flying
        now = self.now() + _EARLY
        while flying:
            deadline, _, watch = flying[0]
            if _out(flying[0]):
                if deadline > now:
                    break
                watch.cut = True
                assert watch.scope is not None
                watch.scope.cancel()
            flying.popleft()
        if flying:
            self._arm_watchdog()

    def _unguard(self) -> None:
        self._flying.clear()
        if self._watchdog is not None:
            self._watchdog.cancel()
            self._watchdog = None

    async def _poll(self, watch: Watch) -> None:
        try:
            result = await self._fetch(watch.request, watch.reader)
        except Exception as exc:  # every failure goes to the waiter that owns the watch
            self._failed(watch, exc)
            return
        finally:
            self._woken()
        if not watch.live:
            return
        watch.failures = 0
        now = self.now()
        status = result.status
        stats = result.stats
        plan = watch.plan
        plan.observe(now, stats.finished, stats.requested)
        last = watch.last
        progress = None
        if (
            last is None
            or last.status is not status
            or last.finished != stats.finished
            or last.requested != stats.requested
        ):
            done = status.done
            progress = Progress(
                watch.job_id,
                status,
                stats.finished,
                stats.requested,
                now - watch.started,
                plan.rate,
                0.0 if done else plan.eta(now) if watch.report else None,
                now,
            )
            watch.last = progress
        if status.done:
            self._finish(Finished(watch, progress, result))
            return
        if progress is not None and watch.report:
            self._send(Progressed(watch, progress))
            if not watch.live:  # the waiter left: its stream is closed
                return
        watch.state = WatchState.QUEUED
        if watch.again:  # a hint came while this poll was out
            watch.again = False
            due = now
        else:
            # At least a tick later: a shorter delay would land on the tick just served.
            delay = max(plan.next_delay(now, self._rand()), self._gap)
            due = last_call(now, delay, watch.deadline, gap=self._gap)
        self._push(watch, due)

    def _finish(self, event: Finished | Failed) -> None:
        watch = event.watch
        if watch.live:
            self._send(event)
            self._drop(watch, WatchState.DONE)

    def _send(self, event: Event) -> None:
        try:
            event.watch.sink.send_nowait(event)
        except (anyio.ClosedResourceError, anyio.BrokenResourceError):
            self._drop(event.watch, WatchState.CANCELLED)
