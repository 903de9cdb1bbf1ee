"""Ctrl-C as the commands see it: ``Interrupt.fire`` cancels, a paid POST is let finish."""

from __future__ import annotations

import anyio
import pytest

from enrow_async.cli.errors import Interrupted
from enrow_async.cli.interrupt import Interrupt, run_interruptible

pytestmark = pytest.mark.anyio


async def test_ctrl_c_cancels_the_command_with_its_resume_hint() -> None:
    async def command(interrupt: Interrupt) -> int:
        interrupt.hint = lambda: "run the same command again"
        interrupt.fire()
        await anyio.sleep_forever()
        return 0

    with pytest.raises(Interrupted, match="run the same command again"):
        await run_interruptible(command, Interrupt())


async def test_a_command_that_ends_gives_its_status() -> None:
    async def command(interrupt: Interrupt) -> int:
        return 3

    assert await run_interruptible(command, Interrupt()) == 3


async def test_a_post_on_its_way_is_answered_through_ctrl_c() -> None:
    answers: list[str] = []

    async def command(interrupt: Interrupt) -> int:
        async def post() -> str:
            interrupt.fire()  # Ctrl-C while the POST is on its way
            await anyio.lowlevel.checkpoint()
            return "job-1"

        answers.append(await interrupt.shielded(post))
        await anyio.lowlevel.checkpoint()
        answers.append("never")
        return 0

    with pytest.raises(Interrupted):
        await run_interruptible(command, Interrupt())
    assert answers == ["job-1"]


async def test_a_second_ctrl_c_ends_the_grace_at_once() -> None:
    async def command(interrupt: Interrupt) -> int:
        async def post() -> str:
            interrupt.fire()
            interrupt.fire()
            await anyio.sleep_forever()
            return "never"

        await interrupt.shielded(post)
        return 0

    with pytest.raises(Interrupted):
        await run_interruptible(command, Interrupt())
