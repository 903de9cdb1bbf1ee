"""Progress on stderr: a live rich bar on a terminal, plain lines otherwise, of the
library's [ListProgress][enrow_async.ListProgress] (``starting batches 12/139``, then
``progress: 12394/20000 searches (61%), batches 64/200 done, eta 25s``).

rich is imported here only, and only when a live bar is shown; without the ``cli`` extra
the plain lines are used everywhere.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING, TextIO

import anyio
import attrs

from enrow_async import ListProgress

if TYPE_CHECKING:
    from rich.progress import Progress

__all__ = ["Tracker", "show_progress"]


@attrs.define
class Tracker(ListProgress):
    """The library's ListProgress, and the lines a plain display says once: the end of
    the starting phase, as it happens."""

    said: list[str] = attrs.field(factory=list, init=False)

    def start(self, batch: object) -> None:
        super().start(batch)
        if self.started == self.to_start:
            self.said += [f"starting batches {self.started}/{self.to_start}", self.line()]


@asynccontextmanager
async def show_progress(
    tracker: Tracker, *, stream: TextIO, every: float, label: str
) -> AsyncIterator[Tracker]:
    """Render ``tracker`` every ``every`` seconds, 0.1 at least (plain), or live (terminal,
    rich)."""
    bar = _bar(stream, label) if stream.isatty() else None

    def render() -> None:
        if bar is not None:
            bar.update(
                bar.task_ids[0],
                completed=tracker.finished,
                total=tracker.total,
                detail=tracker.detail(),
                unit=tracker.unit,
            )
            return
        for line in [*tracker.said, tracker.line()]:
            print(line, file=stream, flush=True)
        tracker.said.clear()

    async def tick() -> None:
        while True:
            render()
            await anyio.sleep(max(0.1, every) if bar is None else 0.25)

    try:
        async with anyio.create_task_group() as tg:
            tg.start_soon(tick)
            yield tracker
            tg.cancel_scope.cancel()
        render()
    finally:
        if bar is not None:
            bar.stop()


def _bar(stream: TextIO, label: str) -> Progress | None:
    """A live bar on ``stream``, started; ``None`` without rich (the ``cli`` extra)."""
    try:
        from rich.console import Console
        from rich.progress import (
            BarColumn,
            Progress,
            SpinnerColumn,
            TextColumn,
            TimeElapsedColumn,
        )
    except ImportError:
        return None
    bar = Progress(
        SpinnerColumn(),
        TextColumn("{task.description}"),
        BarColumn(),
        TextColumn("{task.completed}/{task.total} {task.fields[unit]}"),
        TextColumn("{task.fields[detail]}"),
        TimeElapsedColumn(),
        console=Console(file=stream),
    )
    bar.add_task(label, total=None, detail="", unit="")
    bar.start()
    return bar
