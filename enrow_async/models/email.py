"""The email finder: a search, its result, and a batch of them (bulk and single)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

import attrs

from .common import BulkBase, Custom, Qualification

__all__ = [
    "BatchStats",
    "BulkResults",
    "CompanyInfo",
    "ContactInfo",
    "CreditsCost",
    "EmailResult",
    "EmailSearch",
    "SingleEmailResult",
    "StartedBatch",
]


@attrs.frozen
class EmailSearch:
    """One person to find: a full name and a company domain and/or name."""

    fullname: str
    company_domain: str | None = None
    company_name: str | None = None
    custom: Custom = attrs.field(default=None, hash=False)


def _ints(values: Iterable[int]) -> tuple[int, ...]:
    return tuple(values)


@attrs.frozen
class StartedBatch:
    """A batch ``find_emails`` started (and paid for), handed to ``on_started`` at once.

    ``number`` is its place among the batches of the list (0-based) and ``key`` a
    fingerprint of the searches it holds: save ``id``, ``number`` and ``key`` (``to_dict``
    gives JSON) and pass ``StartedBatch(**saved)`` back in ``resume=`` to wait for it
    instead of starting it again. ``positions`` are the input positions its results fill
    (duplicates included; recomputed on resume); ``credits_used`` and
    ``estimated_duration`` (minutes) come from the start's answer.
    """

    id: str
    number: int
    key: str
    positions: tuple[int, ...] = attrs.field(default=(), converter=_ints, repr=False, eq=False)
    credits_used: float | None = None
    estimated_duration: float | None = None


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


# The three records built thousands of times per batch carry no ``__weakref__`` slot:
# 8 bytes less each.


@attrs.frozen(weakref_slot=False)
class CompanyInfo:
    name: str | None = None


@attrs.frozen(weakref_slot=False)
class ContactInfo:
    """Who was found; present on valid results only. Names come capitalised."""

    domain: str | None = None
    firstname: str | None = None
    lastname: str | None = None
    fullname: str | None = None
    gender: str | None = None
    company_info: CompanyInfo | None = None


@attrs.frozen(weakref_slot=False)
class EmailResult:
    """One search's outcome in a batch; ``index`` is its position in the submitted list."""

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


@attrs.frozen(repr=False)  # BulkBase's short repr
class BulkResults(BulkBase[BatchStats, EmailResult]):
    """A batch as read from ``GET /email/find/bulk``; ``results`` sorted by ``index``."""


@attrs.frozen(kw_only=True)
class SearchOutcome:
    """A single email search's outcome: ``valid`` (found) or ``invalid`` (not found).

    The base of [SingleEmailResult][enrow_async.SingleEmailResult] (``GET /email/find/single``) and
    ``WebhookSearchResult`` (the webhook, where ``qualification`` may be missing).
    """

    qualification: Qualification | None = None
    email: str | None = None
    info: ContactInfo | None = None
    custom: Custom = attrs.field(default=None, hash=False)

    @property
    def found(self) -> bool:
        return self.qualification is Qualification.VALID


@attrs.frozen(kw_only=True)
class SingleEmailResult(SearchOutcome):
    """``GET /email/find/single`` once done; ``qualification`` is always there."""

    qualification: Qualification
