"""A pure parser for the bodies Enrow POSTs to a webhook URL (the events: ``models.webhooks``).

>>> event = parse_webhook(b'{"event": "bulk_search_finished", "id": "b1", "credits": {"cost": 3}}')
>>> event.id, event.is_bulk, event.credits.cost
('b1', True, 3)

Shapes are read leniently (unknown keys are ignored, missing optional fields are ``None``)
but a field of the wrong type is an error.
"""

from __future__ import annotations

from typing import Final, get_args

import orjson

from .._core.convert import structure
from ..errors import ResponseError, WebhookPayloadError
from ..models import WebhookEvent

__all__ = ["parse_webhook"]

_EVENTS: Final[dict[str, type[WebhookEvent]]] = {cls.event: cls for cls in get_args(WebhookEvent)}


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
