"""The phone finder: a search, its result, and a bulk of them."""

from __future__ import annotations

import enum
from collections.abc import Mapping
from typing import Any

import attrs

from .common import BulkBase, Custom

__all__ = ["BulkPhoneResults", "PhoneQualification", "PhoneResult", "PhoneSearch", "PhoneStats"]


class PhoneQualification(enum.StrEnum):
    FOUND = "found"
    NOT_FOUND = "not_found"


@attrs.frozen
class PhoneSearch:
    """One person: ``linkedin_url``, or ``firstname`` + ``lastname`` + a company domain or
    name."""

    linkedin_url: str | None = None
    firstname: str | None = None
    lastname: str | None = None
    company_domain: str | None = None
    company_name: str | None = None
    custom: Custom = attrs.field(default=None, hash=False)


@attrs.frozen
class PhoneResult:
    """One phone search's outcome. ``index`` is its position in a bulk (``None`` for a
    single search); ``params`` is the search as the API read it."""

    qualification: PhoneQualification
    number: str | None = None
    country: str | None = None
    index: int | None = None
    params: Mapping[str, Any] = attrs.field(factory=dict, hash=False)
    custom: Custom = attrs.field(default=None, hash=False)

    @property
    def found(self) -> bool:
        return self.qualification is PhoneQualification.FOUND


@attrs.frozen
class PhoneStats:
    """Counts of a phone bulk; all but ``finished``/``requested`` are ``None`` while ongoing.

    ``found`` is the wire's ``found`` (newest) or ``valid`` (older). ``finished`` is
    ``requested`` once completed when the API leaves it out.
    """

    finished: int
    requested: int
    found: int | None = None
    credits_cost: float | None = None
    credits_to_refund: float | None = None


@attrs.frozen(repr=False)  # BulkBase's short repr
class BulkPhoneResults(BulkBase[PhoneStats, PhoneResult]):
    """A phone bulk as read from ``GET /phone/bulk``; ``results`` sorted by ``index``."""
