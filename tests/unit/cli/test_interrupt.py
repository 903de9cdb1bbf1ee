"""Signals and a closed stdout as the commands see them: ``Interrupt.fire`` cancels, a paid
POST is let finish, the exit status names the cause; a pipe whose reader has gone fires."""

from __future__ import annotations

import asyncio
import contextlib
import io
import os
import signal
from collections.abc import Iterator
from pathlib import Path

import anyio
import pytest
from cli_support import CAUSES

from enrow_async.cli.errors import Interrupted
from enrow_async.cli.interrupt import Interrupt, pipe_of, run_interruptible

pytestmark = pytest.mark.anyio


async def test_ctrl_c_cancels_the_command_with_its_resume_hint() -> None:
    async def command(interrupt: Interrupt) -> int:
        interrupt.hint = lambda ended: "run the same command again"
        interrupt.fire()
        await anyio.sleep_forever()
        return 0

    with pytest.raises(Interrupted, match="run the same command again"):
        await run_interruptible(command, Interrupt())


async def test_a_command_that_ends_gives_its_status() -> None:
    async def command(interrupt: Interrupt) -> int:
        return 3

    assert await run_interruptible(command, Interrupt()) == 3


@pytest.mark.parametrize(("cause", "status", "reason"), CAUSES)
async def test_the_exit_status_is_128_plus_the_first_cause(
    cause: signal.Signals, status: int, reason: str
) -> None:
    interrupt = Interrupt()
    assert (interrupt.status, interrupt.reason(), interrupt.fired) == (130, "", False)

    async def command(interrupt: Interrupt) -> int:
        interrupt.fire(cause)
        interrupt.fire(signal.SIGINT)  # a second one changes nothing of what happened
        await anyio.sleep_forever()
        return 0

    with pytest.raises(Interrupted):
        await run_interruptible(command, interrupt)
    assert (interrupt.status, interrupt.reason(), interrupt.cause) == (status, reason, cause)


async def test_a_post_on_its_way_is_answered_through_a_signal() -> None:
    answers: list[str] = []
    interrupt = Interrupt()

    async def command(interrupt: Interrupt) -> int:
        async def post() -> str:
            interrupt.fire(signal.SIGTERM)  # the signal while the POST is on its way
            await anyio.sleep(1.0)
            return "job-1"

        answers.append(await interrupt.shielded(post))
        await anyio.lowlevel.checkpoint()
        answers.append("never")
        return 0

    with pytest.raises(Interrupted):
        await run_interruptible(command, interrupt)
    assert answers == ["job-1"]
    assert interrupt.posts == 1


async def test_nothing_is_posted_once_interrupted() -> None:
    async def command(interrupt: Interrupt) -> int:
        async def post() -> str:
            raise AssertionError("posted after the signal")

        interrupt.fire(signal.SIGHUP)
        await interrupt.shielded(post)  # no await between the signal and the call
        return 0

    interrupt = Interrupt()
    with pytest.raises(Interrupted):
        await run_interruptible(command, interrupt)
    assert interrupt.posts == 0


@pytest.mark.parametrize("second", [signal.SIGINT, signal.SIGTERM])
async def test_a_second_signal_ends_the_grace_at_once(second: signal.Signals) -> None:
    interrupt = Interrupt()

    async def command(interrupt: Interrupt) -> int:
        async def post() -> str:
            interrupt.fire(signal.SIGTERM)
            interrupt.fire(second)
            await anyio.sleep_forever()
            return "never"

        await interrupt.shielded(post)
        return 0

    with pytest.raises(Interrupted):
        await run_interruptible(command, interrupt)
    assert interrupt.status == 143


async def test_an_error_once_interrupted_is_part_of_the_interruption() -> None:
    """A terminal that hung up fails the progress display's last write, say: the run still
    ends as interrupted, with its hint, the error as its cause."""

    async def command(interrupt: Interrupt) -> int:
        interrupt.hint = lambda ended: "run the same command again"
        try:
            interrupt.fire(signal.SIGHUP)
            await anyio.sleep_forever()
        finally:
            raise OSError(5, "Input/output error")
        return 0

    with pytest.raises(Interrupted, match="run the same command again") as caught:
        await run_interruptible(command, Interrupt())
    assert isinstance(caught.value.__cause__, OSError)


@pytest.fixture
def pipe() -> Iterator[tuple[int, int]]:
    reader, writer = os.pipe()
    yield reader, writer
    for fd in (reader, writer):
        with contextlib.suppress(OSError):  # closed by the test
            os.close(fd)


async def test_a_pipe_whose_reader_has_gone_interrupts_before_any_write(
    pipe: tuple[int, int],
) -> None:
    reader, writer = pipe
    os.close(reader)  # ``| head`` that has already ended
    interrupt = Interrupt()

    async def command(interrupt: Interrupt) -> int:
        await anyio.sleep_forever()
        return 0

    with pytest.raises(Interrupted):
        await run_interruptible(command, interrupt, writer)
    assert (interrupt.status, interrupt.reason()) == (141, "stdout closed")


async def test_a_pipe_with_its_reader_changes_nothing(pipe: tuple[int, int]) -> None:
    reader, writer = pipe

    async def command(interrupt: Interrupt) -> int:
        os.write(writer, b"data\n")
        await anyio.sleep(60.0)
        return 0

    assert await run_interruptible(command, Interrupt(), writer) == 0
    assert os.read(reader, 100) == b"data\n"


def test_only_a_pipe_is_watched(pipe: tuple[int, int], tmp_path: Path) -> None:
    _, writer = pipe
    with os.fdopen(os.dup(writer), "w") as piped:
        assert pipe_of(piped) == piped.fileno()
    with (tmp_path / "file").open("w") as regular:
        assert pipe_of(regular) is None
    assert pipe_of(io.StringIO()) is None


async def test_a_signal_ignored_from_the_start_stays_ignored() -> None:
    """``nohup``: SIGHUP was ignored before the command started, and still is."""
    previous = signal.signal(signal.SIGHUP, signal.SIG_IGN)
    try:
        interrupt = Interrupt()

        async def command(interrupt: Interrupt) -> int:
            os.kill(os.getpid(), signal.SIGHUP)
            await anyio.sleep(1.0)
            return 0

        assert await run_interruptible(command, interrupt, signals=True) == 0
        assert not interrupt.fired
        assert signal.getsignal(signal.SIGHUP) == signal.SIG_IGN
    finally:
        signal.signal(signal.SIGHUP, previous)


async def test_without_signals_the_host_loops_handlers_are_left_alone() -> None:
    """``run_async`` in someone else's event loop: the handler the host installed for
    SIGTERM is still there afterwards (taking signals would reset it to the default)."""
    loop = asyncio.get_running_loop()
    loop.add_signal_handler(signal.SIGTERM, lambda: None)
    try:
        installed = signal.getsignal(signal.SIGTERM)

        async def command(interrupt: Interrupt) -> int:
            return 0

        assert await run_interruptible(command, Interrupt()) == 0
        assert signal.getsignal(signal.SIGTERM) is installed
    finally:
        loop.remove_signal_handler(signal.SIGTERM)
