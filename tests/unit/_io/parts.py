"""The real polling parts, wired as the client wires them, for the ``_io`` unit tests.

A simulator in memory, a :class:`Recorder` around its MemoryTransport (when each request
was sent, its answer, how many were in flight), and the Sender and Scheduler of an open
EnrowClient on it, all on the virtual clock of ``tests/unit``. The tests drive the
scheduler and waiting directly, not through the client's calls.
"""

from __future__ import annotations

import asyncio
import contextlib
import math
import random
from collections.abc import AsyncIterator, Callable, Iterable
from typing import Any

import anyio
import attrs
from anyio.streams.memory import MemoryObjectReceiveStream, MemoryObjectSendStream

from enrow_async import EnrowClient, PollPolicy, RetryPolicy
from enrow_async._core.http import ApiConfig, Request, Response
from enrow_async._core.jobs import EMAIL_BULK, JobSpec
from enrow_async._core.requests import read_request
from enrow_async._core.schedule import PollPlan
from enrow_async._io.scheduler import Event, Scheduler, Watch
from enrow_async._io.sender import Sender
from enrow_async._io.waiting import BatchStream
from enrow_async.testing import EnrowSimulator, MemoryTransport, SimulatorConfig

POLICY = PollPolicy(initial=1.0, min_interval=0.25, max_interval=2.0)
"""Polls about every second or two: many polls per virtual minute."""

LONG = 10_000.0
"""Seconds a job lasts when a test needs it to stay ongoing."""


@attrs.define
class Sent:
    """One request as the transport saw it."""

    at: float
    method: str
    job_id: str | None
    status: int | None = None  # None: no answer (an error, or cancelled)


class Recorder:
    """A Transport that passes every request to ``inner`` and writes down what happened."""

    def __init__(self, inner: MemoryTransport) -> None:
        self.inner = inner
        self.sent: list[Sent] = []
        self.in_flight = 0
        self.peak = 0
        self.cancelled = 0

    async def send(self, request: Request) -> Response:
        record = Sent(anyio.current_time(), request.method, request.job_id)
        self.sent.append(record)
        self.in_flight += 1
        self.peak = max(self.peak, self.in_flight)
        try:
            response = await self.inner.send(request)
        except anyio.get_cancelled_exc_class():
            self.cancelled += 1
            raise
        finally:
            self.in_flight -= 1
        record.status = response.status
        return response

    async def aclose(self) -> None:
        await self.inner.aclose()

    def gets(self, job_id: str | None = None) -> list[float]:
        """When GETs were sent (of ``job_id`` only, if given)."""
        return [s.at for s in self.sent if s.method == "GET" and job_id in (None, s.job_id)]

    def first_gets(self) -> dict[str, float]:
        """When each job was first read."""
        first: dict[str, float] = {}
        for s in self.sent:
            if s.method == "GET" and s.job_id is not None:
                first.setdefault(s.job_id, s.at)
        return first


def workers() -> int:
    """Scheduler worker tasks alive on this loop (anyio wraps each task's coroutine in its
    own: the chain of awaited coroutines is searched)."""
    count = 0
    for task in asyncio.all_tasks():
        coro: Any = task.get_coro()
        while getattr(coro, "cr_code", None) is not None:
            if coro.cr_code.co_qualname == "Scheduler._worker":
                count += 1
                break
            coro = coro.cr_await
    return count


def instant(at: float) -> float:
    """A virtual time, rounded to group requests sent at one instant."""
    return round(at, 6)


@attrs.define
class Parts:
    sim: EnrowSimulator
    transport: Recorder
    sender: Sender
    scheduler: Scheduler
    config: ApiConfig
    send: MemoryObjectSendStream[Event]
    """Where the watches of a test send their events (closed with the parts)."""
    receive: MemoryObjectReceiveStream[Event]
    """Where the test reads them."""

    def batches(self, n: int, *, duration: float = LONG, **options: Any) -> list[str]:
        """``n`` new email batches of 3 searches each on the simulator."""
        people = [{"fullname": f"P {i}", "company_domain": f"co{i}.com"} for i in range(3)]
        return [self.sim.add_batch(people, duration=duration, **options) for _ in range(n)]

    def request(self, job_id: str, spec: JobSpec[Any] = EMAIL_BULK) -> Request:
        return read_request(self.config, spec.kind, spec.path, job_id)

    def plan(self, policy: PollPolicy = POLICY) -> PollPlan:
        return PollPlan(policy, started_at=anyio.current_time())

    def watch(
        self,
        job_id: str,
        sink: MemoryObjectSendStream[Event],
        *,
        policy: PollPolicy = POLICY,
        deadline: float = math.inf,
        report: bool = True,
    ) -> Watch:
        """A watch of an email batch, not yet added."""
        now = anyio.current_time()
        plan = self.plan(policy)
        read = EMAIL_BULK.read
        return Watch(job_id, self.request(job_id), read, plan, sink, now, deadline, report)

    def stream(
        self,
        ids: Iterable[str],
        *,
        spec: JobSpec[Any] = EMAIL_BULK,
        policy: PollPolicy = POLICY,
        timeout: float | None = None,
        on_progress: Any = None,
        hinted: PollPolicy | None = None,
        **options: Any,
    ) -> BatchStream[Any, Any]:
        """A BatchStream over ``ids`` as the JobRunner builds one (``hinted``: the plan once
        a webhook said the job finished)."""
        plan: Callable[[str], PollPlan] = lambda _: self.plan(policy)  # noqa: E731
        return BatchStream(
            self.scheduler,
            ids,
            request=lambda job_id: self.request(job_id, spec),
            read=spec.read,
            plan=plan,
            timeout=timeout,
            on_progress=on_progress,
            hinted_plan=None if hinted is None else (lambda _: self.plan(hinted)),
            event=spec.event,
            **options,
        )


@contextlib.asynccontextmanager
async def running(
    config: SimulatorConfig | None = None,
    *,
    key: str | None = None,
    max_in_flight: int = 64,
    coalesce: float = 0.1,
    retry: RetryPolicy | None = None,
    seed: int = 0,
    **client_options: Any,
) -> AsyncIterator[Parts]:
    """Open parts onto a new simulator, wired (and closed) by an EnrowClient: the one place
    that wires them, so these tests follow its wiring (``client_options``: more of its
    keyword arguments)."""
    async with EnrowSimulator(config or SimulatorConfig(seed=3), serve=False) as sim:
        transport = Recorder(MemoryTransport(sim))
        client = EnrowClient(
            key or sim.api_key,
            base_url=sim.base_url,
            transport=transport,
            rand=random.Random(seed).random,
            max_in_flight=max_in_flight,
            poll_coalesce=coalesce,
            retry=retry or RetryPolicy(),
            **client_options,
        )
        send, receive = anyio.create_memory_object_stream[Event](math.inf)
        async with client:
            with send, receive:
                yield Parts(
                    sim,
                    transport,
                    client._sender,
                    client._scheduler,
                    client._config,
                    send,
                    receive,
                )
