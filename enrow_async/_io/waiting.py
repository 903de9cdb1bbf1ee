"""Waiting: one asyncio task per watched job, shared by every wait on it, and the async
iterators that wait.

A [BatchStream][enrow_async.BatchStream] joins the client's ``Poller`` on each of its jobs
when iteration starts; the first wait on a job starts its task, later ones share it. The task
sleeps what the job's ``PollPlan`` asks, on the client's shared tick, never past a last call
before the nearest deadline of its waits, polls through the sender and tells its waits what
it saw. A stream calls ``on_progress`` in the caller's task, enforces its own deadline and
leaves its jobs once closed (``aclose()``, ``async with``, an error, or ``break``: dropped,
it closes at the loop's next turn); a job's task stops when its last wait leaves.
"""

from __future__ import annotations

import asyncio
import functools
import inspect
import math
from collections.abc import Awaitable, Callable, Iterable
from types import TracebackType
from typing import Any, Generic, NamedTuple, Protocol, TypeAlias, TypeVar

import attrs

from .._core.config import ApiConfig
from .._core.http import Request, Response
from .._core.jobs import JobSpec
from .._core.requests import read_request
from .._core.schedule import PollPlan, last_call
from ..errors import BatchErrors, BatchTimeoutError, ClientClosedError, EnrowError
from ..models import BatchStatus, Progress

__all__ = ["BatchStream", "Pollable", "Poller", "ProgressCallback", "WebhookSource", "call"]

HINT_WINDOW = 1.0
"""Seconds within which more webhook hints for one job add no poll."""

ProgressCallback = Callable[[Progress], object]
"""``on_progress``: a plain function or a coroutine function taking a Progress; what it
returns is ignored (an awaitable is awaited), so ``tqdm.update``-style callbacks fit."""


async def call(callback: Callable[[Any], object], value: object) -> Any:
    """``callback(value)``, awaited if it returns an awaitable (sync or async callbacks)."""
    outcome = callback(value)
    return await outcome if inspect.isawaitable(outcome) else outcome


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


class _Waiter(NamedTuple):
    """One stream, as the watches it joined see it."""

    seen: asyncio.Queue[_Seen]
    deadline: float
    listens: bool
    started: float


@attrs.define(eq=False)
class _Watch:
    """One job, polled by one task for every stream that waits on it."""

    job_id: str
    request: Request
    read: Callable[[Response], Any]
    plan: PollPlan
    started: float
    safety: float | None
    """Seconds between polls on a webhook's safety net, until a hint or a wait without a
    webhook (``None``: on ``plan``)."""
    waiters: list[_Waiter] = attrs.Factory(list)
    last: Progress | None = None
    hinted: float = -math.inf
    again: bool = False
    """A hint came while a poll was out: poll again right after it."""
    due: float = math.inf
    wake: asyncio.Future[None] | None = None
    timer: asyncio.TimerHandle = attrs.field(init=False)
    task: asyncio.Task[None] = attrs.field(init=False)
    trace: TracebackType | None = None  # of the error that ended the polling

    @property
    def deadline(self) -> float:
        """The nearest deadline of its waits."""
        return min((waiter.deadline for waiter in self.waiters), default=math.inf)

    def saw(self, result: Pollable, now: float) -> Progress | None:
        """Feed the plan a poll read at ``now``; the progress if it changed (ETA if listened to)."""
        status, stats, last = result.status, result.stats, self.last
        self.plan.observe(now, stats.finished, stats.requested)
        seen = (status, stats.finished, stats.requested)
        if last is not None and (last.status, last.finished, last.requested) == seen:
            return None
        eta = any(waiter.listens for waiter in self.waiters)
        left = 0.0 if status.done else self.plan.eta(now) if eta else None
        self.last = Progress(self.job_id, *seen, now - self.started, self.plan.rate, left, now)
        return self.last

    def tell(self, progress: Progress | None, outcome: object) -> None:
        """Every wait the end (``outcome``: a result or an error), or a change if it listens."""
        for waiter in self.waiters:
            if outcome is not None or waiter.listens:
                waiter.seen.put_nowait((self, progress, outcome))


_Seen: TypeAlias = tuple[_Watch, Progress | None, object]
"""What a watch tells a stream: itself, a changed progress, the end (result or error) or None."""


def _wake(future: asyncio.Future[None] | None) -> None:
    if future is not None and not future.done():
        future.set_result(None)


