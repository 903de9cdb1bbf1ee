"""Phone finder: bulk (``/phone/bulk``) and single (``/phone/single``).

A search names a person by ``linkedin_url``, or by ``firstname`` + ``lastname`` and a
company domain or name. A bulk takes up to 5,000 searches (the newest pages say 3,000: a
larger batch may be refused by the server). ``qualification`` is ``found`` or ``not_found``;
bulk stats carry ``found`` + ``credits_to_refund`` (newest) or ``valid`` (older), both read
into ``found``.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import attrs

from ._core.convert import _enum_hook, _General, converter
from ._core.protocol import ApiConfig, Request, Response, parse
from .models import BatchStatus, Custom
from .singles import (
    SingleAnswer,
    check_custom,
    check_text,
    finished_count,
    parse_single,
    post_request,
    settings,
)

__all__ = [
    "MAX_PHONE_SEARCHES",
    "PHONE_BULK_PATH",
    "PHONE_SINGLE_PATH",
    "BulkPhoneResults",
    "PhoneQualification",
    "PhoneResult",
    "PhoneSearch",
    "PhoneStats",
    "bulk_phone_request",
    "parse_bulk_phone",
    "parse_single_phone",
    "single_phone_request",
    "to_phone_search",
    "to_phone_searches",
]

MAX_PHONE_SEARCHES = 5000
"""The older pages' limit; the newest say 3,000."""
PHONE_BULK_PATH = "/phone/bulk"
PHONE_SINGLE_PATH = "/phone/single"


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
    custom: Custom = None


@attrs.frozen
class PhoneResult:
    """One phone search's outcome. ``index`` is its position in a bulk (``None`` for a
    single search); ``params`` is the search as the API read it."""

    qualification: PhoneQualification
    number: str | None = None
    country: str | None = None
    index: int | None = None
    params: Mapping[str, Any] = attrs.field(factory=dict)
    custom: Custom = None

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


@attrs.frozen
class BulkPhoneResults:
    """A phone bulk as read from ``GET /phone/bulk``; ``results`` sorted by ``index``."""

    id: str
    status: BatchStatus
    stats: PhoneStats
    results: Sequence[PhoneResult] = ()
    custom: Custom = None

    @property
    def done(self) -> bool:
        return self.status.done


@attrs.frozen
class _StatsWire:
    requested: int
    finished: int | None = None
    found: int | None = None
    valid: int | None = None
    credits_cost: float | None = None
    credits_to_refund: float | None = None


@attrs.frozen
class _BulkWire:
    general: _General
    stats: _StatsWire
    results: list[PhoneResult] | None = None


def _structure_bulk(value: Any, _: object) -> BulkPhoneResults:
    wire = converter.structure(value, _BulkWire)
    general, stats = wire.general, wire.stats
    results = sorted(wire.results or (), key=lambda r: -1 if r.index is None else r.index)
    return BulkPhoneResults(
        id=general.id,
        status=general.status,
        stats=PhoneStats(
            finished=finished_count(stats.finished, stats.requested, general.status),
            requested=stats.requested,
            found=stats.found if stats.found is not None else stats.valid,
            credits_cost=stats.credits_cost,
            credits_to_refund=stats.credits_to_refund,
        ),
        results=tuple(results),
        custom=general.custom,
    )


converter.register_structure_hook(PhoneQualification, _enum_hook(PhoneQualification))
converter.register_structure_hook(BulkPhoneResults, _structure_bulk)

_TEXT_FIELDS = ("linkedin_url", "firstname", "lastname", "company_domain", "company_name")
_FIELDS = (*_TEXT_FIELDS, "custom")


def to_phone_search(item: PhoneSearch | Mapping[str, Any], where: str) -> dict[str, Any]:
    """Check one search and return its wire form."""
    if isinstance(item, PhoneSearch):
        given = attrs.asdict(item, recurse=False)
    elif isinstance(item, Mapping):
        unknown = set(item) - set(_FIELDS)
        if unknown:
            raise ValueError(
                f"{where}: unknown field(s) {', '.join(sorted(map(str, unknown)))};"
                f" expected {', '.join(_FIELDS)}"
            )
        given = dict(item)
    else:
        raise TypeError(f"{where}: expected a PhoneSearch or a mapping, got {type(item).__name__}")
    wire: dict[str, Any] = {}
    for field in _TEXT_FIELDS:
        text = check_text(given.get(field), where, field)
        if text is not None:
            wire[field] = text
    if "linkedin_url" not in wire:
        if "firstname" not in wire or "lastname" not in wire:
            raise ValueError(f"{where}: linkedin_url, or firstname and lastname, is required")
        if "company_domain" not in wire and "company_name" not in wire:
            raise ValueError(
                f"{where}: company_domain or company_name is required without linkedin_url"
            )
    if given.get("custom") is not None:
        wire["custom"] = check_custom(given["custom"], where)
    return wire


def to_phone_searches(searches: Iterable[PhoneSearch | Mapping[str, Any]]) -> list[dict[str, Any]]:
    """Check 1 to 5,000 searches; a ValueError or TypeError names the 0-based position."""
    if isinstance(searches, str | bytes | Mapping | PhoneSearch):
        raise TypeError("searches must be a sequence of searches, not a single value")
    given = list(searches)
    if not 1 <= len(given) <= MAX_PHONE_SEARCHES:
        raise ValueError(f"a phone bulk holds 1 to {MAX_PHONE_SEARCHES} searches, got {len(given)}")
    return [to_phone_search(item, f"search {position}") for position, item in enumerate(given)]


def bulk_phone_request(
    config: ApiConfig,
    searches: Iterable[PhoneSearch | Mapping[str, Any]],
    *,
    custom: Custom = None,
    webhook: str | None = None,
) -> Request:
    """``POST /phone/bulk`` for 1 to 5,000 checked searches."""
    body = {"searches": to_phone_searches(searches)}
    return post_request(config, PHONE_BULK_PATH, body, custom, settings(webhook=webhook))


def single_phone_request(
    config: ApiConfig, search: PhoneSearch, *, webhook: str | None = None
) -> Request:
    """``POST /phone/single`` for one checked search (its ``custom`` goes top level)."""
    body = to_phone_search(search, "search")
    custom = body.pop("custom", None)
    return post_request(config, PHONE_SINGLE_PATH, body, custom, settings(webhook=webhook))


def parse_bulk_phone(response: Response, request: Request) -> BulkPhoneResults:
    return parse(response, request, BulkPhoneResults)


def parse_single_phone(response: Response, request: Request) -> SingleAnswer[PhoneResult]:
    return parse_single(response, request, PhoneResult)
