"""One poller per client: a heap of next-poll times and a bounded pool of workers.

Every waited batch is a :class:`Watch`. The loop sleeps until the earliest due poll (or a
wake-up), hands due watches to at most ``max_in_flight`` workers, and exits when nothing
is watched, so an idle client runs no task. Workers read one batch, feed the pure
:class:`~enrow_async._schedule.PollPlan`, push what they saw to the waiter's stream and put
the watch back on the heap. Errors never escape into the client's task group: they travel
to the waiter that owns the watch.
"""

from __future__ import annotations

import heapq
import itertools
import math
from collections import deque
from collections.abc import Awaitable, Callable
from typing import Any, Protocol, TypeAlias

import anyio
from anyio.abc import TaskGroup
from anyio.streams.memory import MemoryObjectSendStream

from ._protocol import Request, Response
from ._schedule import PollPlan
from .models import BatchStatus, Progress

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
        "last",
        "parse",
        "plan",
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
    ) -> None:
        self.batch_id = batch_id
        self.deadline = deadline
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
    ) -> None:
        if max_in_flight < 1:
            raise ValueError(f"max_in_flight must be >= 1, got {max_in_flight}")
        self._fetch = fetch
        self._limit = max_in_flight
        self._rand = rand
        self._pause = pause
        self._heap: list[tuple[float, int, Watch]] = []
        self._seq = itertools.count()
        self._ready: deque[Watch] = deque()
        self._workers = 0
        self._live: set[Watch] = set()
        self._running = False
        self._wake = anyio.Event()
        self._tg: TaskGroup | None = None

    def attach(self, tg: TaskGroup | None) -> None:
        self._tg = tg

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

    def add(self, watch: Watch, delay: float) -> None:
        """Start watching; the first poll comes after ``delay`` seconds (or before the
        watch's deadline, whichever is first)."""
        self._live.add(watch)
        now = anyio.current_time()
        self._push(watch, last_call(now, delay, watch.deadline, first=True))

    def poll_now(self, watch: Watch) -> None:
        """Poll ``watch`` as soon as a worker is free (e.g. a webhook said it finished)."""
        if not watch.cancelled:
            self._push(watch, anyio.current_time())

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
            self._wake.set()

    def _push(self, watch: Watch, due: float) -> None:
        heap = self._heap
        heapq.heappush(heap, (due, next(self._seq), watch))
        if heap[0][2] is watch:
            self._wake.set()
        if not self._running:
            if self._tg is None:
                raise RuntimeError("the client is not open: use 'async with EnrowClient(...)'")
            self._running = True
            self._tg.start_soon(self._loop)

    async def _loop(self) -> None:
        heap = self._heap
        try:
            while heap:
                due, _, watch = heap[0]
                if watch.cancelled:
                    heapq.heappop(heap)
                    continue
                wait = max(due, self._pause.until) - anyio.current_time()
                if wait > 0:
                    self._wake = anyio.Event()
                    with anyio.move_on_after(wait):
                        await self._wake.wait()
                    continue
                heapq.heappop(heap)
                self._ready.append(watch)
                if self._workers < self._limit:
                    self._workers += 1
                    self._tg.start_soon(self._worker)  # type: ignore[union-attr]
        finally:
            self._running = False

    async def _worker(self) -> None:
        try:
            ready = self._ready
            while ready:
                watch = ready.popleft()
                if watch.cancelled:
                    continue
                with anyio.CancelScope() as watch.scope:
                    await self._poll(watch)
                watch.scope = None
        finally:
            self._workers -= 1

    async def _poll(self, watch: Watch) -> None:
        try:
            result = watch.parse(await self._fetch(watch.request), watch.request)
        except Exception as exc:
            self._finish(watch, (watch, None, None, exc))
            return
        now = anyio.current_time()
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
            progress = Progress(
                watch.batch_id,
                status,
                stats.finished,
                stats.requested,
                now - watch.started,
                plan.rate,
                0.0 if status.done else plan.eta(now),
            )
            watch.last = progress
        if status.done:
            self._finish(watch, (watch, progress, result, None))
            return
        if watch.cancelled:
            return
        if progress is not None:
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
