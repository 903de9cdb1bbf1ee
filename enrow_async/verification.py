"""Email verifier: bulk (``/email/verify/bulk``) and single (``/email/verify/single``).

A bulk verification takes 1 to 5,000 addresses, sent as ``verifications: [{"email": ...}]``
(the newest documented form; an older reference sent plain strings under ``emails``).
Here a result's ``index`` is a UUID string, not a position, and ``credits_cost`` is a plain
number. ``qualification`` is ``valid`` or ``invalid``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from ._core.protocol import ApiConfig, Request, Response, parse
from .models import BulkVerification, Custom, EmailVerification, SingleAnswer
from .singles import (
    check_custom,
    check_email,
    parse_single,
    post_request,
    settings,
)

__all__ = [
    "MAX_VERIFICATIONS",
    "VERIFY_BULK_PATH",
    "VERIFY_SINGLE_PATH",
    "bulk_verification_request",
    "parse_bulk_verification",
    "parse_single_verification",
    "single_verification_request",
    "to_verifications",
]

MAX_VERIFICATIONS = 5000
VERIFY_BULK_PATH = "/email/verify/bulk"
VERIFY_SINGLE_PATH = "/email/verify/single"
_FIELDS = frozenset({"email", "custom"})


def to_verifications(emails: Iterable[str | Mapping[str, Any]]) -> list[dict[str, Any]]:
    """Check 1 to 5,000 addresses (strings or ``{"email", "custom"}`` mappings) and return
    the wire items; a ValueError or TypeError names the 0-based position."""
    if isinstance(emails, str | bytes | Mapping):
        raise TypeError("emails must be a sequence of addresses, not a single value")
    given = list(emails)
    if not 1 <= len(given) <= MAX_VERIFICATIONS:
        raise ValueError(
            f"a bulk verification holds 1 to {MAX_VERIFICATIONS} emails, got {len(given)}"
        )
    return [_wire(item, f"email {position}") for position, item in enumerate(given)]


def _wire(item: str | Mapping[str, Any], where: str) -> dict[str, Any]:
    if not isinstance(item, Mapping):
        return {"email": check_email(item, where)}
    unknown = set(item) - _FIELDS
    if unknown:
        raise ValueError(
            f"{where}: unknown field(s) {', '.join(sorted(map(str, unknown)))};"
            " expected email, custom"
        )
    wire: dict[str, Any] = {"email": check_email(item.get("email"), where)}
    if item.get("custom") is not None:
        wire["custom"] = check_custom(item["custom"], where)
    return wire


def bulk_verification_request(
    config: ApiConfig,
    emails: Iterable[str | Mapping[str, Any]],
    *,
    custom: Custom = None,
    webhook: str | None = None,
) -> Request:
    """``POST /email/verify/bulk`` for 1 to 5,000 checked addresses."""
    body = {"verifications": to_verifications(emails)}
    return post_request(config, VERIFY_BULK_PATH, body, custom, settings(webhook=webhook))


def single_verification_request(
    config: ApiConfig, email: str, *, custom: Custom = None, webhook: str | None = None
) -> Request:
    """``POST /email/verify/single`` for one checked address."""
    body = {"email": check_email(email, "email")}
    return post_request(config, VERIFY_SINGLE_PATH, body, custom, settings(webhook=webhook))


def parse_bulk_verification(response: Response, request: Request) -> BulkVerification:
    return parse(response, request, BulkVerification)


def parse_single_verification(
    response: Response, request: Request
) -> SingleAnswer[EmailVerification]:
    return parse_single(response, request, EmailVerification)
