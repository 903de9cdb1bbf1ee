"""``GET /account/info``."""

from __future__ import annotations

from typing import Any

import attrs

__all__ = ["AccountInfo"]


@attrs.frozen
class AccountInfo:
    """The credit balance and the webhooks set in the dashboard."""

    credits: float
    webhooks: tuple[Any, ...] = ()
