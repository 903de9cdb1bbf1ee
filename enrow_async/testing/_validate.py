"""Check the body of a POST the way the API does, with its documented messages (each
family's items: ``_families``)."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Any

import orjson

__all__ = ["ApiError", "batch", "email_search", "parse_payload", "phone_search", "text"]

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


def text(search: Mapping[str, Any], *keys: str) -> bool:
    """Whether one of ``keys`` holds a non-blank string."""
    return any(isinstance(search.get(k), str) and search[k].strip() for k in keys)


def email_search(search: Any) -> bool:
    """An email search the API accepts: a full name and a company domain or name."""
    return (
        isinstance(search, dict)
        and text(search, "fullname")
        and text(search, "company_domain", "company_name")
    )


def phone_search(search: Any) -> bool:
    """A phone search the API accepts: a LinkedIn profile URL, or names and a company."""
    if not isinstance(search, dict):
        return False
    if text(search, "linkedin_url"):
        return bool(_LINKEDIN.match(search["linkedin_url"].strip()))
    return (
        text(search, "firstname", "first_name")
        and text(search, "lastname", "last_name")
        and text(search, "company_domain", "company_name")
    )


def batch(
    items: Any, what: str, limit: int, ok: Callable[[Any], bool], noun: str = "search"
) -> list[Any]:
    """``items`` if they are a list of 1 to ``limit`` that ``ok`` accepts, else the API's
    400 naming the first it refuses."""
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
