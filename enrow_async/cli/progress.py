"""Progress on stderr: a live rich bar on a terminal, plain lines otherwise, of the
library's [ListProgress][enrow_async.ListProgress] (``starting batches 12/139``, then
``progress: 12394/20000 searches (61%), batches 64/200 done, eta 25s``).

rich is imported here only, and only when a live bar is shown; without the ``cli`` extra
the plain lines are used everywhere.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import TextIO

import anyio
import attrs

from enrow_async import ListProgress

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


def _plain(tracker: Tracker, stream: TextIO, every: float) -> tuple[Callable[[], None], float]:
    def render() -> None:
        for line in tracker.said:
            print(line, file=stream)
        tracker.said.clear()
        print(tracker.line(), file=stream, flush=True)

    return render, every


def _live(
    tracker: Tracker, stream: TextIO, label: str
) -> tuple[Callable[[], None], float, Callable[[], None]]:
    from rich.console import Console
    from rich.progress import (
        BarColumn,
        Progress,
        SpinnerColumn,
        TextColumn,
        TimeElapsedColumn,
    )

    bar = Progress(
        SpinnerColumn(),
        TextColumn("{task.description}"),
        BarColumn(),
        TextColumn("{task.completed}/{task.total} {task.fields[unit]}"),
        TextColumn("{task.fields[detail]}"),
        TimeElapsedColumn(),
        console=Console(file=stream),
    )
    task = bar.add_task(label, total=tracker.total, detail=tracker.detail(), unit=tracker.unit)
    bar.start()

    def render() -> None:
        bar.update(
            task,
            completed=tracker.finished,
            total=tracker.total,
            detail=tracker.detail(),
            unit=tracker.unit,
        )

    return render, 0.25, bar.stop


@asynccontextmanager
async def show_progress(
    tracker: Tracker, *, stream: TextIO, every: float, label: str
) -> AsyncIterator[Tracker]:
    """Render ``tracker`` every ``every`` seconds (plain) or live (terminal, rich)."""
    stop: Callable[[], None] = lambda: None  # noqa: E731
    render, interval = _plain(tracker, stream, every)
    if stream.isatty():
        with contextlib.suppress(ImportError):  # no rich: pip install enrow-async[cli]
            render, interval, stop = _live(tracker, stream, label)

    async def tick() -> None:
        while True:
            render()
            await anyio.sleep(interval)

    try:
        async with anyio.create_task_group() as tg:
            tg.start_soon(tick)
            yield tracker
            tg.cancel_scope.cancel()
        render()
    finally:
        stop()
