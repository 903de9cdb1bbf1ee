"""SlidingWindow, the client-wide POST limit, in virtual time.

The server counts a request at some moment between its send and its answer. The window
holds a slot from ``acquire()`` to ``release()`` and for ``period`` after, so whichever
moment the server picks, no window of ``period`` seconds counts more than ``limit``.
"""

from __future__ import annotations

import math
from typing import Any

import anyio
import pytest
from hypothesis import given
from hypothesis import strategies as st

from enrow_async._io.ratelimit import SlidingWindow

pytestmark = pytest.mark.anyio


@pytest.mark.parametrize(
    "kwargs", [{"limit": 0}, {"period": 0.0}, {"period": -1.0}, {"margin": -0.01}]
)
def test_a_window_that_could_never_admit_is_refused(kwargs: dict[str, Any]) -> None:
    with pytest.raises(ValueError, match="rate limit needs"):
        SlidingWindow(**kwargs)


async def test_a_request_waits_however_long_while_every_slot_waits_for_its_answer() -> None:
    window = SlidingWindow(limit=2, period=1.0, margin=0.0)
    await window.acquire()
    await window.acquire()
    with anyio.move_on_after(3600) as scope:  # two in flight, none answered: no time frees one
        await window.acquire()
    assert scope.cancelled_caught
    window.release()  # one answered now: its slot is taken for one more second
    answered = anyio.current_time()
    await window.acquire()
    assert anyio.current_time() == pytest.approx(answered + 1.0)
    window.release()
    window.release()


async def test_each_slot_frees_one_period_after_its_answer() -> None:
    window = SlidingWindow(limit=3, period=1.0, margin=0.0)
    start = anyio.current_time()
    for at in (0.0, 0.1, 0.2):  # three requests answered at once
        await anyio.sleep_until(start + at)
        await window.acquire()
        window.release()
    await window.acquire()  # the first slot frees at 1.0
    assert anyio.current_time() - start == pytest.approx(1.0)
    window.release()
    await window.acquire()  # then the second, at 1.1
    assert anyio.current_time() - start == pytest.approx(1.1)
    window.release()


async def test_the_margin_pads_the_window() -> None:
    window = SlidingWindow(limit=1, period=1.0, margin=0.25)
    await window.acquire()
    window.release()
    start = anyio.current_time()
    await window.acquire()
    assert anyio.current_time() - start == pytest.approx(1.25)
    window.release()


async def test_a_slot_is_held_until_release_however_long_the_flight() -> None:
    window = SlidingWindow(limit=1, period=1.0, margin=0.0)
    await window.acquire()
    admitted: list[float] = []

    async def second() -> None:
        await window.acquire()
        admitted.append(anyio.current_time())
        window.release()

    async with anyio.create_task_group() as tg:
        tg.start_soon(second)
        await anyio.sleep(3600)  # an hour in flight: the slot stays taken
        assert admitted == []
        window.release()
    # The second request went once the first one's window (counted from its answer) ended.
    assert admitted == [pytest.approx(3601.0)]


async def test_the_window_is_counted_from_the_answer_not_the_send() -> None:
    window = SlidingWindow(limit=2, period=1.0, margin=0.0)
    sent = anyio.current_time()
    await window.acquire()
    await window.acquire()
    await anyio.sleep(5)
    window.release()  # answered 5 s after its send
    answered = anyio.current_time()
    await window.acquire()  # the other slot still waits for its answer: blocked until t+1
    assert anyio.current_time() == pytest.approx(answered + 1.0)
    assert anyio.current_time() > sent + 1.0
    window.release()
    window.release()


async def test_a_release_wakes_a_waiter_at_once_when_slots_were_only_held() -> None:
    window = SlidingWindow(limit=3, period=1.0, margin=0.0)
    for _ in range(3):
        await window.acquire()
    await anyio.sleep(10)  # the three slots held, none recorded: the waiter waits on inf
    async with anyio.create_task_group() as tg:
        woke: list[float] = []

        async def waiter() -> None:
            await window.acquire()
            woke.append(anyio.current_time())

        tg.start_soon(waiter)
        await anyio.sleep(2)
        window.release()
        released = anyio.current_time()
    # One answer in the window, two slots still held: 3 taken, so the waiter waits out the
    # released slot's window, counted from that answer.
    assert woke == [pytest.approx(released + 1.0)]


async def test_a_cancelled_wait_takes_no_slot() -> None:
    window = SlidingWindow(limit=1, period=1.0, margin=0.0)
    await window.acquire()
    with anyio.move_on_after(30) as scope:
        await window.acquire()
    assert scope.cancelled_caught
    window.release()
    start = anyio.current_time()
    await window.acquire()  # had the cancelled wait kept a slot, this would wait forever
    assert anyio.current_time() - start == pytest.approx(1.0)
    window.release()


flights = st.lists(
    st.tuples(
        st.integers(0, 40).map(lambda n: n / 20),  # when the request is made: 0..2 s
        st.integers(0, 30).map(lambda n: n / 20),  # how long it travels: 0..1.5 s
    ),
    min_size=1,
    max_size=25,
)


@given(limit=st.integers(1, 4), period=st.sampled_from([0.5, 1.0]), requests=flights)
async def test_no_window_counts_more_than_the_limit(
    limit: int, period: float, requests: list[tuple[float, float]]
) -> None:
    window = SlidingWindow(limit=limit, period=period, margin=0.0)
    spans: list[tuple[float, float]] = []  # (admitted, answered), in the order admitted

    async def request(at: float, flight: float) -> None:
        await anyio.sleep(at)
        await window.acquire()
        index = len(spans)
        spans.append((anyio.current_time(), math.nan))
        await anyio.sleep(flight)
        window.release()
        spans[index] = (spans[index][0], anyio.current_time())

    async with anyio.create_task_group() as tg:
        for at, flight in requests:
            tg.start_soon(request, at, flight)

    assert len(spans) == len(requests)
    # Whatever moment of its flight the server counts each request at, a window of
    # ``period`` holding limit + 1 of them would contain the latest admitted one's admission
    # while every earlier one is still unanswered or answered less than ``period`` before:
    # that is what ``acquire`` refuses (to within the loop's float clock: ``margin`` pads
    # that in use).
    for i, (admitted, _) in enumerate(spans):
        overlapping = [j for j in range(i) if spans[j][1] + period > admitted + 1e-9]
        assert len(overlapping) < limit, (i, spans)
    # The two extremes, checked directly: counted at the send, or at the answer.
    for moments in ([a for a, _ in spans], [r for _, r in spans]):
        moments.sort()
        for k in range(len(moments) - limit):
            assert moments[k + limit] - moments[k] >= period - 1e-9, moments
