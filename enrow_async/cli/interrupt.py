"""Ctrl-C handling of the command line.

Ctrl-C (SIGINT) cancels the running command at its next await. A POST that starts a paid
batch is shielded for a short grace period (cut short by a second Ctrl-C), so its id can
still be recorded in the journal; without an answer the journal marks it unknown. Either
way the command then ends with ``Interrupted`` (exit status 130).
"""

from __future__ import annotations

import signal
from collections.abc import Awaitable, Callable
from typing import TypeVar

import anyio

from .errors import Interrupted

__all__ = ["GRACE", "Interrupt", "run_interruptible"]

T = TypeVar("T")

GRACE = 5.0
"""Seconds a POST already on its way may still take after Ctrl-C (a second Ctrl-C: none)."""


class Interrupt:
    """Turns SIGINT into cancellation of one command; ``hint`` describes what to do next."""

    def __init__(self) -> None:
        self.fired = False
        self.scope: anyio.CancelScope | None = None
        self.hint: Callable[[], str] = lambda: "nothing was started"
        self._guards: set[anyio.CancelScope] = set()

    def fire(self) -> None:
        deadline = anyio.current_time() + (0.0 if self.fired else GRACE)
        self.fired = True
        if self.scope is not None:
            self.scope.cancel()
        for guard in self._guards:
            guard.deadline = min(guard.deadline, deadline)

    async def shielded(self, call: Callable[[], Awaitable[T]]) -> T:
        """Await ``call()``, a POST that starts a paid job, through Ctrl-C for up to GRACE
        seconds, so its answer can be recorded. Nothing new starts after Ctrl-C."""
        await anyio.lowlevel.checkpoint()
        with anyio.CancelScope(shield=True) as scope:
            self._guards.add(scope)
            try:
                return await call()
            finally:
                self._guards.discard(scope)
        await anyio.lowlevel.checkpoint()  # the grace ran out: Ctrl-C takes effect here
        raise Interrupted(self.hint())


async def _watch_signals(interrupt: Interrupt) -> None:
    try:
        with anyio.open_signal_receiver(signal.SIGINT) as signals:
            async for _ in signals:
                interrupt.fire()
    except NotImplementedError:  # no signal handlers here (Windows): KeyboardInterrupt still works
        return


async def run_interruptible(
    command: Callable[[Interrupt], Awaitable[int]], interrupt: Interrupt
) -> int:
    """Run ``command``; Ctrl-C cancels it and raises Interrupted with its resume hint."""
    code = 130
    scope = interrupt.scope = anyio.CancelScope()
    async with anyio.create_task_group() as tg:
        tg.start_soon(_watch_signals, interrupt)
        await anyio.lowlevel.checkpoint()  # let the signal receiver install itself
        with scope:
            code = await command(interrupt)
        tg.cancel_scope.cancel()
    if scope.cancelled_caught:
        raise Interrupted(interrupt.hint())
    return code
