"""A list job's bookkeeping: each finished batch's results placed at their index in the
batch (what is inconsistent is named, never dropped), and the combined progress of many
batches."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

from ..models import EmailResult, EmailVerification, JobProgress, Progress, email_identity

__all__ = ["CombinedProgress", "place_results", "place_verifications"]


def place_results(results: Iterable[EmailResult], size: int) -> tuple[dict[int, EmailResult], str]:
    """Email results by their index in a batch of ``size``, and what was wrong (an index
    outside the batch, one given twice: ``""`` when nothing)."""
    placed: dict[int, EmailResult] = {}
    outside: list[int] = []
    twice: list[int] = []
    for result in results:
        index = result.index
        if not 0 <= index < size:
            outside.append(index)
        elif index in placed:
            twice.append(index)
        else:
            placed[index] = result
    problems = []
    if outside:
        problems.append(
            f"{len(outside)} result(s) with an index outside 0-{size - 1}: "
            + ", ".join(map(str, outside[:5]))
        )
    if twice:
        problems.append(f"index(es) given twice: {', '.join(map(str, twice[:5]))}")
        for index in twice:  # which of the two is right cannot be known
            placed.pop(index, None)
    return placed, "; ".join(problems)


def place_verifications(
    results: Iterable[EmailVerification], emails: Sequence[str]
) -> tuple[dict[int, EmailVerification], str]:
    """Verifications by their index in a batch of ``emails``: by the ``custom`` the job
    sent with each (its index), else by the address; ``""`` or what was wrong."""
    placed: dict[int, EmailVerification] = {}
    by_email: dict[str, EmailVerification] = {}
    for result in results:
        custom = result.custom
        if isinstance(custom, str) and custom.isdigit() and int(custom) < len(emails):
            placed.setdefault(int(custom), result)
        else:
            by_email[email_identity(result.email)] = result
    for index, email in enumerate(emails):
        if index not in placed and (found := by_email.get(email_identity(email))) is not None:
            placed[index] = found
    return placed, ""


class CombinedProgress:
    """The combined progress of many batches: fed each batch's Progress snapshots
    (``update``), it gives a JobProgress over them all. ``sizes`` are the batches' sizes
    where known (0 when not: a batch's own snapshots tell it); ``started`` is when the wait
    began and ``duplicates`` what to report as not sent, both on the event loop's clock."""

    def __init__(self, sizes: Mapping[str, int], started: float = 0.0, duplicates: int = 0) -> None:
        self._sizes = dict(sizes)
        self._progress: dict[str, Progress] = {}
        self._started = started
        self._duplicates = duplicates

    def update(self, progress: Progress, now: float) -> JobProgress:
        self._progress[progress.batch_id] = progress
        if progress.requested:
            self._sizes[progress.batch_id] = progress.requested
        snapshots = self._progress.values()
        running = [p for p in snapshots if not p.status.done]
        # The latest predicted finish, counted down to now; unknown while any batch has none.
        etas = [eta for p in running if (eta := p.eta_at(now)) is not None]
        known = len(snapshots) == len(self._sizes) and len(etas) == len(running)
        rates = [p.rate for p in running if p.rate is not None]
        return JobProgress(
            finished=sum(p.finished for p in snapshots),
            requested=sum(self._sizes.values()),
            batches_done=sum(p.status.done for p in snapshots),
            batches=len(self._sizes),
            elapsed=now - self._started,
            rate=sum(rates) if rates else None,
            eta=max(etas, default=0.0) if known else None,
            duplicates=self._duplicates,
            taken_at=now,
        )
