"""Client-wide limit on POSTs: at most ``limit`` starts in any ``period`` seconds."""

from __future__ import annotations

import asyncio
import contextlib
import math
from collections import deque

__all__ = ["SlidingWindow"]


class SlidingWindow:
    """A sliding-window limiter shared by every task using one client.

    A request holds a slot from ``acquire()`` until ``release()`` (its answer or failure),
    and the slot stays taken for ``period`` seconds after that. The server counts the
    request at some moment between the two, so however long the request travels, no more
    than ``limit`` of them reach the server within its window. ``delay(now)`` is the pure
    part (how long until a slot frees; ``inf`` while every slot waits for an answer);
    ``record(now)`` notes a request sent and answered at ``now``. The window is padded by
    ``margin`` seconds against clock granularity.
    """

    def __init__(self, limit: int = 10, period: float = 1.0, margin: float = 0.05) -> None:
        if limit < 1 or period <= 0 or margin < 0:
            raise ValueError("rate limit needs limit >= 1, period > 0 and margin >= 0")
        self.limit = limit
        self.period = period + margin
        self._sent: deque[float] = deque(maxlen=limit)
        self._held = 0
        self._lock = asyncio.Lock()
        self._released: asyncio.Event | None = None

    def delay(self, now: float) -> float:
        recent = [t for t in self._sent if t + self.period > now]
        if self._held + len(recent) < self.limit:
            return 0.0
        if not recent:
            return math.inf
        return recent[0] + self.period - now

    def record(self, now: float) -> None:
        self._sent.append(now)

    async def acquire(self) -> None:
        """Wait for a slot and hold it; call ``release()`` once the request is over."""
        loop = asyncio.get_running_loop()
        async with self._lock:
            while (wait := self.delay(loop.time())) > 0:
                self._released = asyncio.Event()
                with contextlib.suppress(TimeoutError):
                    async with asyncio.timeout(None if wait == math.inf else wait):
                        await self._released.wait()
            self._held += 1

    def release(self) -> None:
        """The request holding a slot got its answer (or failed): its window starts now."""
        self._held -= 1
        self.record(asyncio.get_running_loop().time())
        if self._released is not None:
            self._released.set()
