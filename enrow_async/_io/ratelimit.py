"""Client-wide limit on POSTs: at most ``limit`` starts in any ``period`` seconds."""

from __future__ import annotations

import asyncio

__all__ = ["SlidingWindow"]


class SlidingWindow:
    """A sliding-window limiter shared by every task using one client.

    A request holds one of ``limit`` slots from ``acquire()`` until ``period`` seconds after
    ``release()`` (its answer or failure). The server counts the request at some moment
    between the two, so however long the request travels, no more than ``limit`` of them
    reach the server within its window. The window is padded by ``margin`` seconds against
    clock granularity.
    """

    def __init__(self, limit: int = 10, period: float = 1.0, margin: float = 0.05) -> None:
        if limit < 1 or period <= 0 or margin < 0:
            raise ValueError("rate limit needs limit >= 1, period > 0 and margin >= 0")
        self.period = period + margin
        self._slots = asyncio.Semaphore(limit)

    async def acquire(self) -> None:
        """Wait for a slot and hold it; call ``release()`` once the request is over."""
        await self._slots.acquire()

    def release(self) -> None:
        """The request holding a slot got its answer (or failed): the slot frees ``period``
        seconds from now."""
        asyncio.get_running_loop().call_later(self.period, self._slots.release)
