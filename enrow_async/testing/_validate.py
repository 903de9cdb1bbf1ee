"""Check the body of a POST the way the API does, with its documented messages."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Any

import orjson

__all__ = ["ApiError", "items_of", "parse_payload"]

_LINKEDIN = re.compile(r"^(https?://)?([a-z]{2,3}\.)?linkedin\.com/in/[^/?#\s]+/?$", re.IGNORECASE)


class ApiError(Exception):
    """An answer other than success: status, JSON body and extra headers."""

    def __init__(
        self,
        status: int,
        message: str,
        *,
        body: Any = None,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.body = {"message": message} if body is None else body
        self.headers = headers


def parse_payload(raw: bytes) -> dict[str, Any]:
    """The JSON object of a POST body: ``Missing payload`` / ``Invalid JSON input`` else."""
    if not raw.strip():
        raise ApiError(400, "Missing payload")
    try:
        payload = orjson.loads(raw)
    except orjson.JSONDecodeError:
        raise ApiError(400, "Invalid JSON input") from None
    if payload is None or payload == {}:
        raise ApiError(400, "Missing payload")
    if not isinstance(payload, dict):
        raise ApiError(400, "Invalid JSON input")
    if not isinstance(payload.get("settings", {}), dict):
        raise ApiError(400, "Invalid settings payload")
    return payload


def _text(search: Mapping[str, Any], *keys: str) -> bool:
    return any(isinstance(search.get(k), str) and search[k].strip() for k in keys)


def _email_search(search: Any) -> bool:
    return (
        isinstance(search, dict)
        and _text(search, "fullname")
        and _text(search, "company_domain", "company_name")
    )


def _phone_search(search: Any) -> bool:
    if not isinstance(search, dict):
        return False
    if _text(search, "linkedin_url"):
        return bool(_LINKEDIN.match(search["linkedin_url"].strip()))
    return (
        _text(search, "firstname", "first_name")
        and _text(search, "lastname", "last_name")
        and _text(search, "company_domain", "company_name")
    )


def _batch(
    items: Any, what: str, limit: int, ok: Callable[[Any], bool], noun: str = "search"
) -> list[Any]:
    if not isinstance(items, list) or not items:
        raise ApiError(400, f"Missing {what} payload")
    if len(items) > limit:
        raise ApiError(400, f"Too many {what}. Limit is currently at {limit} per batch.")
    for position, item in enumerate(items, 1):
        if not ok(item):
            raise ApiError(
                400, f"Missing mandatory property on {noun} n°{position} of {len(items)}"
            )
    return items


def _verifications(payload: Mapping[str, Any]) -> list[str]:
    """Addresses under ``verifications`` ([{"email"}] or [str]) or ``emails`` ([str])."""
    items = payload.get("verifications", payload.get("emails"))
    items = _batch(
        items,
        "verifications",
        5000,
        lambda v: isinstance(v, str) or (isinstance(v, dict) and isinstance(v.get("email"), str)),
        "verification",
    )
    return [v if isinstance(v, str) else v["email"] for v in items]


def items_of(path: str, payload: Mapping[str, Any]) -> list[Any]:
    """What the job will work through, one item per result; raises ``ApiError``."""
    if path == "/email/find/bulk":
        return _batch(payload.get("searches"), "searches", 5000, _email_search)
    if path == "/phone/bulk":
        return _batch(payload.get("searches"), "searches", 3000, _phone_search)
    if path == "/email/verify/bulk":
        return _verifications(payload)
    if path == "/email/find/single":
        if not _email_search(payload):
            raise ApiError(400, "Missing fullname, or company_domain or company_name")
    elif path == "/email/verify/single":
        email = payload.get("email")
        if not isinstance(email, str) or "@" not in email.strip(" @"):
            raise ApiError(400, "invalid email format")
    elif not _phone_search(payload):
        if _text(payload, "linkedin_url"):
            raise ApiError(400, "Invalid linkedin_url")
        raise ApiError(400, "Missing linkedin_url, or firstname, lastname and company")
    return [payload]
