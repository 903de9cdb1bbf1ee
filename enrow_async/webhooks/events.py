"""Typed webhook events and a pure parser for the bodies Enrow POSTs to a webhook URL.

>>> event = parse_webhook(b'{"event": "bulk_search_finished", "id": "b1", "credits": {"cost": 3}}')
>>> event.id, event.is_bulk, event.credits.cost
('b1', True, 3)

A webhook is a hint that a job finished, never the source of truth for bulk results:
read those with the GET endpoint. Shapes are read leniently (unknown keys are ignored,
missing optional fields are ``None``) but a field of the wrong type is an error.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, ClassVar, Final, Literal, TypeVar

import attrs
import orjson
from cattrs.gen import make_dict_structure_fn, override

from .._core.convert import converter, structure
from ..errors import ResponseError, WebhookPayloadError
from ..models import ContactInfo, Custom, Qualification

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
    "parse_webhook",
]


@attrs.frozen
class WebhookCredits:
    """Credits of the finished job: ``cost`` (may be fractional); ``balance`` on old payloads."""

    cost: float | None = None
    balance: float | None = None


@attrs.frozen
class WebhookSearchResult:
    """The outcome of a single email search; ``info.domain`` holds the wire's company_domain."""

    email: str | None = None
    qualification: Qualification | None = None
    info: ContactInfo | None = None
    custom: Custom = None

    @property
    def found(self) -> bool:
        return self.qualification is Qualification.VALID


@attrs.frozen
class WebhookPhoneResult:
    """The outcome of a single phone search; ``qualification`` is ``found`` or ``not_found``."""

    number: str | None = None
    qualification: str | None = None
    country: str | None = None
    params: Mapping[str, Any] = attrs.field(factory=dict)
    custom: Custom = None

    @property
    def found(self) -> bool:
        return self.qualification == "found"


@attrs.frozen
class SingleSearchFinished:
    """``single_search_finished``; ``result`` is ``None`` on payloads before March 2024."""

    event: ClassVar[Literal["single_search_finished"]] = "single_search_finished"
    is_bulk: ClassVar[bool] = False
    id: str
    credits: WebhookCredits | None = None
    result: WebhookSearchResult | None = None


@attrs.frozen
class VerificationFinished:
    """``verification_finished``: a single email verification, sent flat."""

    event: ClassVar[Literal["verification_finished"]] = "verification_finished"
    is_bulk: ClassVar[bool] = False
    id: str
    email: str | None = None
    qualification: Qualification | None = None
    custom: Custom = None
    credits: WebhookCredits | None = None

    @property
    def valid(self) -> bool:
        return self.qualification is Qualification.VALID


@attrs.frozen
class SinglePhoneSearchFinished:
    """``single_phone_search_finished``; the wire nests the result twice, flattened here."""

    event: ClassVar[Literal["single_phone_search_finished"]] = "single_phone_search_finished"
    is_bulk: ClassVar[bool] = False
    id: str
    credits: WebhookCredits | None = None
    result: WebhookPhoneResult | None = None


@attrs.frozen
class BulkSearchFinished:
    """``bulk_search_finished``: read the results with ``GET /email/find/bulk``."""

    event: ClassVar[Literal["bulk_search_finished"]] = "bulk_search_finished"
    is_bulk: ClassVar[bool] = True
    id: str
    credits: WebhookCredits | None = None


@attrs.frozen
class BulkVerificationFinished:
    """``bulk_verification_finished``: read the results with ``GET /email/verify/bulk``."""

    event: ClassVar[Literal["bulk_verification_finished"]] = "bulk_verification_finished"
    is_bulk: ClassVar[bool] = True
    id: str
    credits: WebhookCredits | None = None


@attrs.frozen
class BulkPhoneSearchFinished:
    """``bulk_phone_search_finished``: read the results with ``GET /phone/bulk``."""

    event: ClassVar[Literal["bulk_phone_search_finished"]] = "bulk_phone_search_finished"
    is_bulk: ClassVar[bool] = True
    id: str
    credits: WebhookCredits | None = None


