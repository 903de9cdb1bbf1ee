"""The lead-list engine: a list of searches (or addresses) in, results by input position
out, each distinct item paid for once, whatever way the run ends.

A [ListJob][enrow_async.ListJob] plans (``estimate``: distinct items, duplicates, the
started batches a record already holds, batches and credits to reserve, the balance),
guards (a credit cap, the balance, an optional confirmation: a refusal is raised before
any POST), records every start before and after its POST (so a start without an answer
is known as uncertain, never re-sent unasked), waits on the client (a poll task per batch),
hands each finished batch's results over by input position, and reports exact figures.
Every front-end (``find_emails``, the CLI, the DataFrame helpers) drives this one engine.
"""

from __future__ import annotations

import functools
import time
from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence
from typing import Any, Generic, TypeVar

import anyio
import attrs

from .._core.plan import ListPlan, PlannedBatch
from .._io.waiting import BatchStream
from .._io.waiting import call as _call
from ..errors import (
    BatchTimeoutError,
    EnrowError,
    OutcomeUnknownError,
    SpendingRefusedError,
)
from ..models import (
    BatchRecord,
    BatchStatus,
    BulkJob,
    JobProgress,
    RecordState,
    StartedBatch,
)
from ..models.common import BulkBase
from .record import MemoryRecord, Record
from .report import (
    BatchMatch,
    Estimate,
    FinishedBatch,
    Gap,
    GapReason,
    ListReport,
)
from .waiting import wait_batches
from .words import credits_text

__all__ = ["ListJob", "ListKind"]

T = TypeVar("T")
R = TypeVar("R")
B = TypeVar("B", bound=BulkBase[Any, Any])

Shield = Callable[[Callable[[], Awaitable[None]]], Awaitable[None]]
"""Runs one start (its record writes and its POST) so that a cancellation does not cut it
between the POST and the record of its answer."""


@attrs.frozen
class ListKind(Generic[T, R, B]):
    """What differs between email searches and verifications: how items are told apart,
    started, waited for, placed back and priced. Built by ``client.email.list_job`` and
    ``client.verify.list_job``."""

    noun: str
    cost: float
    """Credits one item reserves when its batch starts."""
    identity: Callable[[T], Sequence[str]]
    start: Callable[[Sequence[T]], Awaitable[BulkJob]]
    wait_many: Callable[..., BatchStream[B, B]]
    place: Callable[[B, Sequence[T | None]], tuple[Mapping[int, R], str]]
    """A finished batch's results by index among the items it was sent, and what was
    wrong with the answer (``""``)."""
    relabel: Callable[[R, int, T], R]
    """A result given to the item at an input position (its index and ``custom``)."""
    settled: Callable[[B], tuple[float, float] | None]
    """Credits refunded and kept once the batch ended, if the answer says."""
    balance: Callable[[], Awaitable[float]]


async def _shielded(start: Callable[[], Awaitable[None]]) -> None:
    with anyio.CancelScope(shield=True):
        await start()


