"""Turns: heavy steps of many tasks, one per iteration of the event loop.

Answers that arrive together would otherwise be read into models back to back in one
iteration of the loop (tens of answers at 10-20 ms each: the loop frozen for a second), and
nothing else on the loop (a ticker, a web server) would run meanwhile.
"""

from __future__ import annotations

import asyncio
from collections import deque

__all__ = ["BIG", "REST", "Turns"]

BIG = 16 * 1024
"""Bytes of an answer from which reading it takes a turn (a few hundred microseconds of
work below it: tens of small answers in one iteration stay short)."""


REST = 2
"""Iterations of the loop between two turns, left to the rest of it: a task woken during a
turn (by I/O or a timer: one iteration for the callback, one for the task) runs before the
next turn."""


class Turns:
    """Hands out iterations of the event loop, one at a time and in arrival order, to tasks
    about to do a heavy step: a task resumes from ``take()`` in an iteration of its own, and
    does its step before its next ``await``; ``REST`` iterations follow, for the rest of
    the loop."""

    def __init__(self) -> None:
        self._line: deque[asyncio.Future[None]] = deque()
        self._running = False

    async def take(self) -> None:
        loop = asyncio.get_running_loop()
        self._line.append(future := loop.create_future())
        if not self._running:
            self._running = True
            loop.call_soon(self._next, 0)
        await future

    def _next(self, rest: int) -> None:
        """After ``rest`` more iterations, let the first taker still waiting go (it resumes
        at the next iteration) and come back after its turn and the rest."""
        loop = asyncio.get_running_loop()
        if rest:
            loop.call_soon(self._next, rest - 1)
            return
        while self._line:
            future = self._line.popleft()
            if not future.done():  # a cancelled taker gives its place up
                future.set_result(None)
                loop.call_soon(self._next, REST)
                return
        self._running = False
