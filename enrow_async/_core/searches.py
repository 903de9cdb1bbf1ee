"""Pure checks and request bodies for starting bulk email searches.

Every search is checked before anything is sent; a ``ValueError`` names the position
(0-based, as in the results' ``index``) and the problem.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from ..models import Custom, EmailSearch
from ..singles import post_request, settings
from .protocol import ApiConfig, Request

__all__ = ["MAX_BATCH", "bulk_search_request", "chunk", "to_searches"]

MAX_BATCH = 5000
"""Searches per batch, the documented limit."""

BULK_POST_PATH = "/email/find/bulk"
_FIELDS = frozenset({"fullname", "company_domain", "company_name", "custom"})


def _text(value: object, position: int, field: str) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str):
        raise TypeError(f"search {position}: {field} must be a string, got {type(value).__name__}")
    value = value.strip()
    return value or None


def to_search(item: EmailSearch | Mapping[str, Any], position: int) -> EmailSearch:
    """Normalise one search (an EmailSearch or a mapping) and check it."""
    fullname: object
    domain: object
    name: object
    custom: object
    if isinstance(item, EmailSearch):
        fullname, domain, name, custom = (
            item.fullname,
            item.company_domain,
            item.company_name,
            item.custom,
        )
    elif isinstance(item, Mapping):
        unknown = set(item) - _FIELDS
        if unknown:
            raise ValueError(
                f"search {position}: unknown field(s) {', '.join(sorted(map(str, unknown)))};"
                f" expected {', '.join(sorted(_FIELDS))}"
            )
        fullname = item.get("fullname")
        domain, name, custom = (
            item.get("company_domain"),
            item.get("company_name"),
            item.get("custom"),
        )
    else:
        raise TypeError(
            f"search {position}: expected an EmailSearch or a mapping, got {type(item).__name__}"
        )
    full = _text(fullname, position, "fullname")
    if full is None:
        raise ValueError(f"search {position}: fullname is required")
    domain = _text(domain, position, "company_domain")
    name = _text(name, position, "company_name")
    if domain is None and name is None:
        raise ValueError(f"search {position}: company_domain or company_name is required")
    if custom is not None and not isinstance(custom, str | Mapping):
        raise TypeError(f"search {position}: custom must be a string or a mapping")
    return EmailSearch(full, domain, name, custom)


def to_searches(items: Iterable[EmailSearch | Mapping[str, Any]]) -> list[EmailSearch]:
    if isinstance(items, str | bytes | Mapping):
        raise TypeError("searches must be a sequence of searches, not a single value")
    return [to_search(item, position) for position, item in enumerate(items)]


def chunk(searches: Sequence[EmailSearch], size: int = MAX_BATCH) -> list[Sequence[EmailSearch]]:
    """Split into consecutive batches of at most ``size``."""
    return [searches[i : i + size] for i in range(0, len(searches), size)]


def _wire(search: EmailSearch) -> dict[str, Any]:
    out: dict[str, Any] = {"fullname": search.fullname}
    if search.company_domain is not None:
        out["company_domain"] = search.company_domain
    if search.company_name is not None:
        out["company_name"] = search.company_name
    if search.custom is not None:
        out["custom"] = search.custom
    return out


def bulk_search_request(
    config: ApiConfig,
    searches: Sequence[EmailSearch],
    *,
    custom: Custom = None,
    webhook: str | None = None,
    country_code: str | None = None,
    retrieve_gender: bool = False,
) -> Request:
    """``POST /email/find/bulk`` for 1 to 5,000 checked searches."""
    if not 1 <= len(searches) <= MAX_BATCH:
        raise ValueError(f"a batch holds 1 to {MAX_BATCH} searches, got {len(searches)}")
    options = settings(webhook=webhook, country_code=country_code, retrieve_gender=retrieve_gender)
    body: dict[str, Any] = {"searches": [_wire(s) for s in searches]}
    return post_request(config, BULK_POST_PATH, body, custom, options)