class ListJob(Generic[T, R, B]):
    """One list of searches (or addresses) to run, resumably: create it with
    ``client.email.list_job`` or ``client.verify.list_job``, then ``await estimate()``
    (nothing sent) and ``await run(...)``.

    ``record`` keeps every start (a [MemoryRecord][enrow_async.MemoryRecord] by
    default; a [JournalFile][enrow_async.JournalFile] or your own
    [Record][enrow_async.Record] to survive a crash): a later job over the same record
    waits for the batches already started instead of paying for them again, even if the
    list was edited in between. ``resume`` takes ``StartedBatch`` records saved from
    ``on_started`` (same items and options).
    """

    def __init__(
        self,
        kind: ListKind[T, R, B],
        items: Sequence[T],
        *,
        batch_size: int,
        settings: str,
        record: Record | None = None,
        resend_unknown: bool = False,
        resume: Iterable[StartedBatch] = (),
    ) -> None:
        self._kind = kind
        self._items = items
        self._size = batch_size
        self._settings = settings
        self.record: Record = record if record is not None else MemoryRecord()
        self._resend = resend_unknown
        self._resume = list(resume)
        self._plan: ListPlan[T] | None = None
        self._planned_from = 0
        """Entries of the record the plan was made from."""
        self._estimate: Estimate | None = None

    def _new_plan(self, records: Iterable[BatchRecord]) -> ListPlan[T]:
        return ListPlan(
            self._items,
            self._kind.identity,
            batch_size=self._size,
            settings=self._settings,
            records=records,
            resend_unknown=self._resend,
        )

    @property
    def items(self) -> Sequence[T]:
        """The list, as checked."""
        return self._items

    async def _planned(self) -> ListPlan[T]:
        if self._plan is None:
            records = list(await self.record.load())
            self._planned_from = len(records)
            if self._resume:
                records += self._resumed(self._new_plan(()))
            self._plan = self._new_plan(records)
        return self._plan

    def _resumed(self, fresh: ListPlan[T]) -> list[BatchRecord]:
        """``resume``'s StartedBatch records, checked against the list as first planned."""
        found: dict[int, BatchRecord] = {}
        for saved in self._resume:
            if not isinstance(saved, StartedBatch):
                raise TypeError(f"resume takes StartedBatch records, got {type(saved).__name__}")
            number = saved.number
            if not 0 <= number < len(fresh.batches) or fresh.batches[number].key != saved.key:
                raise ValueError(
                    f"saved batch {saved.id} (number {number}) is not a batch of these"
                    f" {self._kind.noun}es: resume with the same list, batch_size and options"
                )
            if number in found and found[number].batch_id != saved.id:
                raise ValueError(
                    f"two saved batches for number {number}: {found[number].batch_id}, {saved.id}"
                )
            found[number] = BatchRecord(
                RecordState.STARTED,
                number,
                saved.key,
                fresh.batches[number].digests,
                batch_id=saved.id,
                credits_used=saved.credits_used,
                estimated_duration=saved.estimated_duration,
            )
        return list(found.values())

    async def estimate(self) -> Estimate:
        """The plan and the account's balance; nothing is sent (a dry run)."""
        plan = await self._planned()
        to_send = sum(len(batch.items) for batch in plan.batches)
        balance = await self._kind.balance() if to_send else None

        def match(record: BatchRecord) -> BatchMatch:
            kept = plan.kept(record.number)
            return BatchMatch(record.number, record.batch_id, record.size, kept)

        self._estimate = Estimate(
            noun=self._kind.noun,
            rows=len(self._items),
            distinct=len(plan.distinct),
            duplicates=plan.duplicates,
            started=tuple(map(match, plan.started)),
            unused=tuple(map(match, plan.unused)),
            uncertain=sum(len(plan.positions(r.number)) for r in plan.uncertain),
            to_send=to_send,
            batches=len(plan.batches),
            credits=self._kind.cost * to_send,
            balance=balance,
        )
        return self._estimate

    async def run(
        self,
        *,
        timeout: float | None,
        max_credits: float | None = None,
        confirm: Callable[[Estimate], bool | Awaitable[bool]] | None = None,
        on_batch: Callable[[FinishedBatch[R]], object] | None = None,
        on_progress: Callable[[JobProgress], object] | None = None,
        on_started: Callable[[StartedBatch], object] | None = None,
        retry_failed: bool = False,
        shield: Shield = _shielded,
    ) -> ListReport:
        """Guard, start, wait; each finished batch goes to ``on_batch`` (sync or async) as
        it arrives, so nothing need be held. Returns the report, gaps and all.

        Refused with SpendingRefusedError, before any POST, when the credits to reserve
        exceed ``max_credits`` or the balance, or ``confirm(estimate)`` answers False. A
        start refused by the API is raised as is when nothing else started; otherwise the
        starting stops there, the started batches are waited for, and the report names it
        (``stopped_by``). With ``retry_failed``, the items of batches that failed or came
        back without them are sent once more, in new batches, under the same guard.
        ``timeout`` bounds the whole wait (seconds; ``None``: none).
        """
        if self._plan is not None and len(await self.record.load()) != self._planned_from:
            # Another run wrote to the record since the estimate (a list started twice, a
            # person slow to confirm): plan again, or its batches would be paid twice.
            self._plan = self._estimate = None
        plan = await self._planned()
        estimate = self._estimate or await self.estimate()
        self._estimate = None
        self._plan = None  # a later run plans again from the record
        self.check(estimate, max_credits=max_credits)
        if confirm is not None and estimate.to_send and not await _call(confirm, estimate):
            raise SpendingRefusedError(
                "not confirmed; nothing was sent", estimate.credits, "not_confirmed"
            )
        run = _Run(self._kind, plan, self.record, on_batch, on_started, shield)
        deadline = None if timeout is None else anyio.current_time() + timeout
        await run.start_all(plan.batches)
        await run.wait(run.waiting_for(plan.batches, plan.started), deadline, on_progress)
        if retry_failed and run.stopped_by is None:
            again = [b for number, idx in run.retryable() for b in plan.retry(number, idx)]
            if again:
                credits = self._kind.cost * sum(len(batch.items) for batch in again)
                cap = None if max_credits is None else max_credits - run.reserved_now
                try:
                    _guard(credits, await self._kind.balance(), cap)
                except SpendingRefusedError as refused:
                    run.stopped_by = refused
                else:
                    await run.start_all(again)
                    await run.wait(run.waiting_for(again), deadline, on_progress)
        return run.report()

    def check(self, estimate: Estimate, *, max_credits: float | None = None) -> None:
        """The guard ``run`` applies first: SpendingRefusedError when ``estimate``'s
        credits exceed ``max_credits`` or its balance (check before asking a person)."""
        _guard(estimate.credits, estimate.balance, max_credits)


