"""``find_emails``' bookkeeping: the results of many batches back in input order."""

from __future__ import annotations

from collections.abc import Sequence

from ..errors import BatchErrors
from ..models import BatchStatus, BulkJob, BulkResults, EmailResult, JobProgress, Progress

__all__ = ["Collector"]


class Collector:
    """Puts the results of several batches back into the order of the input list.

    A result whose index is outside its batch, or repeats one, is not silently dropped: the
    batch is listed in ``failed`` with what was wrong.
    """

    def __init__(self, jobs: Sequence[BulkJob], sizes: Sequence[int], started: float) -> None:
        self._offsets: dict[str, tuple[int, int]] = {}
        offset = 0
        for job, size in zip(jobs, sizes, strict=True):
            self._offsets[job.id] = (offset, size)
            offset += size
        self.results: list[EmailResult | None] = [None] * offset
        self.failed: dict[str, str] = {}
        self._progress: dict[str, Progress] = {}
        self._started = started

    def add(self, batch: BulkResults) -> None:
        offset, size = self._offsets[batch.id]
        if batch.status is BatchStatus.FAILED:
            self.failed[batch.id] = "batch failed"
            return
        results = self.results
        outside: list[int] = []
        twice: list[int] = []
        for result in batch.results:
            index = result.index
            if not 0 <= index < size:
                outside.append(index)
                continue
            if results[offset + index] is not None:
                twice.append(index)
            if offset:  # renumber to the position in the whole input
                result = EmailResult(
                    offset + index,
                    result.qualification,
                    result.email,
                    result.info,
                    result.raw_params,
                    result.custom,
                )
            results[offset + index] = result
        problems = []
        if outside:
            problems.append(
                f"{len(outside)} result(s) with an index outside 0-{size - 1}: "
                + ", ".join(map(str, outside[:5]))
            )
        if twice:
            problems.append(f"index(es) given twice: {', '.join(map(str, twice[:5]))}")
        if problems:
            self.failed[batch.id] = "; ".join(problems)

    def add_errors(self, errors: BatchErrors) -> None:
        for batch_id, error in errors.errors.items():
            self.failed[batch_id] = str(error)

    def combined(self, progress: Progress, now: float) -> JobProgress:
        self._progress[progress.batch_id] = progress
        snapshots = self._progress.values()
        running = [p for p in snapshots if not p.status.done]
        # The latest predicted finish, counted down to now; unknown while any batch has none.
        etas = [eta for p in running if (eta := p.eta_at(now)) is not None]
        known = len(snapshots) == len(self._offsets) and len(etas) == len(running)
        rates = [p.rate for p in running if p.rate is not None]
        return JobProgress(
            finished=sum(p.finished for p in snapshots),
            requested=len(self.results),
            batches_done=sum(p.status.done for p in snapshots),
            batches=len(self._offsets),
            elapsed=now - self._started,
            rate=sum(rates) if rates else None,
            eta=max(etas, default=0.0) if known else None,
            taken_at=now,
        )
