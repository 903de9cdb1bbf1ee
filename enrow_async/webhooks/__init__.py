"""Webhooks: typed events, [parse_webhook][enrow_async.parse_webhook], and the
[WebhookReceiver][enrow_async.WebhookReceiver] server.

``WebhookReceiver`` loads aiohttp's web server, so it is imported on first use only.
"""

from typing import TYPE_CHECKING

from ..models import (
    BulkPhoneSearchFinished,
    BulkSearchFinished,
    BulkVerificationFinished,
    SinglePhoneSearchFinished,
    SingleSearchFinished,
    VerificationFinished,
    WebhookCredits,
    WebhookEvent,
    WebhookPhoneResult,
    WebhookSearchResult,
)
from .events import parse_webhook

if TYPE_CHECKING:
    from .receiver import WebhookCallback, WebhookReceiver


def __getattr__(name: str) -> object:
    if name in ("WebhookCallback", "WebhookReceiver"):
        from . import receiver

        return getattr(receiver, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = [
    "BulkPhoneSearchFinished",
    "BulkSearchFinished",
    "BulkVerificationFinished",
    "SinglePhoneSearchFinished",
    "SingleSearchFinished",
    "VerificationFinished",
    "WebhookCallback",
    "WebhookCredits",
    "WebhookEvent",
    "WebhookPhoneResult",
    "WebhookReceiver",
    "WebhookSearchResult",
    "parse_webhook",
]
