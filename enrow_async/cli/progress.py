"""Progress on stderr: a live rich bar on a terminal, plain lines otherwise.

Two phases: starting batches (``starting batches 12/139``, paced by the API's POST limit)
and waiting for them (``progress: 12394/20000 searches (61%), batches 64/200 done, eta
25s``). The ETA is the library's prediction (``Progress.eta``: seconds left when the
snapshot was taken), counted down between polls on the event loop's clock from when the
snapshot was taken (``Progress.eta_at``), and hidden while no
batch has one.

rich is imported here only, and only when a live bar is shown; without the ``cli`` extra
the plain lines are used everywhere.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Callable, Mapping
from contextlib import asynccontextmanager
from typing import Protocol, TextIO

import anyio

from enrow_async import Progress

__all__ = ["Phase", "Starting", "Tracker", "show_progress"]


class Phase(Protocol):
    """What the progress display renders."""

    unit: str

    @property
    def total(self) -> int: ...

    @property
    def finished(self) -> int: ...

    def detail(self) -> str: ...

    def line(self) -> str: ...


class Starting:
    """Batches started so far, out of how many."""

    unit = "batches"

    def __init__(self, count: int) -> None:
        self.count = count
        self.started = 0

    @property
    def total(self) -> int:
        return self.count

    @property
    def finished(self) -> int:
        return self.started

    def detail(self) -> str:
        return "(at most 10 a second)"

    def line(self) -> str:
        return f"starting batches {self.started}/{self.count}"


class Tracker:
    """Combined progress of several batches, fed with their Progress snapshots.

    ``clock`` is the clock snapshots are taken on (the event loop's); each ETA counts down
    from its snapshot's ``taken_at``."""

    def __init__(
        self,
        sizes: Mapping[str, int],
        clock: Callable[[], float] = anyio.current_time,
        unit: str = "searches",
    ) -> None:
        self.unit = unit
        self._clock = clock
        self._sizes = dict(sizes)
        self._finished = dict.fromkeys(self._sizes, 0)
        self._done: set[str] = set()
        self._eta: dict[str, Progress] = {}

    def update(self, progress: Progress) -> None:
        batch_id = progress.batch_id
        self._finished[batch_id] = progress.finished
        if progress.requested:
            self._sizes[batch_id] = progress.requested
        if progress.status.done:
            self._done.add(batch_id)
        elif progress.eta is not None:
            self._eta[batch_id] = progress

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
        if not self._eta:
            return None
        now = self._clock()
        left = [
            eta
            for batch_id, progress in self._eta.items()
            if batch_id not in self._done and (eta := progress.eta_at(now)) is not None
        ]
        return max(left) if left else None

    def detail(self) -> str:
        text = f"batches {self.batches_done}/{self.batches} done"
        eta = None if self.batches_done == self.batches else self.eta()
        return text if eta is None else f"{text}, eta {eta:.0f}s"

    def line(self) -> str:
        total, done = self.total, self.batches_done == self.batches
        percent = 100 * self.finished // total if total else 100 * done
        return f"progress: {self.finished}/{total} {self.unit} ({percent}%), {self.detail()}"


def _plain(tracker: Phase, stream: TextIO, every: float) -> tuple[Callable[[], None], float]:
    def render() -> None:
        print(tracker.line(), file=stream, flush=True)

    return render, every


def _live(
    tracker: Phase, stream: TextIO, label: str
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
        TextColumn(f"{{task.completed}}/{{task.total}} {tracker.unit}"),
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
    tracker: Phase, *, stream: TextIO, every: float, label: str
) -> AsyncIterator[Phase]:
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
