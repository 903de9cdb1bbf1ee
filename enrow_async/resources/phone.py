"""``client.phone``: the phone finder, bulk and single."""

from __future__ import annotations

from collections.abc import Iterable

from .._core.jobs import PHONE_BULK, PHONE_SINGLE
from .._io.jobs import JobRunner
from ..models import (
    BulkJob,
    BulkPhoneResults,
    Custom,
    PhoneResult,
    PhoneSearch,
    PhoneSearchDict,
    SingleJob,
)
from .base import BulkJobs, SingleJobs

__all__ = ["PhoneBulk", "PhoneResource", "PhoneSingle"]


class PhoneBulk(BulkJobs[BulkPhoneResults]):
    """Bulk phone searches: 1 to 5,000 people (the newest Enrow pages say 3,000)."""

    async def start(
        self,
        searches: Iterable[PhoneSearch | PhoneSearchDict],
        *,
        custom: Custom = None,
        webhook: str | None = None,
    ) -> BulkJob:
        """Start a phone bulk. Each search needs ``linkedin_url``, or ``firstname`` +
        ``lastname`` + a company domain or name. Checked before anything is sent; never
        resent if the outcome is unknown."""
        return await self._runner.start(
            self._spec, BulkJob, searches, custom=custom, webhook=webhook
        )


class PhoneSingle(SingleJobs[PhoneResult]):
    """Single phone searches: one person."""

    async def start(
        self, search: PhoneSearch | PhoneSearchDict, *, webhook: str | None = None
    ) -> SingleJob:
        """Start one search, as one item of ``bulk.start``: ``linkedin_url``, or
        ``firstname`` + ``lastname`` + a company domain or name."""
        return await self._runner.start(self._spec, SingleJob, search, webhook=webhook)


class PhoneResource:
    """``client.phone``: ``bulk`` and ``single`` phone searches."""

    def __init__(self, runner: JobRunner) -> None:
        self.bulk: PhoneBulk = PhoneBulk(runner, PHONE_BULK)
        self.single: PhoneSingle = PhoneSingle(runner, PHONE_SINGLE)
