"""``client.email``: the email finder, bulk and single, and ``find`` for lists of any size."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import Any

import attrs

from .._core.collect import place_results
from .._core.jobs import EMAIL_BULK, EMAIL_SINGLE, MAX_BATCH
from .._core.requests import check_timeout, to_searches
from .._io.jobs import DEFAULT_TIMEOUT, JobRunner
from ..errors import FindEmailsTimeoutError, IncompleteResultsError
from ..lists import GapReason, ListJob, ListKind, ListReport, Record
from ..models import (
    BulkJob,
    BulkResults,
    Custom,
    EmailResult,
    EmailSearch,
    EmailSearchDict,
    JobProgress,
    SingleEmailResult,
    SingleJob,
    StartedBatch,
    search_identity,
)
from .base import BulkJobs, SingleJobs

__all__ = [
    "EmailBulk",
    "EmailResource",
    "EmailSingle",
    "JobProgressCallback",
    "StartedCallback",
]

JobProgressCallback = Callable[[JobProgress], object]
"""``find_emails``' ``on_progress``: a plain function or a coroutine function taking a
JobProgress; what it returns is ignored (an awaitable is awaited)."""

StartedCallback = Callable[[StartedBatch], object]
"""``find_emails``' ``on_started``: the same, taking each StartedBatch as its POST succeeds;
an exception it raises ends the call at once (no more starts, no wait)."""


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
        search: EmailSearch | EmailSearchDict,
        *,
        webhook: str | None = None,
        country_code: str | None = None,
        retrieve_gender: bool = False,
    ) -> SingleJob:
        """Start one search, as one item of ``bulk.start``: ``fullname`` and a company
        domain and/or name (its ``custom`` comes back with the result)."""
        return await self._runner.start(
            self._spec,
            SingleJob,
            search,
            webhook=webhook,
            country_code=country_code,
            retrieve_gender=retrieve_gender,
        )


class EmailResource:
    """``client.email``: ``bulk`` and ``single`` jobs, ``list_job`` and ``find`` for whole
    lists."""

    def __init__(self, runner: JobRunner) -> None:
        self._runner = runner
        self.bulk: EmailBulk = EmailBulk(runner, EMAIL_BULK)
        self.single: EmailSingle = EmailSingle(runner, EMAIL_SINGLE)

    def list_job(
        self,
        searches: Iterable[EmailSearch | EmailSearchDict],
        *,
        record: Record | None = None,
        resend_unknown: bool = False,
        resume: Iterable[StartedBatch] = (),
        custom: Custom = None,
        country_code: str | None = None,
        retrieve_gender: bool = False,
        batch_size: int = MAX_BATCH,
    ) -> ListJob[EmailSearch, EmailResult, BulkResults]:
        """A [ListJob][enrow_async.ListJob] over any number of searches, checked before
        anything is sent: ``await job.estimate()``, then ``await job.run(...)``.

        Identical searches ([search_identity][enrow_async.search_identity]) are sent, and
        paid for, once; each copy gets the result with its own ``index`` (its input
        position) and ``custom``. ``record`` keeps every start (see
        [Record][enrow_async.Record]): a job over a record that already holds started
        batches waits for them instead of paying again, even for an edited list. A batch
        whose start got no answer is not sent again unless ``resend_unknown``.
        """
        checked = to_searches(searches)
        if not 1 <= batch_size <= MAX_BATCH:
            raise ValueError(f"batch_size must be between 1 and {MAX_BATCH}, got {batch_size}")
        runner = self._runner
        options: dict[str, Any] = {"custom": custom, "country_code": country_code}
        options["retrieve_gender"] = retrieve_gender
        if checked:  # the options, checked before anything is sent
            runner.body(EMAIL_BULK, checked[:1], **options)

        async def start(items: Sequence[EmailSearch]) -> BulkJob:
            return await runner.start(EMAIL_BULK, BulkJob, items, **options)

        kind = ListKind(
            noun="search",
            cost=EMAIL_BULK.price,
            identity=search_identity,
            start=start,
            wait_many=self.bulk.wait_many,
            place=lambda batch, items: place_results(batch.results, len(items)),
            relabel=_relabel,
            settled=_settled,
            balance=runner.balance,
        )
        return ListJob(
            kind,
            checked,
            batch_size=batch_size,
            settings=f"{country_code}|{retrieve_gender}",
            record=record,
            resend_unknown=resend_unknown,
            resume=resume,
        )

    async def find(
        self,
        searches: Iterable[EmailSearch | EmailSearchDict],
        *,
        timeout: float | None = DEFAULT_TIMEOUT,
        on_progress: JobProgressCallback | None = None,
        on_started: StartedCallback | None = None,
        resume: Iterable[StartedBatch] = (),
        record: Record | None = None,
        retry_failed: bool = False,
        max_credits: float | None = None,
        custom: Custom = None,
        country_code: str | None = None,
        retrieve_gender: bool = False,
        batch_size: int = MAX_BATCH,
    ) -> list[EmailResult]:
        """Find emails for any number of searches: one EmailResult per search, in input order.

        The whole list is held in memory; for lists too large for that, or to stream the
        results out as each batch finishes, drive ``client.email.list_job`` yourself.
        Identical searches are sent, and paid for, once; each copy gets the result with its
        own ``index`` and ``custom``. The distinct searches go in batches
        of at most ``batch_size``, started one by one under the POST rate limit and waited
        for on the shared poller. ``on_progress`` receives combined JobProgress
        snapshots. ``on_started`` (sync or async) gets each StartedBatch as soon as its
        POST succeeds: save it, and after a crash pass the saved batches as ``resume``
        with the same searches and options (or keep a ``record``): those are waited for,
        only the others are started. ``retry_failed`` sends once more, in new batches, the
        searches whose batch failed or came back without them. ``max_credits`` caps the
        credits reserved (SpendingRefusedError before any POST).

        If a start fails before any batch started (or was resumed), that error is raised as
        is. Otherwise nothing paid for is dropped: a failed start stops the starting, the
        started batches are still waited for, and any shortfall raises
        IncompleteResultsError (FindEmailsTimeoutError at the deadline) with the results by
        input position, the started batches and the error that stopped the run.
        """
        seconds = check_timeout(timeout)
        if on_started is not None and not callable(on_started):
            raise TypeError("on_started must be callable")
        job = self.list_job(
            searches,
            record=record,
            resume=resume,
            custom=custom,
            country_code=country_code,
            retrieve_gender=retrieve_gender,
            batch_size=batch_size,
        )
        results: list[EmailResult | None] = [None] * len(job.items)
        if not results:
            return []

        def keep(finished: Any) -> None:
            for position, result in finished.results:
                results[position] = result

        report = await job.run(
            timeout=seconds,
            max_credits=max_credits,
            on_batch=keep,
            on_progress=on_progress,
            on_started=on_started,
            retry_failed=retry_failed,
        )
        if report.complete:
            return results  # type: ignore[return-value]
        raise _incomplete(report, results)


def _relabel(result: EmailResult, position: int, search: EmailSearch) -> EmailResult:
    if result.index == position and result.custom == search.custom:
        return result
    return attrs.evolve(result, index=position, custom=search.custom)


def _settled(batch: BulkResults) -> tuple[float, float] | None:
    cost = batch.stats.credits_cost
    return None if cost is None else (cost.refunded, cost.final)


def _incomplete(report: ListReport, results: list[EmailResult | None]) -> IncompleteResultsError:
    """The error that says what is missing, with everything that arrived."""
    failed = {
        batch_id: detail
        for gap in report.gaps
        if (batch_id := gap.batch_id) is not None
        and gap.reason in (GapReason.FAILED, GapReason.ERROR)
        for detail in [gap.detail if gap.reason is GapReason.ERROR else "batch failed"]
    }
    fields: dict[str, Any] = {
        "results": results,
        "missing": report.missing,
        "failed": failed,
        "started": list(report.batches),
        "unstarted": report.positions(GapReason.UNSENT),
        "uncertain": report.positions(GapReason.UNKNOWN),
        "stopped_by": report.stopped_by,
    }
    timed_out = report.timed_out
    if timed_out is not None:
        error: IncompleteResultsError = FindEmailsTimeoutError(
            timed_out.timeout, timed_out.pending, timed_out.errors, **fields
        )
    else:
        error = IncompleteResultsError(**fields)
    error.add_note(_started_note(report.batches))
    if report.stopped_by is not None:
        error.__cause__ = report.stopped_by
    return error


def _started_note(batches: Sequence[StartedBatch]) -> str:
    ids = ", ".join(batch.id for batch in batches)
    return (
        f"batches already started (and paid for): {ids}; wait for them (resume=error.started,"
        " or keep a record=), do not start them again; retry_failed=True sends again only"
        " the searches of batches that failed"
    )
