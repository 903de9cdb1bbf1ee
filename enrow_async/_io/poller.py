"""The simplest correct poller: one task per watched job, sleeping ``PollPlan``'s delay.

Each watch is one asyncio task: sleep until the next poll is due (rounded to a shared tick
of ``coalesce`` seconds, so polls due together wake together), pass the outage gate, take
one of ``max_in_flight`` slots, poll once under one deadline (``timeout``), feed the pure
``PollPlan``, tell the waiter. The outage gate and webhook hints are events; nothing else
is shared. Same interface as ``scheduler.Scheduler``, so the two can be measured side by
side (``benchmarks/scale.py --designs``).
"""

from __future__ import annotations

import asyncio
import math
from collections.abc import Callable

import anyio

from .._core.http import Request
from .._core.outage import Health
from .._core.schedule import Backoff, last_call
from ..errors import ClientClosedError, EnrowError, RateLimitError, ResponseError
from ..models import Progress
from .scheduler import (
    HINT_WINDOW,
    REREADS,
    Event,
    Failed,
    Fetch,
    Finished,
    Progressed,
    Watch,
    WatchState,
)

__all__ = ["Poller"]


def _wake(future: asyncio.Future[None]) -> None:
    if not future.done():
        future.set_result(None)


class Poller:
    """Polls every watched job of one client, one task per job."""

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
        self._overdue = overdue
        self._timeout = timeout
        self._slots = asyncio.Semaphore(max_in_flight)
        self._rand = rand
        self._health = health
        self._backoff = backoff
        self._enter = enter
        self._tick = coalesce
        self._gap = max(coalesce, 1e-6)
        self._tasks: dict[Watch, asyncio.Task[None]] = {}
        self._sleeping: dict[Watch, asyncio.Future[None]] = {}
        self._backing_off: set[Watch] = set()
        self._answered: asyncio.Event | None = None
        self._recoveries = health.recoveries
        self._loop: asyncio.AbstractEventLoop | None = None

    @property
    def rand(self) -> Callable[[], float]:
        return self._rand

    @property
    def watched(self) -> int:
        return len(self._tasks)

    def now(self) -> float:
        assert self._loop is not None
        return self._loop.time()

    def add(self, watch: Watch, delay: float) -> None:
        try:
            self._loop = loop = self._enter()
        except BaseException:
            watch.state = WatchState.CANCELLED
            raise
        due = last_call(loop.time(), delay, watch.deadline, first=True)
        self._tasks[watch] = loop.create_task(self._run(watch, due))

    def poll_now(self, watch: Watch) -> None:
        now = self.now()
        if not watch.live or now - watch.hinted < HINT_WINDOW:
            return
        watch.hinted = now
        if watch.state is WatchState.POLLING:
            watch.again = True
        elif (sleep := self._sleeping.get(watch)) is not None:
            _wake(sleep)

    def cancel(self, watch: Watch) -> None:
        if watch.live:
            watch.state = WatchState.CANCELLED
            task = self._tasks.pop(watch, None)
            if task is not None:
                task.cancel()

    async def aclose(self) -> None:
        error = ClientClosedError("the EnrowClient was closed while this wait was running")
        tasks = list(self._tasks.values())
        for watch in list(self._tasks):
            self._finish(Failed(watch, error))
        for task in tasks:
            task.cancel()
        if tasks:
            await asyncio.wait(tasks)

    async def _sleep(self, watch: Watch, due: float) -> None:
        """Until ``due`` on the tick grid, or a hint (``poll_now``), whichever is first."""
        loop = self._loop
        assert loop is not None
        tick = self._tick
        if tick:
            due = round(due / tick) * tick
        future = loop.create_future()
        self._sleeping[watch] = future
        handle = loop.call_at(due, _wake, future)
        try:
            await future
        finally:
            handle.cancel()
            del self._sleeping[watch]

    async def _admitted(self) -> None:
        """Through the outage gate: at once, unless a 429's pause or an outage holds polls
        (then one probe at a time, the others waiting for an answer or the pause's end)."""
        health = self._health
        while True:
            now = self.now()
            if health.admit(now):
                health.probe()
                return
            if self._answered is None:
                self._answered = asyncio.Event()
            until = health.until if health.until > now else None
            try:
                async with asyncio.timeout_at(until):
                    await self._answered.wait()
            except TimeoutError:
                pass

    def _woken(self) -> None:
        """A poll came back: held polls look at the gate again; when an outage ended, every
        poll backing off goes at once."""
        if self._answered is not None:
            self._answered.set()
            self._answered = None
        if self._health.recoveries != self._recoveries:
            self._recoveries = self._health.recoveries
            for watch in self._backing_off:
                if (sleep := self._sleeping.get(watch)) is not None:
                    _wake(sleep)

    async def _run(self, watch: Watch, due: float) -> None:
        try:
            while watch.live:
                await self._sleep(watch, due)
                await self._admitted()
                async with self._slots:
                    watch.state = WatchState.POLLING
                    try:
                        async with asyncio.timeout(self._timeout):
                            result = await self._fetch(watch.request, watch.reader)
                    except TimeoutError:
                        due = self._failed(watch, self._overdue(watch.request))
                        continue
                    except Exception as exc:  # every failure goes to the waiter
                        due = self._failed(watch, exc)
                        continue
                    finally:
                        self._woken()
                self._backing_off.discard(watch)
                due = self._answer(watch, result)
        finally:
            self._backing_off.discard(watch)
            self._tasks.pop(watch, None)

    def _failed(self, watch: Watch, error: Exception) -> float:
        watch.failures += 1
        transient = isinstance(error, EnrowError) and error.transient
        if transient or (isinstance(error, ResponseError) and watch.failures < REREADS):
            hint = error.retry_after if isinstance(error, RateLimitError) else None
            delay = self._backoff.delay(watch.failures, self._rand(), hint)
            watch.state = WatchState.QUEUED
            self._backing_off.add(watch)
            return last_call(self.now(), delay, watch.deadline, gap=self._gap)
        self._finish(Failed(watch, error))
        return math.inf

    def _answer(self, watch: Watch, result: object) -> float:
        watch.failures = 0
        now = self.now()
        status = result.status  # type: ignore[attr-defined]
        stats = result.stats  # type: ignore[attr-defined]
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
            return math.inf
        if progress is not None and watch.report:
            self._send(Progressed(watch, progress))
        watch.state = WatchState.QUEUED
        if watch.again:
            watch.again = False
            return now
        delay = max(plan.next_delay(now, self._rand()), self._gap)
        return last_call(now, delay, watch.deadline, gap=self._gap)

    def _finish(self, event: Finished | Failed) -> None:
        watch = event.watch
        if watch.live:
            self._send(event)
            watch.state = WatchState.DONE

    def _send(self, event: Event) -> None:
        try:
            event.watch.sink.send_nowait(event)
        except (anyio.ClosedResourceError, anyio.BrokenResourceError):
            event.watch.state = WatchState.CANCELLED
