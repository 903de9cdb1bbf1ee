"""``client.email``: the email finder, bulk and single, and ``find`` for lists of any size."""

from __future__ import annotations

import inspect
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

import anyio
import attrs

from .._core.collect import Collector
from .._core.jobs import EMAIL_BULK, EMAIL_SINGLE, MAX_BATCH
from .._core.plan import FindPlan
from .._core.requests import check_timeout, to_searches
from .._io.jobs import DEFAULT_TIMEOUT, JobRunner
from .._io.waiting import JobProgressCallback, StartedCallback
from ..errors import (
    BatchErrors,
    BatchTimeoutError,
    EnrowError,
    FindEmailsTimeoutError,
    IncompleteResultsError,
    OutcomeUnknownError,
)
from ..models import (
    BulkJob,
    BulkResults,
    Custom,
    EmailResult,
    EmailSearch,
    EmailSearchDict,
    Progress,
    SingleEmailResult,
    SingleJob,
    StartedBatch,
)
from .base import BulkJobs, SingleJobs

__all__ = ["EmailBulk", "EmailResource", "EmailSingle"]


class EmailBulk(BulkJobs[BulkResults]):
    """Bulk email searches: batches of 1 to 5,000 people."""

    async def start(
        self,
        searches: Iterable[EmailSearch | EmailSearchDict],
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
        searches: Iterable[EmailSearch | EmailSearchDict],
        *,
        timeout: float | None = DEFAULT_TIMEOUT,
        on_progress: JobProgressCallback | None = None,
        on_started: StartedCallback | None = None,
        resume: Iterable[StartedBatch] = (),
        custom: Custom = None,
        country_code: str | None = None,
        retrieve_gender: bool = False,
        batch_size: int = MAX_BATCH,
    ) -> list[EmailResult]:
        """Find emails for any number of searches: one EmailResult per search, in input order.

        Identical searches (``search_identity``) are sent, and paid for, once; each copy gets
        the result with its own ``index`` and ``custom``. The distinct searches go in
        batches of at most ``batch_size``, started one by one under the POST rate limit and
        waited for on the shared scheduler. ``on_progress`` receives combined JobProgress
        snapshots (``duplicates``: searches not sent). ``on_started`` (sync or async) gets
        each StartedBatch as soon as its POST succeeds, before any wait: save it, and after
        a crash pass the saved batches as ``resume`` with the same searches and options:
        those are waited for, only the others are started.

        If a start fails before any batch started (or was resumed), that error is raised as
        is. Otherwise nothing paid for is dropped: a failed start stops the starting, the
        started batches are still waited for, and any shortfall raises
        IncompleteResultsError (FindEmailsTimeoutError at the deadline) with the results by
        input position, the started batches and the error that stopped the run.
        """
        checked = to_searches(searches)
        seconds = check_timeout(timeout)
        if not 1 <= batch_size <= MAX_BATCH:
            raise ValueError(f"batch_size must be between 1 and {MAX_BATCH}, got {batch_size}")
        if on_started is not None and not callable(on_started):
            raise TypeError("on_started must be callable")
        plan = FindPlan(checked, batch_size, f"{country_code}|{retrieve_gender}")
        started = plan.resumed(resume)
        if not checked:
            return []
        options = {"custom": custom, "country_code": country_code}
        bodies = {
            batch.number: self._runner.body(
                EMAIL_BULK, batch.searches, retrieve_gender=retrieve_gender, **options
            )
            for batch in plan.batches
            if batch.number not in started
        }
        stopped_by: EnrowError | None = None
        uncertain: tuple[int, ...] = ()
        for number, body in bodies.items():
            try:
                job = await self._runner.send_body(EMAIL_BULK, body, BulkJob)
            except EnrowError as exc:
                if not started:
                    raise
                stopped_by = exc
                if isinstance(exc, OutcomeUnknownError):  # it may exist, and be paid for
                    uncertain = plan.batches[number].positions
                break
            planned = plan.batches[number]
            batch = StartedBatch(
                job.id,
                number,
                planned.key,
                planned.positions,
                job.credits_used,
                job.estimated_duration,
            )
            started[number] = batch
            if on_started is not None:
                await _call(on_started, batch)
        return await self._collect(plan, started, seconds, on_progress, stopped_by, uncertain)

    async def _collect(
        self,
        plan: FindPlan,
        started: Mapping[int, StartedBatch],
        timeout: float | None,
        on_progress: JobProgressCallback | None,
        stopped_by: EnrowError | None,
        uncertain: Sequence[int],
    ) -> list[EmailResult]:
        """Wait for the ``started`` batches; their results by input position, or the error
        that says what is missing."""
        batches = [started[number] for number in sorted(started)]
        planned = [plan.batches[batch.number] for batch in batches]
        collector = Collector(
            [BulkJob(batch.id) for batch in batches],
            [len(batch.searches) for batch in planned],
            anyio.current_time(),
        )
        relay = None
        if on_progress is not None:
            callback = on_progress

            async def relay(progress: Progress) -> None:
                combined = collector.combined(progress, anyio.current_time())
                await _call(callback, attrs.evolve(combined, duplicates=plan.duplicates))

        stream = self.bulk.wait_many(
            [batch.id for batch in batches],
            timeout=timeout,
            on_progress=relay,
            estimated_durations={
                batch.id: batch.estimated_duration
                for batch in batches
                if batch.estimated_duration is not None
            },
        )
        doubt = set(uncertain)
        unstarted = [
            p
            for batch in plan.batches
            if batch.number not in started
            for p in batch.positions
            if p not in doubt
        ]
        async with stream:
            try:
                try:
                    async for result in stream:
                        collector.add(result)
                except BatchErrors as errors:
                    collector.add_errors(errors)
            except BatchTimeoutError as exc:
                results = plan.results(planned, collector.results)
                timed_out = FindEmailsTimeoutError(
                    exc.timeout,
                    exc.pending,
                    exc.errors,
                    results=results,
                    missing=_missing(results),
                    failed=collector.failed,
                    started=batches,
                    unstarted=unstarted,
                    uncertain=uncertain,
                    stopped_by=stopped_by,
                )
                timed_out.add_note(_started_note(batches))
                raise timed_out from stopped_by
            except EnrowError as exc:  # authentication, connection: the wait cannot go on
                stopped_by = exc
        results = plan.results(planned, collector.results)
        missing = _missing(results)
        if missing or collector.failed or stopped_by is not None:
            error = IncompleteResultsError(
                results,
                missing,
                collector.failed,
                started=batches,
                unstarted=unstarted,
                uncertain=uncertain,
                stopped_by=stopped_by,
            )
            error.add_note(_started_note(batches))
            raise error from stopped_by
        return results  # type: ignore[return-value]


async def _call(callback: Callable[[Any], object], value: object) -> None:
    outcome = callback(value)
    if inspect.isawaitable(outcome):
        await outcome


def _missing(results: Sequence[EmailResult | None]) -> list[int]:
    return [position for position, result in enumerate(results) if result is None]


def _started_note(batches: Sequence[StartedBatch]) -> str:
    ids = ", ".join(batch.id for batch in batches)
    return (
        f"batches already started (and paid for): {ids}; wait for them (resume=error.started),"
        " do not start them again"
    )
