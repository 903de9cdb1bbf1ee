"""The real polling parts, wired as the client wires them, for the ``_io`` unit tests.

A simulator in memory, a :class:`Recorder` around its MemoryTransport (when each request
was sent, its answer, how many were in flight), and a Sender and a Poller on it, all on the
virtual clock of ``tests/unit``. The tests drive the poller and its streams directly, not
through the client's calls.
"""

from __future__ import annotations

import asyncio
import contextlib
import random
from collections.abc import AsyncIterator, Callable, Iterable
from typing import Any

import anyio
import attrs

from enrow_async import ClientClosedError, PollPolicy, RetryBudget, RetryPolicy
from enrow_async._core.config import ApiConfig
from enrow_async._core.http import Request, Response
from enrow_async._core.jobs import EMAIL_BULK, JobSpec
from enrow_async._core.requests import read_request
from enrow_async._core.schedule import PollPlan
from enrow_async._io.sender import Sender
from enrow_async._io.waiting import BatchStream, Poller
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


def polling() -> int:
    """Polling tasks alive on this loop (one per watched job), not being cancelled."""
    return sum(
        getattr(task.get_coro(), "__qualname__", "") == "Poller.polls" and not task.cancelling()
        for task in asyncio.all_tasks()
    )


def instant(at: float) -> float:
    """A virtual time, rounded to group requests sent at one instant."""
    return round(at, 6)


@attrs.define
class Parts:
    sim: EnrowSimulator
    transport: Recorder
    sender: Sender
    poller: Poller
    config: ApiConfig
    closed: bool = False
    """Once set, the poller refuses new streams, as a closed client's does."""

    def batches(self, n: int, *, duration: float = LONG, **options: Any) -> list[str]:
        """``n`` new email batches of 3 searches each on the simulator."""
        people = [{"fullname": f"P {i}", "company_domain": f"co{i}.com"} for i in range(3)]
        return [self.sim.add_batch(people, duration=duration, **options) for _ in range(n)]

    def request(self, job_id: str, spec: JobSpec[Any] = EMAIL_BULK) -> Request:
        return read_request(self.config, spec, job_id)

    def plan(self, policy: PollPolicy = POLICY) -> PollPlan:
        return PollPlan(policy, started_at=anyio.current_time())

    def stream(
        self,
        ids: Iterable[str],
        *,
        spec: JobSpec[Any] = EMAIL_BULK,
        policy: PollPolicy | Callable[[str], PollPolicy] = POLICY,
        timeout: float | None = None,
        on_progress: Any = None,
        safety: float = 60.0,
        **options: Any,
    ) -> BatchStream[Any, Any]:
        """A BatchStream over ``ids`` as the JobRunner builds one (``policy``: one for all,
        or one per id; ``safety``: seconds between polls while a webhook is awaited)."""
        policy_of = policy if callable(policy) else (lambda _: policy)
        return BatchStream(
            self.poller,
            ids,
            spec=spec,
            config=self.config,
            plan=lambda job_id: self.plan(policy_of(job_id)),
            timeout=timeout,
            on_progress=on_progress,
            safety=safety,
            **options,
        )


@contextlib.asynccontextmanager
async def running(
    config: SimulatorConfig | None = None,
    *,
    key: str | None = None,
    max_in_flight: int = 64,
    tick: float = 0.1,
    retry: RetryPolicy | None = None,
    seed: int = 0,
    connect_timeout: float = 10.0,
    read_timeout: float = 60.0,
) -> AsyncIterator[Parts]:
    """Open parts onto a new simulator, wired as ``EnrowClient`` wires them (its
    its ``PollPolicy.tick`` is the poller's ``tick``), closed as it closes them."""
    async with EnrowSimulator(config or SimulatorConfig(seed=3), serve=False) as sim:
        transport = Recorder(MemoryTransport(sim))
        rand = random.Random(seed).random
        sender = Sender(
            transport,
            retry=retry or RetryPolicy(),
            budget=RetryBudget(),
            rand=rand,
            posts_per_second=10,
            max_in_flight=max_in_flight,
            timeout=connect_timeout + read_timeout,
            read_timeout=read_timeout,
            call_timeout=120.0,
        )
        config_ = ApiConfig.create(key or sim.api_key, sim.base_url)

        def enter() -> asyncio.AbstractEventLoop:
            if parts.closed:
                raise ClientClosedError("these parts are closed")
            return asyncio.get_running_loop()

        poller = Poller(sender.send, rand=rand, tick=tick, enter=enter)
        parts = Parts(sim, transport, sender, poller, config_)
        try:
            yield parts
        finally:
            parts.closed = True
            await poller.aclose()
            await transport.aclose()
