"""Single email finder, account info, and the plumbing shared by the other endpoints.

A single job is read with ``GET ...?id=``: 202 ``{"qualification": "ongoing"}`` while it
runs, then its result. :class:`SingleAnswer` wraps either in a pollable shape (``status``
and ``stats`` 0/1 or 1/1) so that waits on singles go through the shared scheduler.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any, TypeVar
from urllib.parse import urlsplit

import orjson

from ._core.convert import structure
from ._core.http import Action, ApiConfig, Request, Response
from ._core.protocol import PATH_KINDS, decode, error_for
from .errors import BatchNotFoundError, ServerError
from .models import BatchStatus, Custom, SingleAnswer, SingleEmailResult

__all__ = [
    "FIND_SINGLE_PATH",
    "account_request",
    "check_custom",
    "check_email",
    "check_text",
    "find_single_request",
    "not_found",
    "parse_single",
    "parse_single_email",
    "post_request",
    "settings",
]

T = TypeVar("T")

FIND_SINGLE_PATH = "/email/find/single"
ACCOUNT_PATH = "/account/info"
_COUNTRY = re.compile(r"[A-Za-z]{2}")


# -- checks and request bodies --------------------------------------------------------------


def check_text(value: object, where: str, field: str) -> str | None:
    """A stripped non-empty string, ``None`` for None or blank; TypeError for non-strings."""
    if value is None:
        return None
    if not isinstance(value, str):
        raise TypeError(f"{where}: {field} must be a string, got {type(value).__name__}")
    return value.strip() or None


def check_email(value: object, where: str) -> str:
    """A non-empty address containing ``@``."""
    email = check_text(value, where, "email")
    if email is None or "@" not in email:
        raise ValueError(f"{where}: expected an email address containing '@', got {value!r:.60}")
    return email


def check_custom(custom: object, where: str) -> Custom:
    if custom is not None and not isinstance(custom, str | Mapping):
        raise TypeError(f"{where}: custom must be a string or a mapping")
    return custom


def settings(
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


def post_request(
    config: ApiConfig, path: str, body: dict[str, Any], custom: Custom, options: dict[str, Any]
) -> Request:
    """``POST path`` with ``body`` plus the top-level ``custom`` and ``settings`` if set."""
    if custom is not None:
        body["custom"] = check_custom(custom, "custom")
    if options:
        body["settings"] = options
    headers = {**config.headers, "content-type": "application/json"}
    return Request(
        "POST",
        config.base_url,
        path,
        headers,
        Action.START,
        PATH_KINDS[path],
        body=orjson.dumps(body),
        idempotent=False,
    )


def find_single_request(
    config: ApiConfig,
    fullname: str,
    *,
    company_domain: str | None = None,
    company_name: str | None = None,
    custom: Custom = None,
    webhook: str | None = None,
    country_code: str | None = None,
    retrieve_gender: bool = False,
) -> Request:
    """``POST /email/find/single``: a full name and a company domain and/or name."""
    full = check_text(fullname, "search", "fullname")
    if full is None:
        raise ValueError("search: fullname is required")
    body: dict[str, Any] = {"fullname": full}
    for field, value in (("company_domain", company_domain), ("company_name", company_name)):
        text = check_text(value, "search", field)
        if text is not None:
            body[field] = text
    if len(body) == 1:
        raise ValueError("search: company_domain or company_name is required")
    options = settings(webhook=webhook, country_code=country_code, retrieve_gender=retrieve_gender)
    return post_request(config, FIND_SINGLE_PATH, body, custom, options)


def account_request(config: ApiConfig) -> Request:
    return Request("GET", config.base_url, ACCOUNT_PATH, config.headers, Action.ACCOUNT)


# -- reading answers ------------------------------------------------------------------------


def not_found(error: ServerError) -> BatchNotFoundError | None:
    """The newest pages answer an unknown single id with 500 ``Could not retrieve ...``."""
    if "could not retrieve" not in error.message.lower():
        return None
    return BatchNotFoundError(
        error.message, status=error.status, method=error.method, path=error.path
    )


def parse_single(response: Response, request: Request, cls: type[T]) -> SingleAnswer[T]:
    """A single job's answer: ongoing (202 or ``qualification: ongoing``) or its result."""
    job_id = request.job_id or ""
    error = error_for(response, request)
    if error is not None:
        if isinstance(error, ServerError):
            raise not_found(error) or error
        raise error
    if response.status == 202:
        return SingleAnswer(job_id, BatchStatus.ONGOING)
    data = decode(response)
    if type(data) is dict and data.get("qualification") == "ongoing":
        return SingleAnswer(job_id, BatchStatus.ONGOING)
    return SingleAnswer(job_id, BatchStatus.COMPLETED, structure(data, cls, body=response.body))


def parse_single_email(response: Response, request: Request) -> SingleAnswer[SingleEmailResult]:
    return parse_single(response, request, SingleEmailResult)
