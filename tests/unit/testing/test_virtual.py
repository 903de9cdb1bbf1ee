"""VirtualClockLoop: time jumps when every task waits, in order, and a deadlock says so."""

from __future__ import annotations

import asyncio
import threading
import time

import anyio
import pytest

from enrow_async.testing import DeadlockError, LivelockError, VirtualClockLoop

pytestmark = pytest.mark.anyio


async def test_the_tests_here_run_on_the_virtual_loop() -> None:
    assert isinstance(asyncio.get_running_loop(), VirtualClockLoop)


async def test_an_hour_of_sleep_passes_at_once() -> None:
    start, wall = anyio.current_time(), time.monotonic()
    await anyio.sleep(3600)
    assert anyio.current_time() - start == 3600
    # Not a duration check on the code under test: an hour of sleep took less than an hour.
    assert time.monotonic() - wall < 3600


async def test_a_week_of_timers_jumps_past_the_longest_select() -> None:
    # asyncio caps one select() at a day: a week takes several jumps, each exact.
    await anyio.sleep(7 * 86400.0)
    assert anyio.current_time() == 7 * 86400.0


async def test_timers_fire_in_order_at_their_exact_times() -> None:
    fired: list[tuple[str, float]] = []

    async def after(name: str, seconds: float) -> None:
        await anyio.sleep(seconds)
        fired.append((name, anyio.current_time()))

    async with anyio.create_task_group() as tg:
        for name, seconds in [("c", 3.0), ("a", 1.0), ("d", 3.5), ("b", 2.0)]:
            tg.start_soon(after, name, seconds)
    assert fired == [("a", 1.0), ("b", 2.0), ("c", 3.0), ("d", 3.5)]


async def test_ready_work_runs_before_time_moves() -> None:
    # Time moves only when nothing is ready: a busy task never sees the clock jump.
    before = anyio.current_time()
    for _ in range(1000):
        await anyio.lowlevel.checkpoint()
    assert anyio.current_time() == before


async def test_move_on_after_and_fail_after_use_virtual_seconds() -> None:
    with anyio.move_on_after(30) as scope:
        await anyio.Event().wait()
    assert scope.cancelled_caught
    assert anyio.current_time() == 30
    with pytest.raises(TimeoutError):
        with anyio.fail_after(5):
            await anyio.sleep(10)
    assert anyio.current_time() == 35


async def test_asyncio_timeout_and_call_later_follow_the_clock() -> None:
    loop = asyncio.get_running_loop()
    seen: list[float] = []
    loop.call_later(2.5, lambda: seen.append(loop.time()))
    with pytest.raises(TimeoutError):
        async with asyncio.timeout(4):
            await asyncio.Event().wait()
    assert seen == [2.5]
    assert loop.time() == 4


async def test_a_thread_calling_back_wakes_the_loop() -> None:
    # No timer pending: the loop waits (in real time) for the thread, it is no deadlock.
    assert await anyio.to_thread.run_sync(lambda: 42) == 42


def run(loop: VirtualClockLoop, coro: object) -> object:
    with asyncio.Runner(loop_factory=lambda: loop) as runner:
        return runner.run(coro)  # type: ignore[arg-type]


def test_a_deadlock_raises_instead_of_hanging() -> None:
    loop = VirtualClockLoop(deadlock_after=0.01)
    with pytest.raises(DeadlockError, match="every task is waiting, no timer is set"):
        run(loop, asyncio.Event().wait())
    assert loop.is_closed()


def test_a_deadlock_behind_a_lock_raises_too() -> None:
    async def main() -> None:
        lock = asyncio.Lock()
        await lock.acquire()
        async with lock:  # never released: waits forever
            pass

    with pytest.raises(DeadlockError):
        run(VirtualClockLoop(deadlock_after=0.01), main())


def test_start_and_asyncio_runner() -> None:
    async def main() -> float:
        await asyncio.sleep(10)
        return asyncio.get_running_loop().time()

    assert run(VirtualClockLoop(start=1000.0), main()) == 1010.0


def test_a_thread_is_waited_for_within_deadlock_after() -> None:
    async def main() -> str:
        loop = asyncio.get_running_loop()
        done: asyncio.Future[str] = loop.create_future()

        def work() -> None:
            time.sleep(0.05)
            loop.call_soon_threadsafe(done.set_result, "from the thread")

        threading.Thread(target=work).start()
        return await done

    assert run(VirtualClockLoop(deadlock_after=5.0), main()) == "from the thread"


def test_deadlock_after_must_be_seconds() -> None:
    with pytest.raises(ValueError, match="deadlock_after"):
        VirtualClockLoop(deadlock_after=-1)


def test_a_busy_wait_for_time_to_pass_raises_instead_of_spinning() -> None:
    # A timer re-armed at the current instant until the clock passes a deadline: on a real
    # loop it spins until real time moves on; here time moves only when the loop is idle.
    async def main() -> None:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + 1.0

        def check() -> None:
            if loop.time() < deadline:
                loop.call_at(loop.time(), check)

        check()
        await asyncio.sleep(2)

    with pytest.raises(LivelockError, match=r"1000 iterations in a row at t=0\.0"):
        run(VirtualClockLoop(stall_after=1000), main())


def test_stall_after_must_be_positive() -> None:
    with pytest.raises(ValueError, match="stall_after"):
        VirtualClockLoop(stall_after=0)
