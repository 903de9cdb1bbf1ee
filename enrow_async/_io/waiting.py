"""Waiting: one asyncio task per watched job, and the async iterators that own them.

When iteration of a [BatchStream][enrow_async.BatchStream] starts, the client's ``Poller``
starts one task per batch. Each task sleeps the delay its pure ``PollPlan`` asks for,
rounded to the client's shared tick (polls due together wake together: one wake-up of the
event loop serves them all), polls through the sender (which holds every client-wide limit
and retries what is transient), feeds the plan and puts what it saw in its stream's queue.
The stream calls ``on_progress`` in order in the caller's own task, enforces the deadline,
and cancels its tasks as soon as it is closed: by ``aclose()``, ``async with``, an
exception or cancellation, or by ``break`` (the iterator is dropped, and closed at the event
loop's next turn). A webhook hint wakes a task's sleep, at most once per ``HINT_WINDOW``.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import inspect
import math
import weakref
from collections.abc import Awaitable, Callable, Iterable
from typing import Any, Generic, Protocol, TypeAlias, TypeVar

from .._core.http import Request, Response
from .._core.schedule import PollPlan, last_call
from ..errors import BatchErrors, BatchTimeoutError, ClientClosedError, EnrowError
from ..models import BatchStatus, Progress

__all__ = ["BatchStream", "Pollable", "Poller", "ProgressCallback", "WebhookSource"]

HINT_WINDOW = 1.0
"""Seconds within which more webhook hints for one job add no poll."""

ProgressCallback = Callable[[Progress], object]
"""``on_progress``: a plain function or a coroutine function taking a Progress; what it
returns is ignored (an awaitable is awaited), so ``tqdm.update``-style callbacks fit."""


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


R = TypeVar("R", bound=Pollable)
Y = TypeVar("Y")

Send: TypeAlias = "Callable[..., Awaitable[Any]]"
"""``Sender.send``: ``send(request, read, poll=True)`` is one poll, retries included."""


class WebhookSource(Protocol):
    """Anything that calls back when an id's webhook arrives (e.g. WebhookReceiver)."""

    def subscribe(self, batch_id: str, callback: Callable[[Any], object]) -> Callable[[], None]:
        """Call ``callback(event)`` when ``batch_id``'s event arrives; return an unsubscribe."""
        ...


class _Watch:
    """One job watched by one stream, and its polling task."""

    __slots__ = (
        "again",
        "hinted",
        "job_id",
        "last",
        "plan",
        "polling",
        "read",
        "request",
        "task",
        "wake",
    )

    def __init__(
        self, job_id: str, request: Request, read: Callable[[Response], Any], plan: PollPlan
    ) -> None:
        self.job_id: str = job_id
        self.request: Request = request
        self.read: Callable[[Response], Any] = read
        self.plan: PollPlan = plan
        self.last: Progress | None = None
        self.hinted: float = -math.inf
        self.again: bool = False
        """A hint came while a poll was out: poll again right after it."""
        self.polling: bool = False
        self.wake: asyncio.Future[None] | None = None
        self.task: asyncio.Task[None] | None = None

    def saw(self, result: Pollable, now: float, elapsed: float, eta: bool) -> Progress | None:
        """Feed the plan what a poll read at ``now``: the new progress if it changed (with
        the plan's ETA if asked for), else ``None``."""
        status, stats = result.status, result.stats
        self.plan.observe(now, stats.finished, stats.requested)
        last = self.last
        if last is not None and (last.status, last.finished, last.requested) == (
            status,
            stats.finished,
            stats.requested,
        ):
            return None
        left = 0.0 if status.done else self.plan.eta(now) if eta else None
        self.last = Progress(
            self.job_id, status, stats.finished, stats.requested, elapsed, self.plan.rate, left, now
        )
        return self.last


_Seen: TypeAlias = tuple[_Watch, Progress | None, object]
"""What a task tells its stream: the watch, the progress if it changed, and the final
result, the error that ended the polling, or ``None`` (still running)."""


def _wake(future: asyncio.Future[None]) -> None:
    if not future.done():
        future.set_result(None)