class Poller:
    """The client's waits: one task per watched job (keyed by its URL: kind and id), on a
    shared tick of ``tick`` seconds. ``enter`` (the client's) names the event loop when a
    stream starts, or refuses it; ``aclose`` ends every live wait with
    [ClientClosedError][enrow_async.ClientClosedError] and leaves no task."""

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
        self.enter = enter
        self._watches: dict[str, _Watch] = {}

    async def aclose(self) -> None:
        error = ClientClosedError("the EnrowClient was closed while this wait was running")
        watches, self._watches = self._watches, {}
        for watch in watches.values():
            watch.tell(None, error)
            watch.task.cancel()
        if watches:
            await asyncio.wait([watch.task for watch in watches.values()])

    def join(self, waiter: _Waiter, watch: _Watch) -> _Watch:
        """The running watch of ``watch``'s job, joined by ``waiter`` (told at once its last
        progress), or ``watch``, started. It polls on its first wait's plan; a wait without
        a webhook ends its safety net; a deadline brings its next poll to its last call."""
        loop = asyncio.get_running_loop()
        running = self._watches.setdefault(watch.request.url, watch)
        running.waiters.append(waiter)
        if running is watch:
            watch.task = loop.create_task(self.polls(watch))
            return watch
        if waiter.listens and running.last is not None:
            waiter.seen.put_nowait((running, running.last, None))
        now = loop.time()
        due = last_call(now, running.due - now, waiter.deadline, first=True)
        if running.safety and not watch.safety:
            running.safety = None
            due = min(due, now + running.plan.next_delay(now, self.rand()))
        if running.wake is not None and due < running.due:
            running.timer.cancel()
            self._arm(running, due)
        return running

    def leave(self, watch: _Watch, waiter: _Waiter) -> None:
        """``waiter`` waits no more; the last to leave a watch stops its polling."""
        watch.waiters.remove(waiter)
        if not watch.waiters:
            watch.task.cancel()
            self._drop(watch)

    def _drop(self, watch: _Watch) -> None:
        if self._watches.get(watch.request.url) is watch:
            del self._watches[watch.request.url]

    async def polls(self, watch: _Watch) -> None:
        """Poll one job until it is done (or an error ends it); tell its waits what changed."""
        loop = asyncio.get_running_loop()
        rand, tick = self.rand, self._gap
        first = watch.safety or watch.plan.first_delay(rand())
        due = last_call(watch.started, first, watch.deadline, first=True)
        try:
            while True:
                await self._sleep(watch, due)
                result = await self._send(watch.request, watch.read, poll=True)
                now = loop.time()
                progress = watch.saw(result, now)
                if result.status.done:
                    watch.tell(progress, result)
                    return
                if progress is not None:
                    watch.tell(progress, None)
                if watch.again:
                    watch.again = False
                    due = now
                else:  # at least a tick later: a shorter delay would land on the tick just served
                    delay = max(watch.safety or watch.plan.next_delay(now, rand()), tick)
                    due = last_call(now, delay, watch.deadline, gap=tick)
        except Exception as exc:  # the polling ended with an error: every wait is told
            watch.trace = exc.__traceback__
            watch.tell(None, exc)
        finally:
            self._drop(watch)

    async def _sleep(self, watch: _Watch, due: float) -> None:
        """Until ``due`` (or earlier, if a wait joins: ``_arm``), or a hint (``hint``)."""
        watch.wake = asyncio.get_running_loop().create_future()
        self._arm(watch, due)
        try:
            await watch.wake
        finally:
            watch.wake = None
            watch.timer.cancel()

    def _arm(self, watch: _Watch, due: float) -> None:
        """Wake ``watch`` at ``due``, on the tick grid."""
        if self._tick:
            due = round(due / self._tick) * self._tick
        watch.due = due
        watch.timer = asyncio.get_running_loop().call_at(due, _wake, watch.wake)

    def hint(self, watch: _Watch) -> None:
        """Poll ``watch`` now (a webhook said it finished): at most one extra poll per
        ``HINT_WINDOW``, and one right after a poll that is out."""
        now = asyncio.get_running_loop().time()
        if now - watch.hinted < HINT_WINDOW:
            return
        watch.hinted = now
        watch.again = watch.wake is None  # a poll is out: another right after it
        _wake(watch.wake)


