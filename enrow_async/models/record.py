"""What a list job writes down about each batch it starts, so that no batch is paid twice."""

from __future__ import annotations

import enum
from collections.abc import Iterable, Mapping
from typing import Any

import attrs

__all__ = ["BatchRecord", "RecordState", "latest_records"]


class RecordState(enum.Enum):
    """The last word on one batch of a list job."""

    POSTING = "posting"
    """About to be sent; with no later word (the process died) it reads as ``unknown``."""
    STARTED = "started"
    """Created: ``batch_id`` names it."""
    REFUSED = "refused"
    """The API answered with an error: nothing was created."""
    UNKNOWN = "unknown"
    """Sent, but no clear answer came: the batch may exist, and is not sent again unasked."""


@attrs.frozen
class BatchRecord:
    """One event of one batch: ``number`` is its place in the job, ``key`` a fingerprint of
    its ``items`` (the digests of the distinct searches or addresses it carries, in order,
    with the options that change results), so a later run knows which of its items a
    started batch already covers, whatever was edited around them.

    ``at`` is when it was written (seconds since the epoch); ``credits_used`` and
    ``estimated_duration`` (minutes) come from the start's answer.
    """

    state: RecordState
    number: int
    key: str
    items: tuple[str, ...] = attrs.field(repr=False)
    batch_id: str | None = None
    credits_used: float | None = None
    estimated_duration: float | None = None
    at: float | None = None
    reason: str | None = None

    @property
    def size(self) -> int:
        return len(self.items)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> BatchRecord:
        """The entry back from what ``to_dict(entry)`` gave (what a store kept);
        ValueError or TypeError when it is not one."""
        fields = dict(data)
        items = fields.pop("items", None)
        if not isinstance(items, list | tuple) or not all(isinstance(i, str) for i in items):
            raise TypeError("items must be a list of item digests")
        return cls(RecordState(fields.pop("state", None)), items=tuple(items), **fields)


def latest_records(records: Iterable[BatchRecord]) -> dict[int, BatchRecord]:
    """The last word on each batch number of a record; a refusal forgets the batch
    (nothing was created), and a ``posting`` never hides an earlier ``started``."""
    last: dict[int, BatchRecord] = {}
    for record in records:
        if record.state is RecordState.REFUSED:
            last.pop(record.number, None)
        elif not (
            record.state is RecordState.POSTING
            and record.number in last
            and last[record.number].state is RecordState.STARTED
        ):
            last[record.number] = record
    return last
