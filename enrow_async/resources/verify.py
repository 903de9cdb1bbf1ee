"""``client.verify``: the email verifier, bulk and single."""

from __future__ import annotations

from collections.abc import Iterable

from .._core.jobs import VERIFY_BULK, VERIFY_SINGLE
from .._io.jobs import JobRunner
from ..models import (
    BulkJob,
    BulkVerification,
    Custom,
    EmailVerification,
    SingleJob,
    VerificationItemDict,
)
from .base import BulkJobs, SingleJobs

__all__ = ["VerifyBulk", "VerifyResource", "VerifySingle"]


class VerifyBulk(BulkJobs[BulkVerification]):
    """Bulk verifications: 1 to 5,000 addresses."""

    async def start(
        self,
        emails: Iterable[str | VerificationItemDict],
        *,
        custom: Custom = None,
        webhook: str | None = None,
    ) -> BulkJob:
        """Start verifying addresses (strings or ``{"email", "custom"}`` mappings). Checked
        before anything is sent; never resent if the outcome is unknown."""
        return await self._runner.start(self._spec, BulkJob, emails, custom=custom, webhook=webhook)


class VerifySingle(SingleJobs[EmailVerification]):
    """Single verifications: one address."""

    async def start(
        self, email: str, *, custom: Custom = None, webhook: str | None = None
    ) -> SingleJob:
        """Start verifying one address."""
        return await self._runner.start(
            self._spec, SingleJob, email, custom=custom, webhook=webhook
        )


class VerifyResource:
    """``client.verify``: ``bulk`` and ``single`` verifications."""

    def __init__(self, runner: JobRunner) -> None:
        self.bulk = VerifyBulk(runner, VERIFY_BULK)
        self.single = VerifySingle(runner, VERIFY_SINGLE)
