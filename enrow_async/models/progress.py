"""How far a wait has come: a batch's progress, a whole job's, and one read of a single job."""

from __future__ import annotations

from typing import Generic, TypeVar

import attrs

from .common import BatchStatus
from .email import BatchStats

__all__ = ["JobProgress", "Progress", "SingleAnswer"]

T = TypeVar("T")


@attrs.frozen
class Progress:
    """A snapshot of a batch while it is waited on.

    ``elapsed`` counts seconds since the wait began; ``rate`` (searches per second) and
    ``eta`` (seconds until the predicted finish) are ``None`` until they can be estimated.
    """

    batch_id: str
    status: BatchStatus
    finished: int
    requested: int
    elapsed: float = 0.0
    rate: float | None = None
    eta: float | None = None

    @property
    def fraction(self) -> float:
        """Share of searches finished, from 0.0 to 1.0."""
        if self.requested <= 0:
            return 1.0 if self.status.done else 0.0
        return min(1.0, self.finished / self.requested)


@attrs.frozen
class JobProgress:
    """Combined progress of a job spread over several batches (``find_emails``).

    ``finished`` and ``requested`` count the searches sent (each distinct search once);
    ``duplicates`` counts the input searches not sent because an identical one is (the
    credits saved: each gets that one's result).
    """

    finished: int
    requested: int
    batches_done: int
    batches: int
    elapsed: float = 0.0
    rate: float | None = None
    eta: float | None = None
    duplicates: int = 0

    @property
    def fraction(self) -> float:
        return 1.0 if self.requested <= 0 else min(1.0, self.finished / self.requested)


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
        """0 of 1 finished while ongoing, 1 of 1 once completed (for the scheduler)."""
        return BatchStats(int(self.status.done), 1)
