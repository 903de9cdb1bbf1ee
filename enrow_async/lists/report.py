"""What a list job says: its ``Estimate`` before anything is sent, each ``FinishedBatch``
as it arrives, and the ``ListReport`` at the end, with every ``Gap`` and its reason."""

from __future__ import annotations

import enum
from collections.abc import Sequence
from typing import Generic, TypeVar

import attrs

from ..errors import BatchTimeoutError, EnrowError
from ..models import StartedBatch

__all__ = [
    "BatchMatch",
    "Estimate",
    "FinishedBatch",
    "Gap",
    "GapReason",
    "ListReport",
]


R = TypeVar("R")


class GapReason(enum.Enum):
    """Why input positions have no result."""

    FAILED = "failed"
    """Their batch ended ``failed``."""
    ERROR = "error"
    """Their batch could not be read, or its answer left them out."""
    PENDING = "pending"
    """Their batch was still running when the wait ended: resume to collect it."""
    UNKNOWN = "unknown"
    """Their start got no clear answer: it may exist (and be paid); not re-sent unasked."""
    UNSENT = "unsent"
    """Never sent: the run stopped before their batch (see ``stopped_by``)."""


@attrs.frozen
class Gap:
    """Input ``positions`` without a result, and why."""

    reason: GapReason
    positions: tuple[int, ...] = attrs.field(repr=lambda p: f"<{len(p)} position(s)>")
    batch_id: str | None = None
    detail: str = ""


@attrs.frozen
class FinishedBatch(Generic[R]):
    """One batch done: ``results`` as (input position, result) pairs, each result with
    that position as its index and the input's own ``custom``; ``gap`` names the
    positions it should have filled and did not."""

    batch_id: str
    number: int
    results: Sequence[tuple[int, R]] = attrs.field(repr=lambda r: f"<{len(r)} result(s)>")
    gap: Gap | None = None


@attrs.frozen
class BatchMatch:
    """A started batch from the record: ``size`` items, ``kept`` of them still in the list."""

    number: int
    batch_id: str | None
    size: int
    kept: int


@attrs.frozen
class Estimate:
    """What a run would do, before anything is sent."""

    noun: str
    rows: int
    distinct: int
    duplicates: int
    started: tuple[BatchMatch, ...]
    """Batches the record shows started, still serving the list (waited for, not paid)."""
    unused: tuple[BatchMatch, ...]
    """Batches the record shows started that no item of the list needs any more."""
    uncertain: int
    """Items whose start had no answer: not sent again (``resend_unknown`` to do so)."""
    to_send: int
    batches: int
    credits: float
    """Credits the new batches reserve when they start (misses are refunded later)."""
    balance: float | None
    """The account's balance, read when there is something to send."""

    @property
    def reused(self) -> int:
        """Items already covered by started batches."""
        return sum(match.kept for match in self.started)


@attrs.frozen
class ListReport:
    """How a run ended. ``batches`` lists every batch it waited for (started now or
    earlier); credits are exact where the answers gave them: ``reserved`` when the batches
    started, ``refunded`` and ``final`` for the ``settled`` ones."""

    rows: int
    distinct: int
    duplicates: int
    found: int
    """Input positions that got a result."""
    batches: tuple[StartedBatch, ...]
    reserved: float
    refunded: float
    final: float
    settled: int
    saved: float = 0.0
    """Credits the duplicates did not cost (each was sent once)."""
    gaps: tuple[Gap, ...] = ()
    stopped_by: EnrowError | None = None
    """The error that ended the run early (a refused start, a wait that could not go on)."""
    timed_out: BatchTimeoutError | None = None

    @property
    def complete(self) -> bool:
        return not self.gaps and self.stopped_by is None

    @property
    def missing(self) -> list[int]:
        return sorted(p for gap in self.gaps for p in gap.positions)

    def positions(self, reason: GapReason) -> list[int]:
        return sorted(p for gap in self.gaps if gap.reason is reason for p in gap.positions)
