"""The streams of one run: the cost guard's answer is read without holding the loop."""

from __future__ import annotations

import io
import os
import threading

import anyio
import pytest

from enrow_async.cli.streams import Streams

pytestmark = pytest.mark.anyio


async def test_an_answer_is_one_line_of_stdin() -> None:
    streams = Streams(io.StringIO(), io.StringIO(), io.StringIO("y\nmore\n"))
    assert await streams.answer() == "y\n"
    assert await streams.answer() == "more\n"
    assert await streams.answer() == ""  # end of input: no answer


async def test_the_loop_runs_while_nobody_answers_and_a_cancelled_wait_ends_at_once() -> None:
    """A signal at the prompt is handled at once (the loop is not blocked by the read),
    and a run that stops waiting leaves only a daemon thread behind, which ends with its
    input."""
    before = set(threading.enumerate())
    read_end, write_end = os.pipe()
    with open(read_end, encoding="utf-8") as stdin:  # noqa: ASYNC230 (a pipe: opening it never blocks)
        streams = Streams(io.StringIO(), io.StringIO(), stdin)
        ticks = 0

        async def tick() -> None:
            nonlocal ticks
            while True:
                await anyio.sleep(0.001)
                ticks += 1

        try:
            async with anyio.create_task_group() as tg:
                tg.start_soon(tick)
                with anyio.move_on_after(0.05) as scope:
                    await streams.answer()
                tg.cancel_scope.cancel()
            new = set(threading.enumerate()) - before
            (reader,) = [thread for thread in new if thread.name == "enrow-async answer"]
        finally:  # the input ends, whatever happened: the thread does too, and stdin closes
            os.close(write_end)
        reader.join(5)
    assert scope.cancelled_caught  # the deadline was kept while the read waited
    assert ticks > 0
    assert reader.daemon
    assert not reader.is_alive()
