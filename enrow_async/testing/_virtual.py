"""VirtualClockLoop: an asyncio event loop on virtual time that jumps whenever nothing is ready.

Like trio's ``MockClock(autojump_threshold=0)``: when the loop would block waiting for its
next timer and no I/O is ready, its clock jumps to that timer instead. ``await
anyio.sleep(3600)`` returns at once in wall time with ``anyio.current_time()`` an hour
later; timers keep their order; ``move_on_after``, ``fail_after`` and ``asyncio.timeout``
work as usual, on virtual seconds. Everything that reads the loop's clock follows it: the
client's polling, retries and rate limit, and a simulator (its job progress and POST rate
limit, unless its config names another clock).

It is built from public asyncio parts only: a ``SelectorEventLoop`` whose ``time()`` reads
the virtual clock, given a selector that moves that clock instead of sleeping.

With anyio's pytest plugin::

    @pytest.fixture
    def anyio_backend():
        return ("asyncio", {"loop_factory": VirtualClockLoop})

or ``asyncio.Runner(loop_factory=VirtualClockLoop).run(main())``.

What it cannot see: work in other threads or processes, and sockets whose peer is not on
this loop. With a timer pending, the clock jumps at once even if a thread is still working;
with none, the loop waits up to ``deadlock_after`` real seconds for a thread to call back
(``call_soon_threadsafe``, as ``run_in_executor`` does) and then raises
:class:`DeadlockError`: every task waits for something that can never happen. Serve real
HTTP on a standard loop.
"""

from __future__ import annotations

import asyncio
import selectors

__all__ = ["DeadlockError", "VirtualClockLoop"]


class DeadlockError(RuntimeError):
    """A VirtualClockLoop found nothing ready, no timer set and no thread calling back."""


class _Clock:
    __slots__ = ("now",)

    def __init__(self, start: float) -> None:
        self.now = start


class _JumpingSelector(selectors.DefaultSelector):
    """Polls without blocking; where the loop would sleep until a timer, moves the clock."""

    def __init__(self, clock: _Clock, deadlock_after: float) -> None:
        super().__init__()
        self._clock = clock
        self._deadlock_after = deadlock_after

    def select(self, timeout: float | None = None) -> list[tuple[selectors.SelectorKey, int]]:
        ready = super().select(0)
        if ready:
            return ready
        if timeout is None:  # no timer at all: only another thread can wake the loop
            ready = super().select(self._deadlock_after)
            if not ready:
                raise DeadlockError(
                    "deadlock on a VirtualClockLoop: every task is waiting, no timer is set"
                    f" and no thread called back within {self._deadlock_after:g} s of real time"
                    " (an event nobody sets, a lock never released, a stream never written?)"
                )
            return ready
        if timeout > 0:
            self._clock.now += timeout
        return []


class VirtualClockLoop(asyncio.SelectorEventLoop):
    """An asyncio loop whose ``time()`` is virtual: it starts at ``start`` and jumps to the
    next timer whenever no callback and no I/O is ready.

    ``deadlock_after``: real seconds to wait, with no timer set, for another thread to wake
    the loop before raising :class:`DeadlockError`.
    """

    def __init__(self, *, start: float = 0.0, deadlock_after: float = 1.0) -> None:
        self._virtual_clock = _Clock(start)
        super().__init__(selector=_JumpingSelector(self._virtual_clock, deadlock_after))
        if not deadlock_after >= 0:  # checked once the loop is whole, so it closes cleanly
            self.close()
            raise ValueError(f"deadlock_after must be seconds >= 0, got {deadlock_after!r}")

    def time(self) -> float:
        """The virtual clock, in seconds."""
        return self._virtual_clock.now

    def __repr__(self) -> str:
        return f"<VirtualClockLoop time={self.time():g} running={self.is_running()}>"
