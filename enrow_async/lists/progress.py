"""A list job's progress as people follow it, whatever draws it (the CLI's line or bar, the
DataFrame helpers' tqdm bar, the MCP server's notifications).

Two phases: starting batches (``starting batches 12/139``, paced by the API's POST limit),
then waiting for them (``progress: 12394/20000 searches (61%), batches 64/200 done, eta
25s``). The ETA is the library's prediction (``JobProgress.eta``), counted down between
snapshots on ``clock`` from when the snapshot was taken (``JobProgress.eta_at``), and left
out while no batch has one.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Self

import anyio
import attrs

from ..models import JobProgress
from .report import Estimate
from .words import percent

__all__ = ["ListProgress"]


@attrs.define
class ListProgress:
    """The figures of one run: ``to_start`` batches started (``start``: pass it as the
    engine's ``on_started``), then the combined JobProgress of the wait (``update``: its
    ``on_progress``) over ``batches`` batches of ``items`` items in all (``noun``:
    ``search`` or ``address``). ``of`` takes them from the run's
    [Estimate][enrow_async.Estimate]."""

    to_start: int
    batches: int
    items: int
    noun: str = "search"
    _clock: Callable[[], float] = attrs.field(default=anyio.current_time, repr=False)
    started: int = attrs.field(default=0, init=False)
    """Batches started so far."""
    job: JobProgress | None = attrs.field(default=None, init=False)
    """The last combined progress of the wait (``None`` before the first)."""

    @classmethod
    def of(cls, estimate: Estimate, clock: Callable[[], float] = anyio.current_time) -> Self:
        """The progress of a run planned as ``estimate``: its new batches started, then
        those and the ones started earlier waited for."""
        earlier = estimate.started
        batches = estimate.batches + len(earlier)
        items = estimate.to_send + sum(match.size for match in earlier)
        return cls(estimate.batches, batches, items, estimate.noun, clock)

    def start(self, _: object) -> None:
        """One batch started (the engine's ``on_started``)."""
        self.started += 1

    def update(self, job: JobProgress) -> None:
        """The combined progress of the wait (the engine's ``on_progress``)."""
        self.job = job

    @property
    def starting(self) -> bool:
        """Still starting batches: none has reported progress, some are left to start."""
        return self.job is None and self.started < self.to_start

    @property
    def now(self) -> JobProgress:
        """The wait's progress so far (nothing finished before the first snapshot)."""
        return self.job or JobProgress(0, self.items, 0, self.batches)

    @property
    def unit(self) -> str:
        """What ``total`` and ``finished`` count: batches while starting, then items."""
        return "batches" if self.starting else f"{self.noun}es"

    @property
    def total(self) -> int:
        return self.to_start if self.starting else self.now.requested

    @property
    def finished(self) -> int:
        return self.started if self.starting else self.now.finished

    def detail(self) -> str:
        """What a bar shows beside its count: the pace of the starts, then the batches
        done and the ETA."""
        if self.starting:
            return "(at most 10 a second)"
        job = self.now
        text = f"batches {job.batches_done}/{job.batches} done"
        running = job.eta is not None and job.batches_done < job.batches
        eta = job.eta_at(self._clock()) if running else None
        return text if eta is None else f"{text}, eta {eta:.0f}s"

    def line(self) -> str:
        """The phase in one line: ``starting batches 3/20``, then ``progress: 6/12
        searches (50%), batches 1/3 done, eta 20s``."""
        if self.starting:
            return f"starting batches {self.started}/{self.to_start}"
        job = self.now
        done = job.batches_done == job.batches
        share = percent(job.finished, job.requested) if job.requested else 100 * done
        shown = f"{job.finished}/{job.requested} {self.unit} ({share}%)"
        return f"progress: {shown}, {self.detail()}"
