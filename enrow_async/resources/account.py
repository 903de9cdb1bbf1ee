"""``client.account``: the credit balance and the webhooks set in the dashboard."""

from __future__ import annotations

from .._io.jobs import JobRunner
from ..models import AccountInfo

__all__ = ["AccountResource"]


class AccountResource:
    """``client.account``."""

    def __init__(self, runner: JobRunner) -> None:
        self._runner = runner

    async def info(self) -> AccountInfo:
        """``GET /account/info``: the credit balance and the configured webhooks."""
        return await self._runner.account(AccountInfo)