@attrs.define(slots=False, eq=False, repr=False)
class BatchStream(Generic[R, Y]):
    """Async iterator over batches as they finish (or over progress, for ``watch_batch``).

    Each batch is yielded once, completed or failed. Batch-specific errors are collected and
    raised together as [BatchErrors][enrow_async.BatchErrors] once every other batch has
    been yielded; errors that concern all batches (authentication, credits, transport) are
    raised at once. When the deadline passes, batches that already finished are yielded
    first, then [BatchTimeoutError][enrow_async.BatchTimeoutError] names the rest.
    """

    _poller: Poller
    _ids: Iterable[str]
    _spec: JobSpec[R] = attrs.field(kw_only=True)
    _config: ApiConfig = attrs.field(kw_only=True)
    _plan: Callable[[str], PollPlan] = attrs.field(kw_only=True)
    _timeout: float | None = attrs.field(kw_only=True)
    _safety: float = attrs.field(kw_only=True)
    """Seconds between polls while a webhook is awaited (the safety net)."""
    _on_progress: ProgressCallback | None = attrs.field(kw_only=True)
    _yield_progress: bool = attrs.field(default=False, kw_only=True)
    _collect_errors: bool = attrs.field(default=False, kw_only=True)
    _webhook: WebhookSource | None = attrs.field(default=None, kw_only=True)
    _unsubscribe: list[Callable[[], None]] = attrs.field(init=False, factory=list)
    _pending: dict[str, _Watch] = attrs.field(init=False, factory=dict)
    _watches: dict[str, _Watch] = attrs.field(init=False, factory=dict)
    _errors: dict[str, EnrowError] = attrs.field(init=False, factory=dict)
    _waiter: _Waiter = attrs.field(init=False)
    _loop: asyncio.AbstractEventLoop | None = attrs.field(init=False, default=None)
    """The loop iteration started on (``None`` until then)."""
    _closed: bool = attrs.field(init=False, default=False)

    def __aiter__(self) -> BatchStream[R, Y]:
        return self

    async def __aenter__(self) -> BatchStream[R, Y]:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        self.close()

    def _start(self) -> None:
        poller = self._poller
        self._loop = loop = poller.enter()
        now = loop.time()
        deadline = math.inf if self._timeout is None else now + self._timeout
        report = self._yield_progress or self._on_progress is not None
        self._waiter = waiter = _Waiter(asyncio.Queue(), deadline, report, now)
        safety = None if self._webhook is None else self._safety
        for batch_id in dict.fromkeys(self._ids):
            read = functools.partial(self._spec.read, batch_id)
            request, plan = read_request(self._config, self._spec, batch_id), self._plan(batch_id)
            watch = poller.join(waiter, _Watch(batch_id, request, read, plan, now, safety))
            self._pending[batch_id] = self._watches[batch_id] = watch
            if self._webhook is not None:
                hinted = functools.partial(self._hinted, watch)
                self._unsubscribe.append(self._webhook.subscribe(batch_id, hinted))

    def _hinted(self, watch: _Watch, event: object) -> None:
        """A webhook says the batch finished: read it now, and on its plan from then on, not
        the safety net. Only the event of this job's kind counts (``event``)."""
        if getattr(event, "event", self._spec.event) != self._spec.event:
            return
        if watch.job_id in self._pending:
            watch.safety = None
            self._poller.hint(watch)

    async def __anext__(self) -> Y:
        if self._closed:
            raise StopAsyncIteration
        if self._loop is None:
            self._start()
        try:
            while self._pending:
                if (item := await self._take(*await self._next())) is not None:
                    return item
        except BaseException:
            self.close()
            raise
        self.close()
        if self._errors:
            raise BatchErrors(self._errors)
        raise StopAsyncIteration

    async def _take(self, watch: _Watch, progress: Progress | None, outcome: object) -> Y | None:
        """What a watch saw, told (``on_progress``) and taken: the item to yield, or
        ``None`` to read on; an error that concerns every batch (or any, unless collected) is
        raised."""
        batch_id = watch.job_id
        if batch_id not in self._pending:
            return None
        progress = self._own(watch, progress)
        if progress is not None and self._on_progress is not None:
            await call(self._on_progress, progress)
        if outcome is None:  # still running
            return progress if self._yield_progress else None  # type: ignore[return-value]
        del self._pending[batch_id]
        if isinstance(outcome, EnrowError) and outcome.concerns_one_job and self._collect_errors:
            self._errors[batch_id] = outcome
            return None
        if isinstance(outcome, Exception):
            raise outcome.with_traceback(watch.trace)  # not via other waits' frames
        return (progress or self.last(batch_id)) if self._yield_progress else outcome  # type: ignore[return-value]

    async def _next(self) -> _Seen:
        """What a watch saw next (at once if it is waiting), or, past the deadline,
        BatchTimeoutError naming the batches still out."""
        deadline = self._waiter.deadline
        try:
            async with asyncio.timeout_at(None if deadline == math.inf else deadline):
                return await self._waiter.seen.get()
        except TimeoutError:
            pending = {batch_id: self.last(batch_id) for batch_id in self._pending}
            raise BatchTimeoutError(self._timeout or 0.0, pending, self._errors) from None

    def _own(self, watch: _Watch, progress: Progress | None) -> Progress | None:
        """``progress``, its ``elapsed`` counted from this wait's start (not the watch's)."""
        if progress is None or watch.started == (started := self._waiter.started):
            return progress
        return attrs.evolve(progress, elapsed=max(0.0, progress.elapsed + watch.started - started))

    def last(self, batch_id: str) -> Progress | None:
        """The last progress snapshot seen for ``batch_id``."""
        watch = self._watches.get(batch_id)
        return None if watch is None else self._own(watch, watch.last)

    def close(self) -> None:
        """Leave every job at once (idempotent, synchronous): unshared, its polling stops."""
        if self._closed:
            return
        self._closed = True
        for unsubscribe in self._unsubscribe:
            unsubscribe()
        for watch in self._pending.values():
            self._poller.leave(watch, self._waiter)

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
