"""A list job's progress as one bar that renders in a notebook and in a terminal alike.

[ProgressBar][enrow_async.frames.ProgressBar] is fed by the engine's ``on_started`` and
``on_progress`` callbacks: batches started first (``starting batches 3/20``), then the
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

from ..lists import Estimate, ListProgress
from ..models import JobProgress, StartedBatch

__all__ = ["ProgressBar"]


class ProgressBar:
    """The progress of one run of a list job planned as ``estimate``: pass ``started``
    as ``on_started`` and ``update`` as ``on_progress``, and ``close`` it at the end. The
    bar is drawn at the first call (nothing shows for a run refused by its guard);
    ``file`` is where a text bar is written (default: stderr). Its figures are the
    library's [ListProgress][enrow_async.ListProgress]."""

    def __init__(self, estimate: Estimate, *, file: TextIO | None = None) -> None:
        self.progress: ListProgress = ListProgress.of(estimate)
        self._file = file
        self._bar: Any = None

    def _shown(self) -> Any:
        if self._bar is None:
            from tqdm.auto import tqdm

            noun = self.progress.noun
            self._bar = tqdm(
                total=self.progress.items,
                unit=noun,
                desc=f"{noun}es",
                file=self._file,
                dynamic_ncols=True,
            )
            self._bar.set_postfix_str(self._postfix(), refresh=False)
        return self._bar

    def _postfix(self) -> str:
        """The batches started (``starting batches 3/20``), then done, with the ETA."""
        return self.progress.line() if self.progress.starting else self.progress.detail()

    def started(self, batch: StartedBatch) -> None:
        """One batch started (the engine's ``on_started``)."""
        self.progress.start(batch)
        self._shown().set_postfix_str(self._postfix())

    def update(self, job: JobProgress) -> None:
        """The combined progress of the wait (the engine's ``on_progress``)."""
        self.progress.update(job)
        bar = self._shown()
        bar.total = job.requested
        bar.set_postfix_str(self._postfix(), refresh=False)
        bar.update(job.finished - bar.n)

    def close(self, summary: str | None = None) -> None:
        """End the bar (drawn as it stands), then write ``summary`` below it."""
        if self._bar is not None:
            self._bar.close()
        if summary:
            from tqdm.auto import tqdm

            tqdm.write(summary, file=self._file)
