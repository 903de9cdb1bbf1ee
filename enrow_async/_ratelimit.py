"""Client-wide limit on POSTs: at most ``limit`` starts in any ``period`` seconds."""

from __future__ import annotations

from collections import deque

import anyio

__all__ = ["SlidingWindow"]


class SlidingWindow:
    """A sliding-window limiter shared by every task using one client.

    ``delay(now)`` is the pure part (how long until a slot frees); ``acquire()`` waits for a
    slot. The window is padded by ``margin`` seconds so that network jitter cannot squeeze
    one request too many into the server's own window.
    """

    def __init__(self, limit: int = 10, period: float = 1.0, margin: float = 0.05) -> None:
        if limit < 1 or period <= 0 or margin < 0:
            raise ValueError("rate limit needs limit >= 1, period > 0 and margin >= 0")
        self.limit = limit
        self.period = period + margin
        self._sent: deque[float] = deque(maxlen=limit)
        self._lock: anyio.Lock | None = None

    def delay(self, now: float) -> float:
        if len(self._sent) < self.limit:
            return 0.0
        return max(0.0, self._sent[0] + self.period - now)

    def record(self, now: float) -> None:
        self._sent.append(now)

    async def acquire(self) -> None:
        if self._lock is None:
            self._lock = anyio.Lock()
        async with self._lock:
            wait = self.delay(anyio.current_time())
            if wait > 0:
                await anyio.sleep(wait)
            self.record(anyio.current_time())
