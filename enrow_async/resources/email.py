"""``client.email``: the email finder, bulk and single, and ``find`` for lists of any size."""

from __future__ import annotations

import inspect
from collections.abc import Iterable, Mapping
from typing import Any

import anyio

from .._core.collect import Collector
from .._core.jobs import EMAIL_BULK, EMAIL_SINGLE, MAX_BATCH
from .._core.requests import check_timeout, chunk, to_searches
from .._io.jobs import DEFAULT_TIMEOUT, JobRunner
from .._io.waiting import JobProgressCallback
from ..errors import BatchErrors, EnrowError
from ..models import (
    BulkJob,
    BulkResults,
    Custom,
    EmailResult,
    EmailSearch,
    Progress,
    SingleEmailResult,
    SingleJob,
)
from .base import BulkJobs, SingleJobs

__all__ = ["EmailBulk", "EmailResource", "EmailSingle"]


class EmailBulk(BulkJobs[BulkResults]):
    """Bulk email searches: batches of 1 to 5,000 people."""

    async def start(
        self,
        searches: Iterable[EmailSearch | Mapping[str, Any]],
        *,
        custom: Custom = None,
        webhook: str | None = None,
        country_code: str | None = None,
        retrieve_gender: bool = False,
    ) -> BulkJob:
        """Start one batch of 1 to 5,000 searches (each needs ``fullname`` and a company
        domain or name). Checked before anything is sent; never resent if the outcome is
        unknown (OutcomeUnknownError)."""
        return await self._runner.start(
            self._spec,
            BulkJob,
            to_searches(searches),
            custom=custom,
            webhook=webhook,
            country_code=country_code,
            retrieve_gender=retrieve_gender,
        )


class EmailSingle(SingleJobs[SingleEmailResult]):
    """Single email searches: one person at a time."""

    async def start(
        self,
        fullname: str,
        *,
        company_domain: str | None = None,
        company_name: str | None = None,
        custom: Custom = None,
        webhook: str | None = None,
        country_code: str | None = None,
        retrieve_gender: bool = False,
    ) -> SingleJob:
        """Start one search: a full name and a company domain and/or name."""
        search: dict[str, Any] = {"fullname": fullname, "company_domain": company_domain}
        search |= {"company_name": company_name, "custom": custom}
        return await self._runner.start(
            self._spec,
            SingleJob,
            search,
            webhook=webhook,
            country_code=country_code,
            retrieve_gender=retrieve_gender,
        )


class EmailResource:
    """``client.email``: ``bulk`` and ``single`` jobs, and ``find`` for whole lists."""

    def __init__(self, runner: JobRunner) -> None:
        self._runner = runner
        self.bulk = EmailBulk(runner, EMAIL_BULK)
        self.single = EmailSingle(runner, EMAIL_SINGLE)

    async def find(
        self,
        searches: Iterable[EmailSearch | Mapping[str, Any]],
        *,
        timeout: float | None = DEFAULT_TIMEOUT,
        on_progress: JobProgressCallback | None = None,
        custom: Custom = None,
        country_code: str | None = None,
        retrieve_gender: bool = False,
        batch_size: int = MAX_BATCH,
    ) -> list[EmailResult]:
        """Find emails for any number of searches: one EmailResult per search, in input order.

        Splits into batches of at most ``batch_size``, starts them under the POST rate limit,
        and waits for all of them on the shared scheduler. ``on_progress`` receives combined
        JobProgress snapshots. If any batch fails, IncompleteResultsError says which searches
        have no result and keeps the others.
        """
        checked = to_searches(searches)
        seconds = check_timeout(timeout)
        if not 1 <= batch_size <= MAX_BATCH:
            raise ValueError(f"batch_size must be between 1 and {MAX_BATCH}, got {batch_size}")
        if not checked:
            return []
        parts = chunk(checked, batch_size)
        options = {"custom": custom, "country_code": country_code}
        bodies = [
            self._runner.body(EMAIL_BULK, part, retrieve_gender=retrieve_gender, **options)
            for part in parts
        ]
        jobs: list[BulkJob] = []
        for body in bodies:
            try:
                jobs.append(await self._runner.send_body(EMAIL_BULK, body, BulkJob))
            except EnrowError as exc:
                if jobs:
                    exc.add_note(_started_note(jobs))
                raise
        collector = Collector(jobs, [len(part) for part in parts], anyio.current_time())
        relay = None
        if on_progress is not None:
            callback = on_progress

            async def relay(progress: Progress) -> None:
                outcome = callback(collector.combined(progress, anyio.current_time()))
                if inspect.isawaitable(outcome):
                    await outcome

        stream = self.bulk.wait_many(
            [job.id for job in jobs],
            timeout=seconds,
            on_progress=relay,
            estimated_durations={
                job.id: job.estimated_duration for job in jobs if job.estimated_duration is not None
            },
        )
        async with stream:
            try:
                try:
                    async for batch in stream:
                        collector.add(batch)
                except BatchErrors as errors:
                    collector.add_errors(errors)
                return collector.finish()
            except EnrowError as exc:
                exc.add_note(_started_note(jobs))
                raise


def _started_note(jobs: list[BulkJob]) -> str:
    ids = ", ".join(job.id for job in jobs)
    return f"batches already started (and paid for): {ids}; wait for them, do not start them again"
