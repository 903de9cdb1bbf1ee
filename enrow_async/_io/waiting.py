"""The waiting side of the scheduler: async iterators that own a set of watches.

A [BatchStream][enrow_async.BatchStream] registers its watches when iteration starts, turns
the events the scheduler sends into results (or progress snapshots), calls ``on_progress``
in order in the caller's own task, enforces the deadline, and cancels every outstanding poll
as soon as it is closed: by ``aclose()``, ``async with``, an exception or cancellation, or
by ``break`` (the iterator is dropped, and closed at the event loop's next turn).
"""

from __future__ import annotations

import asyncio
import functools
import inspect
import math
from collections.abc import Callable, Iterable
from types import TracebackType
from typing import Any, Generic, Protocol, TypeVar

import anyio

from .._core.http import Request, Response
from .._core.schedule import PollPlan
from ..errors import BatchErrors, BatchTimeoutError, EnrowError
from ..models import JobProgress, Progress, StartedBatch
from .scheduler import Event, Failed, Finished, Pollable, Scheduler, Watch

__all__ = [
    "BatchStream",
    "JobProgressCallback",
    "ProgressCallback",
    "StartedCallback",
    "WebhookSource",
]

R = TypeVar("R", bound=Pollable)
Y = TypeVar("Y")

ProgressCallback = Callable[[Progress], object]
"""``on_progress``: a plain function or a coroutine function taking a Progress; what it
returns is ignored (an awaitable is awaited), so ``tqdm.update``-style callbacks fit."""

JobProgressCallback = Callable[[JobProgress], object]
"""``find_emails``' ``on_progress``: the same, taking a JobProgress."""

StartedCallback = Callable[[StartedBatch], object]
"""``find_emails``' ``on_started``: the same, taking each StartedBatch as its POST succeeds;
an exception it raises ends the call at once (no more starts, no wait)."""


class WebhookSource(Protocol):
    """Anything that calls back when an id's webhook arrives (e.g. WebhookReceiver)."""

    def subscribe(self, batch_id: str, callback: Callable[[Any], object]) -> Callable[[], None]:
        """Call ``callback(event)`` when ``batch_id``'s event arrives; return an unsubscribe."""
        ...


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
        scheduler: Scheduler,
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
        self._scheduler = scheduler
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
        self._switched: set[str] = set()
        self._pending: dict[str, Watch] = {}
        self._watches: dict[str, Watch] = {}
        self._errors: dict[str, EnrowError] = {}
        self._send, self._receive = anyio.create_memory_object_stream[Event](math.inf)
        self._deadline = math.inf
        self._loop: asyncio.AbstractEventLoop | None = None
        """The loop iteration started on (``None`` until then)."""
        self._closed = False

    def __aiter__(self) -> BatchStream[R, Y]:
        return self

    async def __aenter__(self) -> BatchStream[R, Y]:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def _start(self) -> None:
        self._loop = asyncio.get_running_loop()
        now = anyio.current_time()
        if self._timeout is not None:
            self._deadline = now + self._timeout
        yield_progress_or_callback = self._yield_progress or self._on_progress is not None
        for batch_id in self._ids:
            plan = self._plan(batch_id)
            watch = Watch(
                batch_id,
                self._request(batch_id),
                self._read,
                plan,
                self._send,
                now,
                self._deadline,
                report=yield_progress_or_callback,
            )
            self._pending[batch_id] = watch
            self._watches[batch_id] = watch
            self._scheduler.add(watch, plan.first_delay(self._scheduler.rand()))
            if self._webhook is not None:
                hinted = functools.partial(self._hinted, watch)
                self._unsubscribe.append(self._webhook.subscribe(batch_id, hinted))

    def _hinted(self, watch: Watch, event: object) -> None:
        """A webhook says the batch finished: read it now, then poll normally if it is not.

        Only the event of this job's kind counts (``event``, from the job table)."""
        if self._event is not None and getattr(event, "event", self._event) != self._event:
            return
        if watch.live:
            if watch.job_id not in self._switched:  # the first hint: the normal schedule
                self._switched.add(watch.job_id)  # from now on (more only add polls)
                watch.plan = self._hinted_plan(watch.job_id)
            self._scheduler.poll_now(watch)

    async def __anext__(self) -> Y:
        if self._closed:
            raise StopAsyncIteration
        if self._loop is None:
            self._start()
        try:
            while self._pending:
                event = await self._next_event()
                batch_id = event.watch.job_id
                if batch_id not in self._pending:
                    continue
                progress = None if isinstance(event, Failed) else event.progress
                if progress is not None and self._on_progress is not None:
                    outcome = self._on_progress(progress)
                    if inspect.isawaitable(outcome):
                        await outcome
                if isinstance(event, Failed):
                    del self._pending[batch_id]
                    failure = event.error
                    one_job = isinstance(failure, EnrowError) and failure.concerns_one_job
                    if not (self._collect_errors and one_job):
                        raise failure
                    assert isinstance(failure, EnrowError)
                    self._errors[batch_id] = failure
                    continue
                if isinstance(event, Finished):
                    del self._pending[batch_id]
                    if self._yield_progress:
                        return progress if progress is not None else event.watch.last  # type: ignore[return-value]
                    return event.result  # type: ignore[no-any-return]
                if self._yield_progress:
                    return progress  # type: ignore[return-value]
        except BaseException:
            self.close()
            raise
        self.close()
        if self._errors:
            raise BatchErrors(self._errors)
        raise StopAsyncIteration

    async def _next_event(self) -> Event:
        try:
            return self._receive.receive_nowait()
        except anyio.WouldBlock:
            pass
        remaining = self._deadline - anyio.current_time()
        if remaining > 0:
            if remaining == math.inf:
                return await self._receive.receive()
            with anyio.move_on_after(remaining):
                return await self._receive.receive()
        try:
            return self._receive.receive_nowait()
        except anyio.WouldBlock:
            pending = {bid: watch.last for bid, watch in self._pending.items()}
            raise BatchTimeoutError(self._timeout or 0.0, pending, self._errors) from None

    def last(self, batch_id: str) -> Progress | None:
        """The last progress snapshot seen for ``batch_id``."""
        watch = self._watches.get(batch_id)
        return None if watch is None else watch.last

    def close(self) -> None:
        """Stop every outstanding poll of this stream at once (idempotent, synchronous)."""
        if self._closed:
            return
        self._closed = True
        for unsubscribe in self._unsubscribe:
            unsubscribe()
        for watch in self._pending.values():
            self._scheduler.cancel(watch)
        self._send.close()
        self._receive.close()

    async def aclose(self) -> None:
        self.close()

    def __del__(self) -> None:
        """Dropped unclosed (``break`` out of ``async for``): closed at the loop's next
        turn, never from inside whatever code the garbage collector interrupted (the
        scheduler's own, it may be)."""
        if getattr(self, "_closed", True):
            return
        self._receive.close()  # nobody reads it any more: the scheduler's sends stop now
        loop = self._loop
        if loop is not None and not loop.is_closed():
            loop.call_soon_threadsafe(self.close)
        else:  # never started (nothing is watched), or its loop is gone (nothing runs)
            self._closed = True
            self._send.close()
