"""Typed results of the email-finder bulk endpoints.

Every class is an immutable ``attrs`` class (see ``_record`` for the hot ones) with
snake_case fields; wire names such as
``companyInfo`` are mapped in the converter, never in user code. Unknown fields from the
API are ignored and missing optional fields are ``None``.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping, Sequence
from typing import Any, TypeVar, dataclass_transform

import attrs

__all__ = [
    "BatchStats",
    "BatchStatus",
    "BulkJob",
    "BulkResults",
    "CompanyInfo",
    "ContactInfo",
    "CreditsCost",
    "Custom",
    "EmailResult",
    "EmailSearch",
    "JobProgress",
    "Progress",
    "Qualification",
]

_T = TypeVar("_T")


@dataclass_transform(frozen_default=True, field_specifiers=(attrs.field,))
def _record(cls: type[_T]) -> type[_T]:
    """Frozen to type checkers, a plain slotted class at run time.

    For the classes built thousands of times per batch (EmailResult and its parts):
    frozen attrs classes set each field through ``object.__setattr__``, which measured as
    40% of structuring a 5,000-result batch (benchmarks/structuring.py). Assigning to a
    field is a type error; instances still hash and compare by value. They have no
    ``__weakref__`` slot: 8 bytes less each, 10% faster structuring. The result builder
    (``_convert._fast_results``) fills their slots without calling ``__init__``, so they
    take no validators, converters or ``__attrs_post_init__`` (tests/test_convert.py).
    """
    return attrs.define(cls, unsafe_hash=True, weakref_slot=False)


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
    """Binary by design: ``valid`` means an email was found, ``invalid`` that none was."""

    VALID = "valid"
    INVALID = "invalid"


@attrs.frozen
class CreditsCost:
    """Credits charged up front (``initial``), given back for misses, and kept (``final``)."""

    initial: float
    refunded: float
    final: float


@attrs.frozen
class BatchStats:
    """Counts of a batch; ``valid`` and ``credits_cost`` are ``None`` while it is ongoing."""

    finished: int
    requested: int
    valid: int | None = None
    credits_cost: CreditsCost | None = None


@_record
class CompanyInfo:
    name: str | None = None


@_record
class ContactInfo:
    """Who was found; present on valid results only. Names come capitalised."""

    domain: str | None = None
    firstname: str | None = None
    lastname: str | None = None
    fullname: str | None = None
    gender: str | None = None
    company_info: CompanyInfo | None = None


@_record
class EmailResult:
    """One search's outcome; ``index`` is its position in the submitted list."""

    index: int
    qualification: Qualification
    email: str | None = None
    info: ContactInfo | None = None
    # Objects on the wire: compared, but left out of the hash so that results hash.
    raw_params: Mapping[str, Any] = attrs.field(factory=dict, hash=False)
    custom: Custom = attrs.field(default=None, hash=False)

    @property
    def found(self) -> bool:
        return self.qualification is Qualification.VALID


@attrs.frozen
class BulkResults:
    """A batch as read from ``GET /email/find/bulk``.

    ``results`` is empty until the batch is completed; it is sorted by ``index``.
    """

    id: str
    status: BatchStatus
    stats: BatchStats
    results: Sequence[EmailResult] = ()
    custom: Custom = None

    @property
    def done(self) -> bool:
        return self.status.done


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
    """Combined progress of a job spread over several batches (``find_emails``)."""

    finished: int
    requested: int
    batches_done: int
    batches: int
    elapsed: float = 0.0
    rate: float | None = None
    eta: float | None = None

    @property
    def fraction(self) -> float:
        return 1.0 if self.requested <= 0 else min(1.0, self.finished / self.requested)


@attrs.frozen
class BulkJob:
    """What starting a batch returns: its ``id`` and the server's own estimates."""

    id: str
    credits_used: float | None = None
    estimated_duration: float | None = None
    """Minutes, as the API documents it ("not guaranteed")."""
    message: str | None = None


@attrs.frozen
class EmailSearch:
    """One person to find: a full name and a company domain and/or name."""

    fullname: str
    company_domain: str | None = None
    company_name: str | None = None
    custom: Custom = None