WebhookEvent = (
    SingleSearchFinished
    | VerificationFinished
    | SinglePhoneSearchFinished
    | BulkSearchFinished
    | BulkVerificationFinished
    | BulkPhoneSearchFinished
)
"""Any documented webhook event; tell them apart with ``isinstance`` or ``.event``."""

_EVENTS: Final[dict[str, type[WebhookEvent]]] = {
    cls.event: cls
    for cls in (
        SingleSearchFinished,
        VerificationFinished,
        SinglePhoneSearchFinished,
        BulkSearchFinished,
        BulkVerificationFinished,
        BulkPhoneSearchFinished,
    )
}

T = TypeVar("T")


def _object_hook(cls: type[T], **overrides: Any) -> Callable[[Any, object], T]:
    """A structure hook that refuses non-objects (cattrs would read ``[1]`` as all defaults)."""
    make = make_dict_structure_fn(cls, converter, **overrides)

    def hook(value: Any, _: object) -> T:
        if type(value) is not dict:
            raise ValueError(f"expected an object, got {type(value).__name__}")
        return make(value, cls)

    return hook


def _contact_info(value: Any, _: object) -> ContactInfo | None:
    if value is None:
        return None
    if type(value) is not dict:
        raise ValueError(f"expected an object, got {type(value).__name__}")
    return converter.structure(value, ContactInfo)


# single_phone_search_finished nests {"event", "id", "result": {...}} inside "result";
# a result sent only once nested is accepted too.
_phone_plain = _object_hook(WebhookPhoneResult)


def _phone_plain_or_none(value: Any, _: object) -> WebhookPhoneResult | None:
    return None if value is None else _phone_plain(value, WebhookPhoneResult)


@attrs.frozen
class _PhoneEnvelope:
    result: WebhookPhoneResult | None = None


_phone_envelope = _object_hook(_PhoneEnvelope, result=override(struct_hook=_phone_plain_or_none))


def _phone_result(value: Any, _: object) -> WebhookPhoneResult | None:
    if type(value) is dict and "result" in value:
        return _phone_envelope(value, _PhoneEnvelope).result
    return _phone_plain_or_none(value, WebhookPhoneResult)


converter.register_structure_hook(WebhookCredits, _object_hook(WebhookCredits))
converter.register_structure_hook(
    WebhookSearchResult,
    _object_hook(WebhookSearchResult, info=override(struct_hook=_contact_info)),
)
converter.register_structure_hook(
    SinglePhoneSearchFinished,
    _object_hook(SinglePhoneSearchFinished, result=override(struct_hook=_phone_result)),
)


def _error(message: str, body: bytes, path: str | None = None) -> WebhookPayloadError:
    return WebhookPayloadError(f"invalid webhook payload: {message}", body=body, path=path)


def parse_webhook(body: bytes) -> WebhookEvent:
    """Decode one webhook body into its event, or raise WebhookPayloadError saying why."""
    try:
        data = orjson.loads(body)
    except orjson.JSONDecodeError as exc:
        raise _error(f"not JSON ({exc})", body) from None
    if type(data) is not dict:
        raise _error(f"expected a JSON object, got {type(data).__name__}", body)
    name = data.get("event")
    if name is None:
        raise _error("missing 'event'", body, "$.event")
    cls = _EVENTS.get(name) if type(name) is str else None
    if cls is None:
        known = ", ".join(sorted(_EVENTS))
        raise _error(f"unknown event {name!r:.60} (expected one of {known})", body, "$.event")
    event_id = data.get("id")
    if event_id is None:
        raise _error(f"missing 'id' in {name}", body, "$.id")
    if type(event_id) is not str or not event_id:
        raise _error(f"'id' must be a non-empty string, got {event_id!r:.60}", body, "$.id")
    try:
        return structure(data, cls, body=body)
    except ResponseError as exc:
        detail = str(exc).removeprefix(f"malformed {cls.__name__}: ")
        raise _error(f"{name}: {detail}", body, exc.path) from exc
