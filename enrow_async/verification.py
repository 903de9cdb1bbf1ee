"""Email verifier: bulk (``/email/verify/bulk``) and single (``/email/verify/single``).

A bulk verification takes 1 to 5,000 addresses, sent as ``verifications: [{"email": ...}]``
(the newest documented form; an older reference sent plain strings under ``emails``).
Here a result's ``index`` is a UUID string, not a position, and ``credits_cost`` is a plain
number. ``qualification`` is ``valid`` or ``invalid``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import attrs

from ._core.convert import _General, converter
from ._core.protocol import ApiConfig, Request, Response, parse
from .models import BatchStatus, Custom, Qualification
from .singles import (
    SingleAnswer,
    check_custom,
    check_email,
    finished_count,
    parse_single,
    post_request,
    settings,
)

__all__ = [
    "MAX_VERIFICATIONS",
    "VERIFY_BULK_PATH",
    "VERIFY_SINGLE_PATH",
    "BulkVerification",
    "EmailVerification",
    "VerificationStats",
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


@attrs.frozen
class EmailVerification:
    """One address checked: ``valid`` (deliverable) or ``invalid``.

    ``index`` is the API's own id of the check in a bulk (a UUID string), ``None`` for a
    single verification.
    """

    email: str
    qualification: Qualification
    index: str | None = None
    custom: Custom = None

    @property
    def valid(self) -> bool:
        return self.qualification is Qualification.VALID


@attrs.frozen
class VerificationStats:
    """Counts of a bulk verification; ``valid`` and ``credits_cost`` once it is done.

    ``finished`` is not always sent: it is then ``requested`` once completed and 0 before.
    """

    finished: int
    requested: int
    valid: int | None = None
    credits_cost: float | None = None


@attrs.frozen
class BulkVerification:
    """A bulk verification as read from ``GET /email/verify/bulk``.

    ``results`` is empty until it is completed and keeps the order the API sent.
    """

    id: str
    status: BatchStatus
    stats: VerificationStats
    results: Sequence[EmailVerification] = ()
    custom: Custom = None

    @property
    def done(self) -> bool:
        return self.status.done


@attrs.frozen
class _StatsWire:
    requested: int
    finished: int | None = None
    valid: int | None = None
    credits_cost: float | None = None


@attrs.frozen
class _BulkWire:
    general: _General
    stats: _StatsWire
    results: list[EmailVerification] | None = None


def _structure_bulk(value: Any, _: object) -> BulkVerification:
    wire = converter.structure(value, _BulkWire)
    general, stats = wire.general, wire.stats
    return BulkVerification(
        id=general.id,
        status=general.status,
        stats=VerificationStats(
            finished=finished_count(stats.finished, stats.requested, general.status),
            requested=stats.requested,
            valid=stats.valid,
            credits_cost=stats.credits_cost,
        ),
        results=tuple(wire.results or ()),
        custom=general.custom,
    )


converter.register_structure_hook(BulkVerification, _structure_bulk)


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
