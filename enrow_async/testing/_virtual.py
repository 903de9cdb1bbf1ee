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
[DeadlockError][enrow_async.testing.DeadlockError]: every task waits for something that can
never happen. Code that spins until the clock moves (re-arming a timer in the past) would
spin forever here, since time moves only when the loop is idle: after ``stall_after`` busy
iterations at one instant it raises [LivelockError][enrow_async.testing.LivelockError].
Serve real HTTP on a standard loop.
"""

from __future__ import annotations

import asyncio
import selectors

__all__ = ["DeadlockError", "LivelockError", "VirtualClockLoop"]


class DeadlockError(RuntimeError):
    """A VirtualClockLoop found nothing ready, no timer set and no thread calling back."""


class LivelockError(RuntimeError):
    """A VirtualClockLoop ran ``stall_after`` iterations in a row at one instant: something
    busy-waits for a clock that only moves when the loop is idle."""


class _Clock:
    __slots__ = ("now",)

    def __init__(self, start: float) -> None:
        self.now = start


class _JumpingSelector(selectors.DefaultSelector):
    """Polls without blocking; where the loop would sleep until a timer, moves the clock."""

    def __init__(self, clock: _Clock, deadlock_after: float, stall_after: int) -> None:
        super().__init__()
        self._clock = clock
        self._deadlock_after = deadlock_after
        self._stall_after = stall_after
        self._still = 0  # iterations in a row at this instant with no I/O

    def select(self, timeout: float | None = None) -> list[tuple[selectors.SelectorKey, int]]:
        ready = super().select(0)
        if not ready and timeout is None:  # no timer: only another thread can wake the loop
            ready = super().select(self._deadlock_after)
            if not ready:
                raise DeadlockError(
                    "deadlock on a VirtualClockLoop: every task is waiting, no timer is set"
                    f" and no thread called back within {self._deadlock_after:g} s of real time"
                    " (an event nobody sets, a lock never released, a stream never written?)"
                )
        if ready:
            self._still = 0
            return ready
        if timeout:
            self._clock.now += timeout
            self._still = 0
            return []
        self._still += 1
        if self._still >= self._stall_after:
            self._still = 0  # a fresh allowance, for the cleanup that follows
            raise LivelockError(
                f"livelock on a VirtualClockLoop: {self._stall_after} iterations in a row at"
                f" t={self._clock.now!r} with callbacks always ready and no I/O: something"
                " busy-waits for time to pass (a timer re-armed in the past, a loop of"
                " sleep(0) until a deadline?); on this loop time moves only when it is idle"
            )
        return []


class VirtualClockLoop(asyncio.SelectorEventLoop):
    """An asyncio loop whose ``time()`` is virtual: it starts at ``start`` and jumps to the
    next timer whenever no callback and no I/O is ready.

    ``deadlock_after``: real seconds to wait, with no timer set, for another thread to wake
    the loop before raising [DeadlockError][enrow_async.testing.DeadlockError].
    ``stall_after``: loop iterations in a row at one instant, with callbacks always ready
    and no I/O, before raising [LivelockError][enrow_async.testing.LivelockError] (code
    spinning until time passes would otherwise spin forever).
    """

    def __init__(
        self, *, start: float = 0.0, deadlock_after: float = 1.0, stall_after: int = 100_000
    ) -> None:
        self._virtual_clock = _Clock(start)
        selector = _JumpingSelector(self._virtual_clock, deadlock_after, stall_after)
        super().__init__(selector=selector)
        # Checked once the loop is whole, so that it closes cleanly.
        if not deadlock_after >= 0:
            self.close()
            raise ValueError(f"deadlock_after must be seconds >= 0, got {deadlock_after!r}")
        if stall_after < 1:
            self.close()
            raise ValueError(f"stall_after must be >= 1, got {stall_after!r}")

    def time(self) -> float:
        """The virtual clock, in seconds."""
        return self._virtual_clock.now

    def __repr__(self) -> str:
        return f"<VirtualClockLoop time={self.time():g} running={self.is_running()}>"
