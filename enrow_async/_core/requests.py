"""Checked inputs and request bodies for every job kind, built before anything is sent.

A bad input raises ``ValueError`` or ``TypeError`` naming what was wrong (and, in a list,
the 0-based position, as in the results' ``index``). Nothing here does I/O.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, TypeAlias
from urllib.parse import urlsplit

import attrs
import orjson

from ..models import Custom, EmailSearch, PhoneSearch
from .config import ApiConfig
from .http import Action, Request

if TYPE_CHECKING:
    from .jobs import JobSpec

__all__ = [
    "ACCOUNT_PATH",
    "account_request",
    "check_batch_id",
    "check_id",
    "check_timeout",
    "email_bulk_body",
    "email_single_body",
    "phone_bulk_body",
    "phone_single_body",
    "read_request",
    "start_request",
    "to_addresses",
    "to_searches",
    "verify_bulk_body",
    "verify_single_body",
]

ACCOUNT_PATH = "/account/info"
_COUNTRY = re.compile(r"[A-Za-z]{2}")

_Check: TypeAlias = Callable[[Any, str], dict[str, Any]]
"""One item of a bulk checked, named by ``where``: its wire form."""
_Build: TypeAlias = Callable[..., dict[str, Any]]
"""A request body built, and checked, from the caller's arguments."""
_EMAIL_FIELDS = frozenset({"fullname", "company_domain", "company_name", "custom"})
_VERIFY_FIELDS = frozenset({"email", "custom"})
_PHONE_TEXT = ("linkedin_url", "firstname", "lastname", "company_domain", "company_name")
_PHONE_FIELDS = (*_PHONE_TEXT, "custom")


# -- scalars ---------------------------------------------------------------------------------


def check_id(job_id: object) -> str:
    """Refuse anything but a non-empty string before a request is built."""
    if not isinstance(job_id, str):
        raise TypeError(f"batch id must be a str, got {type(job_id).__name__}")
    if not job_id.strip():
        raise ValueError("batch id must be a non-empty string")
    return job_id


def _shown(batch_id: str) -> str:
    """``batch_id`` quoted as Python writes it, a byte that is not UTF-8 as ``\\xNN``."""
    escaped = (
        f"\\x{ord(char) - 0xDC00:02x}" if "\udc80" <= char <= "\udcff" else repr(char)[1:-1]
        for char in batch_id
    )
    return f"'{''.join(escaped)}'"


def _id_problem(batch_id: str) -> str | None:
    if not batch_id.strip():
        return "it is blank" if batch_id else "it is empty"
    for at, char in enumerate(batch_id):
        if "\ud800" <= char <= "\udfff":  # how Python passes on a byte that is not UTF-8
            return f"not UTF-8 text (at position {at})"
        if char.isspace() or not char.isprintable():
            return f"a space or control character at position {at}"
    return None


def check_batch_id(batch_id: str) -> str:
    """``batch_id`` if it can be a batch id, else ValueError saying why not (blank, not
    UTF-8 text, a space or control character in it), before anything is sent: for ids a
    person typed or pasted (a command line, a form)."""
    problem = _id_problem(batch_id)
    if problem is not None:
        raise ValueError(f"batch id {_shown(batch_id)}: {problem}")
    return batch_id


def check_timeout(timeout: object) -> float | None:
    """``None`` (wait forever, explicitly) or a finite number of seconds >= 0."""
    if timeout is None:
        return None
    if isinstance(timeout, bool) or not isinstance(timeout, int | float):
        raise TypeError(f"timeout must be a number of seconds or None, got {timeout!r}")
    if math.isnan(timeout) or timeout < 0:
        raise ValueError(f"timeout must be >= 0 seconds, got {timeout!r}")
    return float(timeout)


def _text(value: object, where: str, field: str) -> str | None:
    """A stripped non-empty string, ``None`` for None or blank; TypeError for non-strings."""
    if value is None:
        return None
    if not isinstance(value, str):
        raise TypeError(f"{where}: {field} must be a string, got {type(value).__name__}")
    return value.strip() or None


def _email(value: object, where: str) -> str:
    email = _text(value, where, "email")
    if email is None or "@" not in email:
        raise ValueError(f"{where}: expected an email address containing '@', got {value!r:.60}")
    return email


def _custom(custom: object, where: str) -> Custom:
    if custom is not None and not isinstance(custom, str | Mapping):
        raise TypeError(f"{where}: custom must be a string or a mapping")
    _json_clean(custom, f"{where}: custom")
    return custom


def _json_clean(value: object, where: str) -> None:
    """Refuse what JSON cannot carry as it is (NaN would travel as ``null``)."""
    if value is None or isinstance(value, str | bool | int):
        return
    if isinstance(value, float):
        if not math.isfinite(value):
            raise ValueError(f"{where} holds {value!r}, which JSON cannot carry")
        return
    if isinstance(value, Mapping):
        for key, item in value.items():
            if not isinstance(key, str):
                raise TypeError(f"{where} has a key that is not a string: {key!r:.40}")
            _json_clean(item, f"{where}.{key}")
        return
    if isinstance(value, list | tuple):
        for position, item in enumerate(value):
            _json_clean(item, f"{where}[{position}]")
        return
    raise TypeError(f"{where} holds a {type(value).__name__}, which JSON cannot carry")


