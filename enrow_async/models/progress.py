"""How far a wait has come: a batch's progress, a whole job's, and one read of a single job."""

from __future__ import annotations

from typing import Generic, TypeVar

import attrs

from .common import BatchStatus
from .email import BatchStats

__all__ = ["JobProgress", "Progress", "SingleAnswer"]

T = TypeVar("T")


def _left(eta: float | None, taken_at: float | None, now: float) -> float | None:
    if eta is None or taken_at is None:
        return eta
    return max(0.0, eta - (now - taken_at))


@attrs.frozen
class Progress:
    """A snapshot of a batch while it is waited on.

    ``elapsed`` counts seconds since the wait began; ``rate`` (searches per second) and
    ``eta`` (seconds until the predicted finish, when the snapshot was taken) are ``None``
    until they can be estimated. ``taken_at`` is when the snapshot was taken, on the event
    loop's clock (``anyio.current_time()``, ``loop.time()``): ``eta_at(now)`` counts the
    ETA down between snapshots, and ``finish_at`` is the predicted finish on that clock.
    """

    batch_id: str
    status: BatchStatus
    finished: int
    requested: int
    elapsed: float = 0.0
    rate: float | None = None
    eta: float | None = None
    taken_at: float | None = None

    @property
    def fraction(self) -> float:
        """Share of searches finished, from 0.0 to 1.0."""
        if self.requested <= 0:
            return 1.0 if self.status.done else 0.0
        return min(1.0, self.finished / self.requested)

    @property
    def finish_at(self) -> float | None:
        """Predicted finish on the event loop's clock; ``None`` if unknown."""
        if self.eta is None or self.taken_at is None:
            return None
        return self.taken_at + self.eta

    def eta_at(self, now: float) -> float | None:
        """Seconds left at ``now`` (the event loop's clock): ``eta`` less the time since the
        snapshot, never below 0; ``eta`` itself when ``taken_at`` is unknown."""
        return _left(self.eta, self.taken_at, now)


@attrs.frozen
class JobProgress:
    """Combined progress of a job spread over several batches (``find_emails``).

    ``finished`` and ``requested`` count the searches sent (each distinct search once);
    ``duplicates`` counts the input searches not sent because an identical one is (the
    credits saved: each gets that one's result).
    ``eta`` is the latest predicted finish of the running batches, in seconds from
    ``taken_at`` (the event loop's clock); ``None`` unless every running batch has one.
    """

    finished: int
    requested: int
    batches_done: int
    batches: int
    elapsed: float = 0.0
    rate: float | None = None
    eta: float | None = None
    duplicates: int = 0
    taken_at: float | None = None

    @property
    def fraction(self) -> float:
        return 1.0 if self.requested <= 0 else min(1.0, self.finished / self.requested)

    def eta_at(self, now: float) -> float | None:
        """Seconds left at ``now`` (the event loop's clock), as
        [Progress.eta_at][enrow_async.Progress.eta_at]."""
        return _left(self.eta, self.taken_at, now)


@attrs.frozen
class SingleAnswer(Generic[T]):
    """One read of a single job: ``ongoing`` with no result, or ``completed`` with it."""

    id: str
    status: BatchStatus
    result: T | None = None

    @property
    def done(self) -> bool:
        return self.status.done

    @property
    def stats(self) -> BatchStats:
        """0 of 1 finished while ongoing, 1 of 1 once completed (what a wait's plan reads)."""
        return BatchStats(int(self.status.done), 1)
