"""One poller per client: a heap of next-poll times and a bounded pool of workers.

Every waited batch is a :class:`Watch`. One event-loop timer, on a grid of ``coalesce``
seconds, fires at the earliest due poll and hands every watch due within half a tick to at
most ``max_in_flight`` workers; workers park while nothing is ready and exit when nothing
is watched, so an idle client runs no task. Workers read one batch, feed the pure
:class:`~enrow_async._schedule.PollPlan`, push what they saw to the waiter's stream and put
the watch back on the heap. A watchdog cuts polls that hang past ``read_timeout``. Errors
never escape into the client's task group: they travel to the waiter that owns the watch.
"""

from __future__ import annotations

import asyncio
import heapq
import itertools
import math
from collections import deque
from collections.abc import Awaitable, Callable
from typing import Any, Protocol, TypeAlias

import anyio
from anyio.abc import TaskGroup
from anyio.streams.memory import MemoryObjectSendStream

from .._core.protocol import Request, Response
from .._core.retry import RetryPolicy
from .._core.schedule import PollPlan
from ..errors import EnrowError, TransportError
from ..models import BatchStatus, Progress

__all__ = ["Event", "Pause", "Scheduler", "Watch"]


class _Counts(Protocol):
    @property
    def finished(self) -> int: ...
    @property
    def requested(self) -> int: ...


class Pollable(Protocol):
    """What a poll must answer: a status and finished/requested counts."""

    @property
    def status(self) -> BatchStatus: ...
    @property
    def stats(self) -> _Counts: ...


Event: TypeAlias = "tuple[Watch, Progress | None, Any, Exception | None]"
"""(watch, progress if it changed, final result when done, error)."""


POLL_FAILURES = 2
"""Failed polls in a row (each after its own retries) before a waiter is told."""

LAST_CALL = 0.2
"""Seconds before a waiter's deadline at which one last poll is made."""


def last_call(now: float, delay: float, deadline: float, *, first: bool = False) -> float:
    """When to poll next: after ``delay``, but no later than ``LAST_CALL`` seconds before the
    deadline, so a wait that times out reports fresh progress. A first poll always lands
    before the deadline, however short."""
    due = now + delay
    final = deadline - LAST_CALL
    if due <= final:
        return due
    if final > now:
        return final
    return min(due, now + (deadline - now) / 2) if first else due


class Pause:
    """Client-wide pause (a 429 with Retry-After slows every poller): monotonic deadline."""

    __slots__ = ("until",)

    def __init__(self) -> None:
        self.until = 0.0


class Watch:
    """One batch being waited on by one waiter."""

    __slots__ = (
        "batch_id",
        "cancelled",
        "deadline",
        "failures",
        "last",
        "parse",
        "plan",
        "report",
        "request",
        "scope",
        "sink",
        "started",
    )

    def __init__(
        self,
        batch_id: str,
        request: Request,
        parse: Callable[[Response, Request], Pollable],
        plan: PollPlan,
        sink: MemoryObjectSendStream[Event],
        started: float,
        deadline: float = math.inf,
        report: bool = True,
    ) -> None:
        self.batch_id = batch_id
        self.deadline = deadline
        self.report = report
        self.failures = 0
        self.request = request
        self.parse = parse
        self.plan = plan
        self.sink = sink
        self.started = started
        self.last: Progress | None = None
        self.cancelled = False
        self.scope: anyio.CancelScope | None = None