class Poller:
    """The client's waits: one task per watched job, on a shared tick of ``tick`` seconds.

    ``enter`` (the client's) names the event loop when a stream starts, or refuses it;
    ``aclose`` ends every live wait with [ClientClosedError][enrow_async.ClientClosedError]
    and leaves no task."""

    def __init__(
        self,
        send: Send,
        *,
        rand: Callable[[], float],
        tick: float,
        enter: Callable[[], asyncio.AbstractEventLoop],
    ) -> None:
        self._send = send
        self.rand = rand
        self._tick = tick
        self._gap = max(tick, 1e-6)
        """A last call closer than this to the poll just made is that poll."""
        self._enter = enter
        self._streams: weakref.WeakSet[BatchStream[Any, Any]] = weakref.WeakSet()

    def enter(self, stream: BatchStream[Any, Any]) -> asyncio.AbstractEventLoop:
        loop = self._enter()
        self._streams.add(stream)
        return loop

    async def aclose(self) -> None:
        error = ClientClosedError("the EnrowClient was closed while this wait was running")
        tasks = [task for stream in list(self._streams) for task in stream.abort(error)]
        if tasks:
            await asyncio.wait(tasks)

    async def polls(
        self,
        watch: _Watch,
        seen: asyncio.Queue[_Seen],
        started: float,
        deadline: float,
        report: bool,
    ) -> None:
        """Poll one job until it is done (or an error ends it); tell ``seen`` what changed.
        With ``report``, every change, with the plan's ETA; otherwise only the end."""
        loop = asyncio.get_running_loop()
        rand, tick = self.rand, self._gap
        due = last_call(started, watch.plan.first_delay(rand()), deadline, first=True)
        try:
            while True:
                await self._sleep(watch, due)
                watch.polling = True
                result = await self._send(watch.request, watch.read, poll=True)
                watch.polling = False
                now = loop.time()
                progress = watch.saw(result, now, now - started, report)
                if result.status.done:
                    seen.put_nowait((watch, progress, result))
                    return
                if progress is not None and report:
                    seen.put_nowait((watch, progress, None))
                if watch.again:
                    watch.again = False
                    due = now
                else:  # at least a tick later: a shorter delay would land on the tick just served
                    delay = max(watch.plan.next_delay(now, rand()), tick)
                    due = last_call(now, delay, deadline, gap=tick)
        except Exception as exc:  # the polling ended with an error: the stream decides
            seen.put_nowait((watch, None, exc))

    async def _sleep(self, watch: _Watch, due: float) -> None:
        """Until ``due``, on the tick grid, or a hint (``hint``), whichever is first."""
        loop = asyncio.get_running_loop()
        if self._tick:
            due = round(due / self._tick) * self._tick
        watch.wake = future = loop.create_future()
        handle = loop.call_at(due, _wake, future)
        try:
            await future
        finally:
            handle.cancel()
            watch.wake = None

    def hint(self, watch: _Watch) -> None:
        """Poll ``watch`` now (a webhook said it finished): at most one extra poll per
        ``HINT_WINDOW``, and one right after a poll that is out."""
        now = asyncio.get_running_loop().time()
        if now - watch.hinted < HINT_WINDOW:
            return
        watch.hinted = now
        if watch.polling:
            watch.again = True
        elif watch.wake is not None:
            _wake(watch.wake)


