"""A list job's progress as one bar that renders in a notebook and in a terminal alike.

[ProgressBar][enrow_async.frames.ProgressBar] is fed by the engine's ``on_started`` and
``on_progress`` callbacks: batches started first (``started 3/20 batches``), then the
items finished out of those sent (``4500/10000 search``, ``batches 1/2 done, eta 25s``).
It draws with ``tqdm.auto`` (the ``frames`` extra): in Jupyter a widget when ipywidgets is
installed (else text, with tqdm's hint to install it), in a terminal or a log a text bar
on stderr.

tqdm rather than rich: ``tqdm.auto`` chooses the notebook widget or the terminal's bar by
itself, and redraws synchronously when the engine calls back, in the event loop's own
task; rich's live display refreshes from a thread of its own and, in Jupyter, draws
nothing live without ipywidgets.
"""

from __future__ import annotations

from typing import Any, TextIO

import anyio

from ..lists import Estimate
from ..models import JobProgress, StartedBatch

__all__ = ["ProgressBar"]


class ProgressBar:
    """The progress of one run of a list job planned as ``estimate``: pass ``started``
    as ``on_started`` and ``update`` as ``on_progress``, and ``close`` it at the end. The
    bar is drawn at the first call (nothing shows for a run refused by its guard);
    ``file`` is where a text bar is written (default: stderr)."""

    def __init__(self, estimate: Estimate, *, file: TextIO | None = None) -> None:
        self._to_start = estimate.batches
        self._batches = estimate.batches + len(estimate.started)
        self._items = estimate.to_send + sum(match.size for match in estimate.started)
        self._noun = estimate.noun
        self._file = file
        self._started = 0
        self._bar: Any = None

    def _shown(self) -> Any:
        if self._bar is None:
            from tqdm.auto import tqdm

            self._bar = tqdm(
                total=self._items,
                unit=self._noun,
                desc=f"{self._noun}es",
                file=self._file,
                dynamic_ncols=True,
            )
            self._bar.set_postfix_str(self._waiting(None), refresh=False)
        return self._bar

    def _waiting(self, job: JobProgress | None) -> str:
        if self._started < self._to_start and job is None:
            return f"started {self._started}/{self._to_start} batches"
        done = 0 if job is None else job.batches_done
        total = self._batches if job is None else job.batches
        text = f"batches {done}/{total} done"
        eta = None if job is None or done == total else job.eta_at(anyio.current_time())
        return text if eta is None else f"{text}, eta {eta:.0f}s"

    def started(self, _: StartedBatch) -> None:
        """One batch started (the engine's ``on_started``)."""
        self._started += 1
        bar = self._shown()
        bar.set_postfix_str(self._waiting(None))

    def update(self, job: JobProgress) -> None:
        """The combined progress of the wait (the engine's ``on_progress``)."""
        bar = self._shown()
        bar.total = job.requested
        bar.set_postfix_str(self._waiting(job), refresh=False)
        bar.update(job.finished - bar.n)

    def close(self, summary: str | None = None) -> None:
        """End the bar (drawn as it stands), then write ``summary`` below it."""
        if self._bar is not None:
            self._bar.close()
        if summary:
            from tqdm.auto import tqdm

            tqdm.write(summary, file=self._file)