class Scheduler:
    """Polls every watched batch of one client on a shared heap."""

    def __init__(
        self,
        fetch: Callable[[Request], Awaitable[Response]],
        *,
        max_in_flight: int,
        rand: Callable[[], float],
        pause: Pause,
        coalesce: float = 0.1,
        read_timeout: float = 60.0,
    ) -> None:
        if max_in_flight < 1:
            raise ValueError(f"max_in_flight must be >= 1, got {max_in_flight}")
        self._fetch = fetch
        self._limit = max_in_flight
        if not 0 <= coalesce <= 1:
            raise ValueError(f"coalesce must be between 0 and 1 s, got {coalesce}")
        self._coalesce = coalesce
        self._read_timeout = read_timeout
        self._inflight: dict[anyio.CancelScope, tuple[float, Watch]] = {}
        self._hung: set[anyio.CancelScope] = set()
        self._watchdog: asyncio.TimerHandle | None = None
        self._rand = rand
        self._pause = pause
        self._heap: list[tuple[float, int, Watch]] = []
        self._seq = itertools.count()
        self._ready: deque[Watch] = deque()
        self._idle: deque[asyncio.Future[None]] = deque()
        self._workers = 0
        self._live: set[Watch] = set()
        self._timer: asyncio.TimerHandle | None = None
        self._timer_due = math.inf
        self._tg: TaskGroup | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._clock: Callable[[], float] = anyio.current_time

    def attach(self, tg: TaskGroup | None) -> None:
        """Run in ``tg`` (the client's task group), or detach with ``None``.

        Timing uses the running loop's own timer (``call_at``) instead of a sleeping task:
        aiohttp ties the client to asyncio anyway, and this keeps each poll cheap."""
        self._tg = tg
        if tg is not None:
            self._loop = asyncio.get_running_loop()
            self._clock = self._loop.time

    @property
    def rand(self) -> Callable[[], float]:
        return self._rand

    @property
    def watched(self) -> int:
        return len(self._live)

    def close(self) -> None:
        """The client is closing: every live wait fails at once instead of hanging."""
        error = RuntimeError("the EnrowClient was closed while this wait was running")
        for watch in list(self._live):
            self._finish(watch, (watch, None, None, error))
        self._heap.clear()
        self._ready.clear()
        self._release_idle()
        self._disarm()
        if self._watchdog is not None:
            self._watchdog.cancel()
            self._watchdog = None

    def add(self, watch: Watch, delay: float) -> None:
        """Start watching; the first poll comes after ``delay`` seconds (or before the
        watch's deadline, whichever is first)."""
        self._live.add(watch)
        now = self._clock()
        self._push(watch, last_call(now, delay, watch.deadline, first=True))

    def poll_now(self, watch: Watch) -> None:
        """Poll ``watch`` as soon as a worker is free (e.g. a webhook said it finished)."""
        if not watch.cancelled:
            self._push(watch, self._clock())

    def cancel(self, watch: Watch) -> None:
        """Stop watching: the heap entry is dropped lazily, an in-flight poll is cancelled."""
        if not watch.cancelled:
            self._drop(watch)
            if watch.scope is not None:
                watch.scope.cancel()

    def _drop(self, watch: Watch) -> None:
        if not watch.cancelled:
            watch.cancelled = True
            self._live.discard(watch)
            if not self._live:
                self._heap.clear()
                self._disarm()
                self._release_idle()

    def _release_idle(self) -> None:
        """Wake every parked worker so that it exits (nothing is watched any more)."""
        while self._idle:
            parked = self._idle.popleft()
            if not parked.done():
                parked.set_result(None)

    def _push(self, watch: Watch, due: float) -> None:
        if self._tg is None:
            raise RuntimeError("the client is not open: use 'async with EnrowClient(...)'")
        heapq.heappush(self._heap, (due, next(self._seq), watch))
        if due < self._timer_due:
            self._arm(due)

    def _arm(self, due: float) -> None:
        """Make the loop call ``_fire`` at ``due`` (or when the 429 pause ends), rounded to
        the nearest tick of the coalescing grid."""
        due = max(due, self._pause.until)
        if self._coalesce:
            due = round(due / self._coalesce) * self._coalesce
        if self._timer is not None:
            if self._timer_due <= due:
                return
            self._timer.cancel()
        assert self._loop is not None
        self._timer = self._loop.call_at(due, self._fire)
        self._timer_due = due

    def _disarm(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        self._timer_due = math.inf

    def _fire(self) -> None:
        """Timer callback: hand every due watch to a worker, then re-arm for the next."""
        self._timer = None
        self._timer_due = math.inf
        heap = self._heap
        now = self._clock()
        if self._pause.until > now and heap:
            self._arm(self._pause.until)
            return
        # Timers fire on a grid of ``coalesce`` seconds and take every poll due within half
        # a tick: one wake-up of the loop serves many polls, which costs far less CPU than
        # one wake-up each, and moves no poll by more than half a tick.
        limit = now + self._coalesce / 2
        while heap:
            due, _, watch = heap[0]
            if watch.cancelled:
                heapq.heappop(heap)
                continue
            if due > limit:
                self._arm(due)
                return
            heapq.heappop(heap)
            self._ready.append(watch)
            self._dispatch()

    def _arm_watchdog(self) -> None:
        assert self._loop is not None
        period = max(self._read_timeout / 4, 0.05)
        self._watchdog = self._loop.call_later(period, self._check_hung)

    def _check_hung(self) -> None:
        """Watchdog: cancel polls that got no answer within ``read_timeout``."""
        self._watchdog = None
        stale = self._clock() - self._read_timeout
        for scope, (started, _) in list(self._inflight.items()):
            if started < stale:
                self._hung.add(scope)
                scope.cancel()
        if self._inflight:
            self._arm_watchdog()

    def _timed_out(self, watch: Watch) -> None:
        """A poll hung past ``read_timeout``."""
        error = TransportError(
            f"{watch.request.method} {watch.request.path}: no answer within"
            f" {self._read_timeout:g} s"
        )
        self._failed(watch, error)

    def _failed(self, watch: Watch, error: Exception) -> None:
        """A poll failed even after its own retries (already spaced out by backoff). A
        transient failure is polled again, since the batch goes on on the server; the waiter
        hears of it only after ``POLL_FAILURES`` failures in a row, or at once for anything
        else."""
        if watch.cancelled:
            return
        watch.failures += 1
        transient = isinstance(error, EnrowError) and RetryPolicy.retryable(error)
        if transient and watch.failures < POLL_FAILURES:
            self._push(watch, self._clock())
        else:
            self._finish(watch, (watch, None, None, error))

    def _dispatch(self) -> None:
        """Hand the ready work to a parked worker, or start one while under the limit."""
        while self._idle:
            parked = self._idle.popleft()
            if not parked.done():
                parked.set_result(None)
                return
        if self._workers < self._limit and self._tg is not None:
            self._workers += 1
            self._tg.start_soon(self._worker)

    async def _worker(self) -> None:
        """Poll ready watches; park while none is ready; exit when nothing is watched.

        One cancel scope per worker lets ``cancel`` stop an in-flight poll without a scope
        per request; the ready work left by a cancelled worker is handed on."""
        ready = self._ready
        scope = anyio.CancelScope()
        try:
            with scope:
                while self._live:
                    if not ready:
                        parked = self._loop.create_future()  # type: ignore[union-attr]
                        self._idle.append(parked)
                        await parked
                        continue
                    watch = ready.popleft()
                    if watch.cancelled:
                        continue
                    watch.scope = scope
                    self._inflight[scope] = (self._clock(), watch)
                    if self._watchdog is None:
                        self._arm_watchdog()
                    await self._poll(watch)
                    del self._inflight[scope]
                    watch.scope = None
        finally:
            self._workers -= 1
            entry = self._inflight.pop(scope, None)
            if scope in self._hung:
                self._hung.discard(scope)
                if entry is not None:
                    self._timed_out(entry[1])
            if ready and self._live:
                self._dispatch()

    async def _poll(self, watch: Watch) -> None:
        try:
            result = watch.parse(await self._fetch(watch.request), watch.request)
        except Exception as exc:
            self._failed(watch, exc)
            return
        watch.failures = 0
        now = self._clock()
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
                watch.batch_id,
                status,
                stats.finished,
                stats.requested,
                now - watch.started,
                plan.rate,
                0.0 if done else plan.eta(now) if watch.report else None,
            )
            watch.last = progress
        if status.done:
            self._finish(watch, (watch, progress, result, None))
            return
        if watch.cancelled:
            return
        if progress is not None and watch.report:
            self._send(watch, (watch, progress, None, None))
        self._push(watch, last_call(now, plan.next_delay(now, self._rand()), watch.deadline))

    def _finish(self, watch: Watch, event: Event) -> None:
        if not watch.cancelled:
            self._send(watch, event)
            self._drop(watch)

    def _send(self, watch: Watch, event: Event) -> None:
        try:
            watch.sink.send_nowait(event)
        except (anyio.ClosedResourceError, anyio.BrokenResourceError):
            self._drop(watch)
