"""Webhook deliveries: one background task that wakes when the next job with a webhook ends.

The task exists only while deliveries are pending, so an idle simulator runs no task.
"""

from __future__ import annotations

import asyncio
import contextlib
import heapq
import itertools
import time

import aiohttp
import orjson

from ._config import SimulatorConfig
from ._jobs import Job
from ._state import SimulatorStats, loop_time

__all__ = ["WebhookSender"]

_CLOCK_TICK = 0.01
"""With a clock other than the event loop's the next due time is re-read this often."""

_HEADERS = {"content-type": "application/json", "user-agent": "enrow-simulator"}


class WebhookSender:
    """POSTs each job's webhook event ``webhook_delay`` clock-seconds after the job ends."""

    def __init__(self, config: SimulatorConfig, stats: SimulatorStats) -> None:
        self._clock = loop_time if config.clock is None else config.clock
        self._loop_clock = config.clock is None or config.clock is time.monotonic
        self._delay = config.webhook_delay
        self._repeat = config.webhook_repeat
        self._stats = stats
        self._due: list[tuple[float, int, Job]] = []
        self._order = itertools.count()
        self._wake = asyncio.Event()
        self._running = False
        self._loop_task: asyncio.Task[None] | None = None
        self._deliveries: set[asyncio.Task[None]] = set()
        self._session: aiohttp.ClientSession | None = None

    def schedule(self, job: Job) -> None:
        for _ in range(self._repeat):
            heapq.heappush(self._due, (job.finish_at + self._delay, next(self._order), job))
        self._kick()

    def start(self) -> None:
        self._running = True
        self._kick()

    async def aclose(self) -> None:
        """Cancel the loop and any delivery in flight; close the HTTP session."""
        self._running = False
        tasks = [t for t in (self._loop_task, *self._deliveries) if t is not None]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        if self._session is not None:
            await self._session.close()
            self._session = None

    def _kick(self) -> None:
        if not (self._running and self._due):
            return
        if self._loop_task is None:
            self._loop_task = asyncio.get_running_loop().create_task(self._run())
        self._wake.set()

    async def _run(self) -> None:
        while self._due:
            now = self._clock()
            while self._due and self._due[0][0] <= now:
                self._send(heapq.heappop(self._due)[2])
            if not self._due:
                break
            wait = self._due[0][0] - now
            self._wake.clear()
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(wait if self._loop_clock else _CLOCK_TICK):
                    await self._wake.wait()
        self._loop_task = None

    def _send(self, job: Job) -> None:
        if self._session is None:
            self._session = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=10))
        task = asyncio.get_running_loop().create_task(self._deliver(self._session, job))
        self._deliveries.add(task)
        task.add_done_callback(self._deliveries.discard)

    async def _deliver(self, session: aiohttp.ClientSession, job: Job) -> None:
        assert job.webhook is not None
        try:
            body = orjson.dumps(job.webhook_event())
            async with session.post(job.webhook, data=body, headers=_HEADERS) as response:
                await response.read()
                delivered = 200 <= response.status < 300
        except (aiohttp.ClientError, OSError, TimeoutError, ValueError):
            delivered = False
        if delivered:
            self._stats.webhooks_delivered += 1
        else:
            self._stats.webhooks_failed += 1
