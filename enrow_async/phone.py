"""Phone finder: bulk (``/phone/bulk``) and single (``/phone/single``).

A search names a person by ``linkedin_url``, or by ``firstname`` + ``lastname`` and a
company domain or name. A bulk takes up to 5,000 searches (the newest pages say 3,000: a
larger batch may be refused by the server). ``qualification`` is ``found`` or ``not_found``;
bulk stats carry ``found`` + ``credits_to_refund`` (newest) or ``valid`` (older), both read
into ``found``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

import attrs

from ._core.protocol import ApiConfig, Request, Response, parse
from .models import BulkPhoneResults, Custom, PhoneResult, PhoneSearch, SingleAnswer
from .singles import (
    check_custom,
    check_text,
    parse_single,
    post_request,
    settings,
)

__all__ = [
    "MAX_PHONE_SEARCHES",
    "PHONE_BULK_PATH",
    "PHONE_SINGLE_PATH",
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