class BatchStream(Generic[R, Y]):
    """Async iterator over batches as they finish (or over progress, for ``watch_batch``).

    Each batch is yielded once, completed or failed. Batch-specific errors are collected and
    raised together as [BatchErrors][enrow_async.BatchErrors] once every other batch has
    been yielded; errors that concern all batches (authentication, credits, transport) are
    raised at once. When the deadline passes, batches that already finished are yielded
    first, then [BatchTimeoutError][enrow_async.BatchTimeoutError] names the rest.
    """

    def __init__(
        self,
        poller: Poller,
        ids: Iterable[str],
        *,
        request: Callable[[str], Request],
        read: Callable[[str, Response], R],
        plan: Callable[[str], PollPlan],
        timeout: float | None,
        on_progress: ProgressCallback | None,
        yield_progress: bool = False,
        collect_errors: bool = False,
        webhook: WebhookSource | None = None,
        hinted_plan: Callable[[str], PollPlan] | None = None,
        event: str | None = None,
    ) -> None:
        self._poller = poller
        self._ids = list(dict.fromkeys(ids))
        self._request = request
        self._read = read
        self._plan = plan
        self._timeout = timeout
        self._on_progress = on_progress
        self._yield_progress = yield_progress
        self._collect_errors = collect_errors
        self._webhook = webhook
        self._hinted_plan = hinted_plan or plan
        self._event = event
        self._unsubscribe: list[Callable[[], None]] = []
        self._pending: dict[str, _Watch] = {}
        self._watches: dict[str, _Watch] = {}
        self._errors: dict[str, EnrowError] = {}
        self._seen: asyncio.Queue[_Seen] = asyncio.Queue()
        self._deadline = math.inf
        self._loop: asyncio.AbstractEventLoop | None = None
        """The loop iteration started on (``None`` until then)."""
        self._closed = False

    def __aiter__(self) -> BatchStream[R, Y]:
        return self

    async def __aenter__(self) -> BatchStream[R, Y]:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        self.close()

    def _start(self) -> None:
        poller = self._poller
        self._loop = loop = poller.enter(self)
        now = loop.time()
        if self._timeout is not None:
            self._deadline = now + self._timeout
        report = self._yield_progress or self._on_progress is not None
        for batch_id in self._ids:
            read = functools.partial(self._read, batch_id)
            watch = _Watch(batch_id, self._request(batch_id), read, self._plan(batch_id))
            self._pending[batch_id] = self._watches[batch_id] = watch
            polls = poller.polls(watch, self._seen, now, self._deadline, report)
            watch.task = loop.create_task(polls)
            if self._webhook is not None:
                hinted = functools.partial(self._hinted, watch)
                self._unsubscribe.append(self._webhook.subscribe(batch_id, hinted))

    def _hinted(self, watch: _Watch, event: object) -> None:
        """A webhook says the batch finished: read it now; from the first hint on, the
        normal plan instead of the safety net (more hints only add polls). Only the event
        of this job's kind counts (``event``, from the job table)."""
        if self._event is not None and getattr(event, "event", self._event) != self._event:
            return
        if watch.job_id in self._pending:
            if watch.hinted == -math.inf:
                watch.plan = self._hinted_plan(watch.job_id)
            self._poller.hint(watch)

    async def __anext__(self) -> Y:
        if self._closed:
            raise StopAsyncIteration
        if self._loop is None:
            self._start()
        try:
            while self._pending:
                taken = await self._take(*await self._next())
                if taken:
                    return taken[0]
        except BaseException:
            self.close()
            raise
        self.close()
        if self._errors:
            raise BatchErrors(self._errors)
        raise StopAsyncIteration

    async def _take(self, watch: _Watch, progress: Progress | None, outcome: object) -> list[Y]:
        """What a task saw, told (``on_progress``) and taken: ``[item]`` to yield, or ``[]``
        to read on; an error that concerns every batch (or any, unless collected) is raised."""
        batch_id = watch.job_id
        if batch_id not in self._pending:
            return []
        if progress is not None and self._on_progress is not None:
            called = self._on_progress(progress)
            if inspect.isawaitable(called):
                await called
        if outcome is None:  # still running
            return [progress] if self._yield_progress else []  # type: ignore[list-item]
        del self._pending[batch_id]
        if isinstance(outcome, EnrowError) and outcome.concerns_one_job and self._collect_errors:
            self._errors[batch_id] = outcome
            return []
        if isinstance(outcome, Exception):
            raise outcome
        return [progress or watch.last] if self._yield_progress else [outcome]  # type: ignore[list-item]

    async def _next(self) -> _Seen:
        seen = self._seen
        if seen.empty() and self._deadline > asyncio.get_running_loop().time():
            deadline = None if self._deadline == math.inf else self._deadline
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout_at(deadline):
                    return await seen.get()
        if seen.empty():
            pending = {bid: watch.last for bid, watch in self._pending.items()}
            raise BatchTimeoutError(self._timeout or 0.0, pending, self._errors)
        return seen.get_nowait()

    def last(self, batch_id: str) -> Progress | None:
        """The last progress snapshot seen for ``batch_id``."""
        watch = self._watches.get(batch_id)
        return None if watch is None else watch.last

    def abort(self, error: Exception) -> list[asyncio.Task[None]]:
        """The client is closing: every pending batch gets ``error``; returns the tasks,
        cancelled."""
        tasks = [watch.task for watch in self._pending.values() if watch.task is not None]
        for watch in self._pending.values():
            self._seen.put_nowait((watch, None, error))
        for task in tasks:
            task.cancel()
        return tasks

    def close(self) -> None:
        """Stop every outstanding poll of this stream at once (idempotent, synchronous)."""
        if self._closed:
            return
        self._closed = True
        for unsubscribe in self._unsubscribe:
            unsubscribe()
        for watch in self._pending.values():
            if watch.task is not None:
                watch.task.cancel()

    async def aclose(self) -> None:
        self.close()

    def __del__(self) -> None:
        """Dropped unclosed (``break`` out of ``async for``): closed at the loop's next
        turn, never from inside whatever code the garbage collector interrupted."""
        if getattr(self, "_closed", True):
            return
        loop = self._loop
        if loop is not None and not loop.is_closed():
            loop.call_soon_threadsafe(self.close)
        else:  # never started (nothing is watched), or its loop is gone (nothing runs)
            self._closed = True
