"""What every kind of job shares: its status, a result's qualification, ``custom``, the
answers that start a job, and the shape of a bulk answer."""

from __future__ import annotations

import enum
from collections.abc import Mapping, Sequence
from typing import Any, ClassVar, Generic, TypeVar

import attr  # its asdict turns tuples into lists (attrs.asdict keeps them)
import attrs
from attrs import AttrsInstance

__all__ = ["BatchStatus", "BulkJob", "Custom", "Qualification", "SingleJob", "to_dict"]

StatsT = TypeVar("StatsT")
ResultT = TypeVar("ResultT")

Custom = str | Mapping[str, Any] | None
"""A ``custom`` value exactly as sent: a string, an object, or absent."""


class BatchStatus(enum.StrEnum):
    """Where a batch stands: ``ongoing`` until it is ``completed`` or ``failed``."""

    ONGOING = "ongoing"
    COMPLETED = "completed"
    FAILED = "failed"

    @property
    def done(self) -> bool:
        return self is not BatchStatus.ONGOING


class Qualification(enum.StrEnum):
    """Binary by design: ``valid`` means an email was found (or is deliverable), ``invalid``
    that none was."""

    VALID = "valid"
    INVALID = "invalid"


@attrs.frozen
class BulkJob:
    """What starting a batch returns: its ``id`` and the server's own estimates."""

    id: str
    credits_used: float | None = None
    estimated_duration: float | None = None
    """Minutes, as the API documents it ("not guaranteed")."""
    message: str | None = None


@attrs.frozen
class SingleJob:
    """What starting a single job returns: its ``id`` (and credits when the API says)."""

    id: str
    credits_used: float | None = None
    message: str | None = None


@attrs.frozen
class BulkBase(Generic[StatsT, ResultT]):
    """A bulk job as read from its GET endpoint; ``results`` is empty until it is completed.

    The base of ``BulkResults``, ``BulkVerification`` and ``BulkPhoneResults``.
    """

    id: str
    status: BatchStatus
    stats: StatsT
    results: Sequence[ResultT] = ()
    custom: Custom = attrs.field(default=None, hash=False)
    by_index: ClassVar[bool] = True
    """Whether ``results`` are sorted by their ``index`` (the API promises no order), as
    they are unless the model says otherwise."""

    @property
    def done(self) -> bool:
        return self.status.done

    def __repr__(self) -> str:
        """Short: a completed batch holds thousands of results (``results`` lists them)."""
        stats = self.stats
        counts = f"{getattr(stats, 'finished', '?')}/{getattr(stats, 'requested', '?')}"
        return (
            f"{type(self).__name__}(id={self.id!r}, status={self.status.value!r},"
            f" finished={counts}, results={len(self.results)})"
        )


def _plain(_: object, __: object, value: object) -> object:
    return value.value if isinstance(value, enum.Enum) else value


def to_dict(model: AttrsInstance) -> dict[str, Any]:
    """``model`` (any enrow_async model) as JSON-ready data: snake_case keys, enums as their
    wire values, sequences as lists; ``orjson.dumps(to_dict(batch))`` just works."""
    if not attrs.has(type(model)):
        raise TypeError(f"to_dict takes an enrow_async model, got {type(model).__name__}")
    return attr.asdict(model, value_serializer=_plain, retain_collection_types=False)
