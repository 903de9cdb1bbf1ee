"""Progress of a wait on stderr: a live rich bar on a terminal, plain lines otherwise.

rich is imported here only, and only when a live bar is shown; without the ``cli`` extra
the plain lines are used everywhere.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import AsyncIterator, Callable, Mapping
from contextlib import asynccontextmanager
from typing import TextIO

import anyio

from enrow_async import Progress

__all__ = ["Tracker", "show_progress"]


class Tracker:
    """Combined progress of several batches, fed with their Progress snapshots."""

    def __init__(self, sizes: Mapping[str, int]) -> None:
        self._sizes = dict(sizes)
        self._finished = dict.fromkeys(self._sizes, 0)
        self._done: set[str] = set()
        self._eta: dict[str, tuple[float, float]] = {}

    def update(self, progress: Progress) -> None:
        batch_id = progress.batch_id
        self._finished[batch_id] = progress.finished
        if progress.requested:
            self._sizes[batch_id] = progress.requested
        if progress.status.done:
            self._done.add(batch_id)
        elif progress.eta is not None:
            self._eta[batch_id] = (progress.eta, time.monotonic())

    def complete(self, batch_id: str) -> None:
        self._done.add(batch_id)
        self._finished[batch_id] = self._sizes.get(batch_id, 0)

    @property
    def total(self) -> int:
        return sum(self._sizes.values())

    @property
    def finished(self) -> int:
        return sum(self._finished.values())

    @property
    def batches(self) -> int:
        return len(self._sizes)

    @property
    def batches_done(self) -> int:
        return len(self._done)

    def eta(self) -> float | None:
        """Seconds until the last unfinished batch is predicted to finish."""
        now = time.monotonic()
        left = [
            max(0.0, eta - (now - seen))
            for batch_id, (eta, seen) in self._eta.items()
            if batch_id not in self._done
        ]
        return max(left) if left else None

    def detail(self) -> str:
        text = f"batches {self.batches_done}/{self.batches}"
        eta = None if self.batches_done == self.batches else self.eta()
        return text if eta is None else f"{text} eta {eta:.0f}s"

    def line(self) -> str:
        total, done = self.total, self.batches_done == self.batches
        percent = 100 * self.finished // total if total else 100 * done
        return f"progress: {self.finished}/{total} ({percent}%) {self.detail()}"


def _plain(tracker: Tracker, stream: TextIO, every: float) -> tuple[Callable[[], None], float]:
    def render() -> None:
        print(tracker.line(), file=stream, flush=True)

    return render, every


def _live(
    tracker: Tracker, stream: TextIO, label: str
) -> tuple[Callable[[], None], float, Callable[[], None]]:
    from rich.console import Console
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        SpinnerColumn,
        TextColumn,
        TimeElapsedColumn,
    )

    bar = Progress(
        SpinnerColumn(),
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("{task.fields[detail]}"),
        TimeElapsedColumn(),
        console=Console(file=stream),
    )
    task = bar.add_task(label, total=tracker.total, detail=tracker.detail())
    bar.start()

    def render() -> None:
        bar.update(task, completed=tracker.finished, total=tracker.total, detail=tracker.detail())

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
            try:
                yield tracker
            finally:
                tg.cancel_scope.cancel()
        render()
    finally:
        stop()
