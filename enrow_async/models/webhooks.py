"""The events Enrow POSTs to a webhook URL when a job finishes.

A webhook is a hint that a job finished, never the source of truth for bulk results: read
those with the GET endpoint. Tell the events apart with ``isinstance`` or ``.event``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar, Literal

import attrs

from .common import Custom, Qualification
from .email import SearchOutcome

__all__ = [
    "BulkPhoneSearchFinished",
    "BulkSearchFinished",
    "BulkVerificationFinished",
    "SinglePhoneSearchFinished",
    "SingleSearchFinished",
    "VerificationFinished",
    "WebhookCredits",
    "WebhookEvent",
    "WebhookPhoneResult",
    "WebhookSearchResult",
]


@attrs.frozen
class WebhookCredits:
    """Credits of the finished job: ``cost`` (may be fractional); ``balance`` on old payloads."""

    cost: float | None = None
    balance: float | None = None


@attrs.frozen(kw_only=True)
class WebhookSearchResult(SearchOutcome):
    """The outcome of a single email search; ``info.domain`` holds the wire's company_domain."""


@attrs.frozen
class WebhookPhoneResult:
    """The outcome of a single phone search; ``qualification`` is ``found`` or ``not_found``."""

    number: str | None = None
    qualification: str | None = None
    country: str | None = None
    params: Mapping[str, Any] = attrs.field(factory=dict, hash=False)
    custom: Custom = attrs.field(default=None, hash=False)

    @property
    def found(self) -> bool:
        return self.qualification == "found"


@attrs.frozen
class JobFinished:
    """What every event carries: the job's ``id`` and, mostly, its ``credits``."""

    is_bulk: ClassVar[bool] = False
    id: str
    credits: WebhookCredits | None = None


@attrs.frozen
class SingleSearchFinished(JobFinished):
    """``single_search_finished``; ``result`` is ``None`` on payloads before March 2024."""

    event: ClassVar[Literal["single_search_finished"]] = "single_search_finished"
    result: WebhookSearchResult | None = None


@attrs.frozen
class VerificationFinished(JobFinished):
    """``verification_finished``: a single email verification, sent flat."""

    event: ClassVar[Literal["verification_finished"]] = "verification_finished"
    email: str | None = None
    qualification: Qualification | None = None
    custom: Custom = attrs.field(default=None, hash=False)

    @property
    def valid(self) -> bool:
        return self.qualification is Qualification.VALID


@attrs.frozen
class SinglePhoneSearchFinished(JobFinished):
    """``single_phone_search_finished``; the wire nests the result twice, flattened here."""

    event: ClassVar[Literal["single_phone_search_finished"]] = "single_phone_search_finished"
    result: WebhookPhoneResult | None = None


@attrs.frozen
class BulkSearchFinished(JobFinished):
    """``bulk_search_finished``: read the results with ``GET /email/find/bulk``."""

    event: ClassVar[Literal["bulk_search_finished"]] = "bulk_search_finished"
    is_bulk: ClassVar[bool] = True


@attrs.frozen
class BulkVerificationFinished(JobFinished):
    """``bulk_verification_finished``: read the results with ``GET /email/verify/bulk``."""

    event: ClassVar[Literal["bulk_verification_finished"]] = "bulk_verification_finished"
    is_bulk: ClassVar[bool] = True


@attrs.frozen
class BulkPhoneSearchFinished(JobFinished):
    """``bulk_phone_search_finished``: read the results with ``GET /phone/bulk``."""

    event: ClassVar[Literal["bulk_phone_search_finished"]] = "bulk_phone_search_finished"
    is_bulk: ClassVar[bool] = True


WebhookEvent = (
    SingleSearchFinished
    | VerificationFinished
    | SinglePhoneSearchFinished
    | BulkSearchFinished
    | BulkVerificationFinished
    | BulkPhoneSearchFinished
)
"""Any documented webhook event; tell them apart with ``isinstance`` or ``.event``."""
