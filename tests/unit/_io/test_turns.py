"""Turns: heavy steps one per iteration of the event loop, with the loop's own iterations
between them; observed by counting iterations, never by measuring time (which answers take
a turn: ``test_waiting.py``)."""

from __future__ import annotations

import asyncio
import itertools

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from enrow_async._io.turns import REST, Turns

pytestmark = pytest.mark.anyio


class Iterations:
    """The event loop's iterations, counted by a callback that schedules itself again (a
    callback scheduled while the loop runs its ready ones runs at the next iteration)."""

    def __init__(self) -> None:
        self.count = 0
        self.running = True
        asyncio.get_running_loop().call_soon(self._tick)

    def _tick(self) -> None:
        if self.running:
            self.count += 1
            asyncio.get_running_loop().call_soon(self._tick)


async def iterations_later(n: int) -> None:
    for _ in range(n):
        await asyncio.sleep(0)  # one iteration each


@settings(max_examples=30, deadline=None)
@given(arrivals=st.lists(st.integers(0, 12), min_size=1, max_size=12))
async def test_each_taker_resumes_in_an_iteration_of_its_own_in_arrival_order(
    arrivals: list[int],
) -> None:
    """Takers arriving at any iterations (several in one): each resumes alone in its
    iteration, ``REST`` iterations at least after the one before, first come first served."""
    turns = Turns()
    iterations = Iterations()
    arrived: list[tuple[int, int]] = []
    resumed: list[tuple[int, int]] = []

    async def taker(name: int, later: int) -> None:
        await iterations_later(later)
        arrived.append((iterations.count, name))
        await turns.take()
        resumed.append((iterations.count, name))

    await asyncio.gather(*(taker(name, later) for name, later in enumerate(arrivals)))
    iterations.running = False
    at = [iteration for iteration, _ in resumed]
    assert all(b - a >= REST + 1 for a, b in itertools.pairwise(at)), resumed
    assert [name for _, name in resumed] == [name for _, name in arrived]


async def test_a_cancelled_taker_gives_its_place_up() -> None:
    turns = Turns()
    iterations = Iterations()
    resumed: dict[str, int] = {}

    async def taker(name: str) -> None:
        await turns.take()
        resumed[name] = iterations.count

    tasks = {name: asyncio.create_task(taker(name)) for name in "abc"}
    await iterations_later(1)  # all three in line, a has its turn
    tasks["b"].cancel()
    await asyncio.wait(tasks.values())
    iterations.running = False
    assert set(resumed) == {"a", "c"}
    assert resumed["c"] - resumed["a"] == REST + 1, "c in b's place"
    assert tasks["b"].cancelled()


async def test_a_taker_on_an_idle_line_goes_at_the_next_release() -> None:
    """One iteration to be let go, the next to resume: the same once the line has emptied."""
    turns = Turns()
    iterations = Iterations()
    for _ in range(2):
        asked = iterations.count
        await turns.take()
        assert iterations.count - asked == 2
        await iterations_later(REST + 3)  # the line empties
    iterations.running = False