def _unknown(item: Mapping[str, Any], allowed: Iterable[str], where: str) -> None:
    unknown = set(item) - set(allowed)
    if unknown:
        raise ValueError(
            f"{where}: unknown field(s) {', '.join(sorted(map(str, unknown)))};"
            f" expected {', '.join(sorted(allowed))}"
        )


def _given(
    item: object, model: type[attrs.AttrsInstance], allowed: Iterable[str], where: str
) -> Mapping[str, Any]:
    """The fields of one item: an instance of the attrs class ``model``, or a mapping of
    ``allowed`` fields."""
    if isinstance(item, model):
        return attrs.asdict(item, recurse=False)
    if isinstance(item, Mapping):
        _unknown(item, allowed, where)
        return item
    name = model.__name__
    article = "an" if name[0] in "AEIOU" else "a"
    raise TypeError(f"{where}: expected {article} {name} or a mapping, got {type(item).__name__}")


def _each(
    items: Iterable[Any], limit: int, what: str, noun: tuple[str, str], check: _Check
) -> list[dict[str, Any]]:
    """A bulk's 1 to ``limit`` items, each checked; the first bad one raises, named by its
    position. ``noun``: one item, and many."""
    one, many = noun
    if isinstance(items, str | bytes | Mapping | EmailSearch | PhoneSearch):
        raise TypeError(f"{many} must be a sequence of {many}, not a single value")
    given = list(items)
    if not 1 <= len(given) <= limit:
        raise ValueError(f"{what} holds 1 to {limit} {many}, got {len(given)}")
    return [check(item, f"{one} {position}") for position, item in enumerate(given)]


def _settings(
    *, webhook: str | None = None, country_code: str | None = None, retrieve_gender: bool = False
) -> dict[str, Any]:
    """The ``settings`` object, checked; empty when nothing is set."""
    out: dict[str, Any] = {}
    if webhook is not None:
        parts = urlsplit(webhook) if isinstance(webhook, str) else None
        if parts is None or parts.scheme not in ("http", "https") or not parts.netloc:
            raise ValueError(f"webhook must be an http(s) URL, got {webhook!r}")
        out["webhook"] = webhook
    if country_code is not None:
        if not isinstance(country_code, str) or not _COUNTRY.fullmatch(country_code):
            raise ValueError(
                f"country_code must be ISO 3166 alpha-2 like 'US', got {country_code!r}"
            )
        out["country_code"] = country_code.upper()
    if retrieve_gender:
        out["retrieve_gender"] = True
    return out


def _finish(body: dict[str, Any], custom: Custom, settings: dict[str, Any]) -> dict[str, Any]:
    if custom is not None:
        body["custom"] = _custom(custom, "custom")
    if settings:
        body["settings"] = settings
    return body


def _bulk_body(key: str, what: str, noun: tuple[str, str], check: _Check) -> _Build:
    """The builder of a bulk's body: ``{key: [each item checked], "custom", "settings"}``
    from 1 to ``limit`` items (see ``_each``), a ``custom`` and a ``webhook``."""

    def build(
        items: Iterable[Any], *, limit: int, custom: Custom = None, webhook: str | None = None
    ) -> dict[str, Any]:
        checked = _each(items, limit, what, noun, check)
        return _finish({key: checked}, custom, _settings(webhook=webhook))

    return build


# -- email finder ------------------------------------------------------------------------------


def to_search(item: EmailSearch | Mapping[str, Any], where: str) -> EmailSearch:
    """Normalise one search (an EmailSearch or a mapping) and check it."""
    given = _given(item, EmailSearch, _EMAIL_FIELDS, where)
    full = _text(given.get("fullname"), where, "fullname")
    if full is None:
        raise ValueError(f"{where}: fullname is required")
    domain = _text(given.get("company_domain"), where, "company_domain")
    name = _text(given.get("company_name"), where, "company_name")
    if domain is None and name is None:
        raise ValueError(f"{where}: company_domain or company_name is required")
    custom = _custom(given.get("custom"), where)
    if isinstance(item, EmailSearch) and (full, domain, name) == (
        item.fullname,
        item.company_domain,
        item.company_name,
    ):
        return item  # already clean: kept, not copied (a list of 100,000 is held once)
    return EmailSearch(full, domain, name, custom)


def to_searches(items: Iterable[EmailSearch | Mapping[str, Any]]) -> list[EmailSearch]:
    """Check every search; the first bad one raises, naming its position."""
    if isinstance(items, str | bytes | Mapping | EmailSearch):
        raise TypeError("searches must be a sequence of searches, not a single value")
    return [to_search(item, f"search {position}") for position, item in enumerate(items)]


