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
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Protocol, TextIO

import anyio

from enrow_async import JobProgress

from .credits import percent

__all__ = ["JobTracker", "Phase", "show_progress"]


class Phase(Protocol):
    """What the progress display renders; ``said`` holds lines to print once."""

    said: list[str]

    @property
    def unit(self) -> str: ...

    @property
    def total(self) -> int: ...

    @property
    def finished(self) -> int: ...

    def detail(self) -> str: ...

    def line(self) -> str: ...


class JobTracker:
    """A list job's progress, from the engine's callbacks: ``to_start`` batches started
    (``start``), then the combined JobProgress of the wait (``update``) over ``batches``
    batches of ``items`` in all."""

    def __init__(
        self,
        to_start: int,
        batches: int,
        items: int,
        unit: str,
        clock: Callable[[], float] = anyio.current_time,
    ) -> None:
        self._to_start = to_start
        self._zero = JobProgress(0, items, 0, batches)
        self._unit = unit
        self._clock = clock
        self.started: int = 0
        self.job: JobProgress | None = None
        self.said: list[str] = []
        """Lines to print once (plain output): the ends of the starting phase."""

    def start(self, _: object) -> None:
        self.started += 1
        if self.started == self._to_start:
            self.said.append(f"starting batches {self.started}/{self._to_start}")
            self.said.append(self.line())

    def update(self, job: JobProgress) -> None:
        self.job = job

    @property
    def _starting(self) -> bool:
        return self.job is None and self.started < self._to_start

    @property
    def unit(self) -> str:
        return "batches" if self._starting else self._unit

    @property
    def total(self) -> int:
        return self._to_start if self._starting else (self.job or self._zero).requested

    @property
    def finished(self) -> int:
        return self.started if self._starting else (self.job or self._zero).finished

    def detail(self) -> str:
        if self._starting:
            return "(at most 10 a second)"
        job = self.job or self._zero
        text = f"batches {job.batches_done}/{job.batches} done"
        running = job.eta is not None and job.batches_done < job.batches
        eta = job.eta_at(self._clock()) if running else None
        return text if eta is None else f"{text}, eta {eta:.0f}s"

    def line(self) -> str:
        if self._starting:
            return f"starting batches {self.started}/{self._to_start}"
        job = self.job or self._zero
        done = job.batches_done == job.batches
        share = percent(job.finished, job.requested) if job.requested else 100 * done
        shown = f"{job.finished}/{job.requested} {self._unit} ({share}%)"
        return f"progress: {shown}, {self.detail()}"


def _plain(tracker: Phase, stream: TextIO, every: float) -> tuple[Callable[[], None], float]:
    def render() -> None:
        for line in tracker.said:
            print(line, file=stream)
        tracker.said.clear()
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