def _guard(credits: float, balance: float | None, max_credits: float | None) -> None:
    if max_credits is not None and credits > max_credits:
        raise SpendingRefusedError(
            f"this run would reserve {credits_text(credits)} credit(s), above the cap of"
            f" {credits_text(max_credits)}; nothing was sent",
            credits,
            "cap",
        )
    if balance is not None and credits > balance:
        raise SpendingRefusedError(
            f"this run would reserve {credits_text(credits)} credit(s) but the account has"
            f" {credits_text(balance)}; nothing was sent",
            credits,
            "balance",
        )


class _Run(Generic[T, R, B]):
    """The state of one run: what started, what finished, what is missing and why."""

    def __init__(
        self,
        kind: ListKind[T, R, B],
        plan: ListPlan[T],
        record: Record,
        on_batch: Callable[[FinishedBatch[R]], object] | None,
        on_started: Callable[[StartedBatch], object] | None,
        shield: Shield,
    ) -> None:
        self._kind = kind
        self._plan = plan
        self._record = record
        self._on_batch = on_batch
        self._on_started = on_started
        self._shield = shield
        self.started: dict[int, StartedBatch] = {}
        self._at: dict[int, float] = {}
        for entry in plan.started:
            self.started[entry.number] = _started_batch(entry, plan)
            if entry.at is not None:
                self._at[entry.number] = entry.at
        self.stopped_by: EnrowError | None = None
        self.timed_out: BatchTimeoutError | None = None
        self.reserved_now = 0.0
        self.found = 0
        self._gaps: list[Gap] = []
        self._retry: dict[int, list[int]] = {}
        self._settled: dict[str, tuple[float, float]] = {}

    # -- starting -------------------------------------------------------------------------

    async def start_all(self, batches: Sequence[PlannedBatch[T]]) -> None:
        """Start ``batches`` one by one. A start without a clear answer is recorded as
        unknown and the next goes on (it is never re-sent unasked, so it costs nothing
        more); a refusal stops the starting (it would repeat), and the rest stay unsent."""
        for done, batch in enumerate(batches):
            if self.stopped_by is not None:
                for rest in batches[done:]:
                    self._gap(GapReason.UNSENT, rest.number, None, "the starting stopped")
                return
            await anyio.lowlevel.checkpoint()  # after a cancellation, nothing more is posted
            try:
                await self._shield(functools.partial(self._start, batch))
            except OutcomeUnknownError as exc:
                self._gap(GapReason.UNKNOWN, batch.number, None, str(exc))
            except EnrowError as exc:
                if not self.started:
                    raise
                self.stopped_by = exc
                self._gap(GapReason.UNSENT, batch.number, None, str(exc))

    async def _start(self, batch: PlannedBatch[T]) -> None:
        """POST one batch, recorded before and after: started, refused (a clear error:
        nothing was created) or unknown (no clear answer, or cancelled before it)."""
        posting = BatchRecord(
            RecordState.POSTING, batch.number, batch.key, batch.digests, at=time.time()
        )
        await self._record.write(posting)
        try:
            job = await self._kind.start(batch.items)
        except OutcomeUnknownError as exc:
            await self._write(attrs.evolve(posting, state=RecordState.UNKNOWN, reason=str(exc)))
            raise
        except (EnrowError, ValueError, TypeError):
            await self._write(attrs.evolve(posting, state=RecordState.REFUSED))
            raise
        except BaseException:
            reason = "cancelled before the answer"
            await self._write(attrs.evolve(posting, state=RecordState.UNKNOWN, reason=reason))
            raise
        entry = attrs.evolve(
            posting,
            state=RecordState.STARTED,
            batch_id=job.id,
            credits_used=job.credits_used,
            estimated_duration=job.estimated_duration,
            at=time.time(),
        )
        await self._write(entry)
        started = _started_batch(entry, self._plan)
        self.started[batch.number] = started
        self._at[batch.number] = time.time()
        self.reserved_now += _reserved(started, self._kind.cost, len(batch.items))
        if self._on_started is not None:
            await _call(self._on_started, started)

    async def _write(self, entry: BatchRecord) -> None:
        with anyio.CancelScope(shield=True):  # the answer is known: it must be written
            await self._record.write(attrs.evolve(entry, at=time.time()))

    # -- waiting --------------------------------------------------------------------------

    def waiting_for(
        self, batches: Sequence[PlannedBatch[T]], earlier: Sequence[BatchRecord] = ()
    ) -> list[StartedBatch]:
        """The started batches among ``batches`` and ``earlier`` (a record's), by number."""
        numbers = sorted({b.number for b in batches} | {r.number for r in earlier})
        return [self.started[n] for n in numbers if n in self.started]

    async def wait(
        self,
        batches: Sequence[StartedBatch],
        deadline: float | None,
        on_progress: Callable[[JobProgress], object] | None,
    ) -> None:
        """Wait for ``batches`` until ``deadline``; hand each finished one over."""
        if not batches:
            return
        by_id = {batch.id: batch for batch in batches}
        now = time.time()
        hints = {}
        for batch in batches:
            if batch.estimated_duration is not None:
                at = self._at.get(batch.number, now)
                left = batch.estimated_duration - (now - at) / 60
                if left > 0:
                    hints[batch.id] = left
        outcome = await wait_batches(
            self._kind.wait_many,
            {batch_id: self._plan.size_of(batch.number) for batch_id, batch in by_id.items()},
            timeout=None if deadline is None else max(0.0, deadline - anyio.current_time()),
            on_batch=lambda finished: self._finished(by_id[finished.id], finished),
            on_progress=on_progress,
            estimated_minutes=hints,
            duplicates=self._plan.duplicates,
        )
        for batch_id, error in outcome.unreadable.items():
            number = by_id[batch_id].number
            gap = self._gap(GapReason.ERROR, number, batch_id, str(error))
            self._retry[number] = list(self._plan.owners(number))
            await self._hand_over(FinishedBatch(batch_id, number, (), gap))
        self.timed_out = outcome.timed_out or self.timed_out
        self.stopped_by = outcome.stopped_by or self.stopped_by
        why = "still running at the deadline" if outcome.stopped_by is None else "not waited for"
        for batch_id in outcome.unfinished:
            self._gap(GapReason.PENDING, by_id[batch_id].number, batch_id, why)

    async def _finished(self, started: StartedBatch, batch: B) -> None:
        number = started.number
        owners = self._plan.owners(number)
        settled = self._kind.settled(batch)
        if settled is not None:
            self._settled[batch.id] = settled
        rows: list[tuple[int, R]] = []
        missing: list[int] = []
        problem = ""
        if batch.status is BatchStatus.FAILED:
            missing = list(owners)
            reason, problem = GapReason.FAILED, "the batch failed"
        else:
            placed, problem = self._kind.place(batch, self._plan.batch_items(number))
            items = self._plan.items
            for index, positions in owners.items():
                result = placed.get(index)
                if result is None:
                    missing.append(index)
                    continue
                rows += [(p, self._kind.relabel(result, p, items[p])) for p in positions]
            reason = GapReason.ERROR
        gap = None
        if missing:
            self._retry[number] = missing
            found = [p for index in missing for p in owners[index]]
            gap = self._add(Gap(reason, tuple(found), batch.id, problem or "no result given"))
        self.found += len(rows)
        await self._hand_over(FinishedBatch(batch.id, number, rows, gap))

    async def _hand_over(self, finished: FinishedBatch[R]) -> None:
        if self._on_batch is not None:
            await _call(self._on_batch, finished)

    # -- what is missing ------------------------------------------------------------------

    def _add(self, gap: Gap) -> Gap:
        if gap.positions:
            self._gaps.append(gap)
        return gap

    def _gap(self, reason: GapReason, number: int, batch_id: str | None, detail: str) -> Gap:
        return self._add(Gap(reason, self._plan.positions(number), batch_id, detail))

    def retryable(self) -> list[tuple[int, list[int]]]:
        """Batches with items that came back without a result, and their indexes; their
        gaps are forgotten (the items go to new batches)."""
        retried = dict(self._retry)
        self._retry.clear()
        ids = {self.started[n].id for n in retried if n in self.started}
        self._gaps = [gap for gap in self._gaps if gap.batch_id not in ids]
        return list(retried.items())

    def report(self) -> ListReport:
        plan = self._plan
        for entry in plan.uncertain:
            self._gap(GapReason.UNKNOWN, entry.number, None, entry.reason or "no answer came")
        batches = tuple(self.started[n] for n in sorted(self.started))
        cost = self._kind.cost
        return ListReport(
            rows=len(plan.items),
            distinct=len(plan.distinct),
            duplicates=plan.duplicates,
            found=self.found,
            batches=batches,
            reserved=sum(_reserved(b, cost, plan.size_of(b.number)) for b in batches),
            refunded=sum(refunded for refunded, _ in self._settled.values()),
            final=sum(final for _, final in self._settled.values()),
            settled=len(self._settled),
            saved=cost * plan.duplicates,
            gaps=tuple(self._gaps),
            stopped_by=self.stopped_by,
            timed_out=self.timed_out,
        )


def _started_batch(entry: BatchRecord, plan: ListPlan[Any]) -> StartedBatch:
    assert entry.batch_id is not None
    return StartedBatch(
        entry.batch_id,
        entry.number,
        entry.key,
        plan.positions(entry.number),
        entry.credits_used,
        entry.estimated_duration,
    )


def _reserved(batch: StartedBatch, cost: float, size: int) -> float:
    return batch.credits_used if batch.credits_used is not None else cost * size