def _email_wire(search: EmailSearch) -> dict[str, Any]:
    out: dict[str, Any] = {"fullname": search.fullname}
    if search.company_domain is not None:
        out["company_domain"] = search.company_domain
    if search.company_name is not None:
        out["company_name"] = search.company_name
    if search.custom is not None:
        out["custom"] = search.custom
    return out


def email_bulk_body(
    searches: Sequence[EmailSearch],
    *,
    limit: int,
    custom: Custom = None,
    webhook: str | None = None,
    country_code: str | None = None,
    retrieve_gender: bool = False,
) -> dict[str, Any]:
    """``POST /email/find/bulk``: 1 to ``limit`` searches already checked by to_searches."""
    if not 1 <= len(searches) <= limit:
        raise ValueError(f"a batch holds 1 to {limit} searches, got {len(searches)}")
    options = _settings(webhook=webhook, country_code=country_code, retrieve_gender=retrieve_gender)
    return _finish({"searches": [_email_wire(s) for s in searches]}, custom, options)


def email_single_body(
    search: EmailSearch | Mapping[str, Any],
    *,
    webhook: str | None = None,
    country_code: str | None = None,
    retrieve_gender: bool = False,
) -> dict[str, Any]:
    """``POST /email/find/single``: a full name and a company domain and/or name."""
    checked = to_search(search, "search")
    body = _email_wire(checked)
    custom = body.pop("custom", None)
    options = _settings(webhook=webhook, country_code=country_code, retrieve_gender=retrieve_gender)
    return _finish(body, custom, options)


# -- email verifier --------------------------------------------------------------------------


def _verification(item: str | Mapping[str, Any], where: str) -> dict[str, Any]:
    if not isinstance(item, Mapping):
        return {"email": _email(item, where)}
    _unknown(item, _VERIFY_FIELDS, where)
    wire: dict[str, Any] = {"email": _email(item.get("email"), where)}
    if item.get("custom") is not None:
        wire["custom"] = _custom(item["custom"], where)
    return wire


def to_addresses(items: Iterable[str]) -> list[str]:
    """Check every address to verify (stripped); the first bad one raises, naming its
    position."""
    if isinstance(items, str | bytes | Mapping):
        raise TypeError("emails must be a sequence of addresses, not a single value")
    return [_email(item, f"email {position}").strip() for position, item in enumerate(items)]


verify_bulk_body = _bulk_body(
    "verifications", "a bulk verification", ("email", "emails"), _verification
)
"""``POST /email/verify/bulk``: addresses (strings or ``{"email", "custom"}``)."""


def verify_single_body(
    email: str, *, custom: Custom = None, webhook: str | None = None
) -> dict[str, Any]:
    """``POST /email/verify/single``: one address."""
    return _finish({"email": _email(email, "email")}, custom, _settings(webhook=webhook))


# -- phone finder ----------------------------------------------------------------------------


def to_phone_search(item: PhoneSearch | Mapping[str, Any], where: str) -> dict[str, Any]:
    """Check one phone search and return its wire form."""
    given = _given(item, PhoneSearch, _PHONE_FIELDS, where)
    wire: dict[str, Any] = {}
    for field in _PHONE_TEXT:
        text = _text(given.get(field), where, field)
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
        wire["custom"] = _custom(given["custom"], where)
    return wire


phone_bulk_body = _bulk_body("searches", "a phone bulk", ("search", "searches"), to_phone_search)
"""``POST /phone/bulk``: searches by LinkedIn URL or by name and company."""


def phone_single_body(
    search: PhoneSearch | Mapping[str, Any], *, webhook: str | None = None
) -> dict[str, Any]:
    """``POST /phone/single``: one search (its ``custom`` goes top level)."""
    body = to_phone_search(search, "search")
    custom = body.pop("custom", None)
    return _finish(body, custom, _settings(webhook=webhook))


# -- requests --------------------------------------------------------------------------------


def start_request(config: ApiConfig, job: JobSpec[Any], body: dict[str, Any]) -> Request:
    """``POST`` to the job's path, starting one: never idempotent (a resend may pay twice)."""
    headers = {**config.headers, "content-type": "application/json"}
    return Request(
        "POST",
        config.base_url,
        job.path,
        headers,
        Action.START,
        job,
        body=orjson.dumps(body),
        idempotent=False,
    )


def read_request(config: ApiConfig, job: JobSpec[Any], job_id: str) -> Request:
    """``GET path?id=...``: read one job."""
    params = {"id": check_id(job_id)}
    return Request("GET", config.base_url, job.path, config.headers, Action.READ, job, params)


def account_request(config: ApiConfig) -> Request:
    """``GET /account/info``."""
    return Request("GET", config.base_url, ACCOUNT_PATH, config.headers, Action.ACCOUNT)
