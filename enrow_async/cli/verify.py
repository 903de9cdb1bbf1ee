"""``enrow-async verify``: addresses in (a CSV with an email column, or one per line), their
qualification out.

Identical addresses (``email_identity``) are sent once. Distinct addresses are split into
batches of at most MAX_BATCH_SIZE, each recorded in the journal (``--journal``) before and
after its POST, as ``find`` does: the same command run again waits for the batches already
started instead of paying for them twice, and a POST with no clear answer is never sent
again unasked (``--resend-unknown``). An address without a valid shape is not sent
(``skipped``); one whose batch gave no result is written with why (``unknown``,
``failed``, ``pending``, ``error``), and the run exits 1.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from pathlib import Path

import attrs

from enrow_async import (
    MAX_BATCH_SIZE,
    BulkVerification,
    VerificationItemDict,
    email_identity,
)

from .connect import Connect
from .csvio import check_writable, neutralise, same_file, write_rows
from .errors import CliError
from .guard import Guard, Plan, check_plan
from .inputs import first_of_each, is_email, read_emails
from .interrupt import Interrupt
from .journal import Entry, address_fingerprint
from .records import added_columns, credits_text
from .resume import RunFiles, hints, incomplete, mark_missing, open_journal, start_recorded
from .streams import Streams
from .waiting import Waited, WaitOptions, wait_batches

__all__ = ["VERIFY_COST", "VerifyOptions", "verify"]

VERIFY_COST = 0.25
"""Credits one verification reserves (Enrow's price)."""


@attrs.frozen
class VerifyOptions:
    input: Path
    output: Path
    wait: WaitOptions
    journal: Path | None = None
    resend_unknown: bool = False
    sandbox: bool = False
    guard: Guard = attrs.Factory(Guard)
    email_column: str | None = None
    encoding: str | None = None

    @property
    def files(self) -> RunFiles:
        return RunFiles(self.input, self.output, self.sandbox, "verify")


def _items(offset: int, part: Sequence[str]) -> list[VerificationItemDict]:
    """The batch's items; ``custom`` is each address's position among the distinct ones."""
    return [{"email": email, "custom": str(offset + i)} for i, email in enumerate(part)]


class _Qualifications:
    """The qualification of each distinct address, by position, filled batch by batch."""

    def __init__(self, distinct: Sequence[str], entries: Sequence[Entry]) -> None:
        self.cells = ["error"] * len(distinct)
        self._distinct = distinct
        self._entries = {e.batch_id: e for e in entries if e.batch_id}

    def add(self, batch: BulkVerification) -> None:
        """A finished batch: each result lands by its ``custom`` position, or else by its
        address within the batch's range."""
        entry = self._entries[batch.id]
        by_email: dict[str, str] = {}
        placed: set[int] = set()
        for result in batch.results:
            custom = result.custom
            if isinstance(custom, str) and custom.isdigit():
                position = int(custom)
                if entry.offset <= position < entry.end:
                    self.cells[position] = str(result.qualification)
                    placed.add(position)
                    continue
            by_email[email_identity(result.email)] = str(result.qualification)
        for position in range(entry.offset, entry.end):
            if position not in placed:
                found = by_email.get(email_identity(self._distinct[position]))
                if found is not None:
                    self.cells[position] = found

    def finish(self, unknown: Sequence[Entry], waited: Waited[BulkVerification]) -> list[str]:
        """Mark the ranges without results: their problem, or ``unknown``."""
        mark_missing(self.cells, self._entries, unknown, waited.problems, str)
        return self.cells


def _credits_line(entries: Sequence[Entry], waited: Waited[BulkVerification]) -> str:
    """Credits reserved when the batches started, and kept once every one has ended."""
    reserved = sum(
        e.credits_used if e.credits_used is not None else VERIFY_COST * e.size for e in entries
    )
    settled = [
        waited.batches[e.batch_id].stats.credits_cost
        for e in entries
        if e.batch_id is not None and e.batch_id in waited.batches
    ]
    costs = [cost for cost in settled if cost is not None]
    line = f"credits: {credits_text(reserved)} reserved"
    if len(costs) == len(entries):
        return f"{line}, {credits_text(sum(costs))} final"
    return f"{line}; {len(entries) - len(costs)} batch(es) not settled yet"


async def verify(
    options: VerifyOptions, connect: Connect, streams: Streams, interrupt: Interrupt
) -> int:
    same_file(options.input, options.output)
    stdin = getattr(streams.inp, "buffer", None)
    given = read_emails(options.input, options.email_column, options.encoding, stdin)
    if given.table is not None:
        column = given.table.header[given.column] if given.column is not None else "?"
        streams.say(f"columns: email <- {column!r}")
    check_writable(options.output)
    usable = [i for i, e in enumerate(given.emails) if is_email(e)]
    sent = set(usable)
    skipped = len(given.emails) - len(usable)
    if skipped:
        streams.note(
            f"{skipped} row(s) without a valid address are not sent (qualification skipped)"
        )
    firsts, first_slots = first_of_each([given.emails[i] for i in usable], email_identity)
    distinct = [email.strip() for email in firsts]
    slots = dict(zip(usable, first_slots, strict=True))
    journal = open_journal(
        address_fingerprint, options.journal, distinct, options.files, interrupt, "addresses"
    )
    if journal.started:
        streams.note(
            f"resuming: {len(journal.started)} batch(es) already started, from {journal.path}"
        )
    todo = journal.todo(len(distinct), MAX_BATCH_SIZE, resend_unknown=options.resend_unknown)
    to_send = sum(size for _, size in todo)
    plan = Plan(
        rows=len(given.emails),
        sendable=len(usable),
        distinct=len(distinct),
        todo=to_send,
        batches=len(todo),
        credits=VERIFY_COST * to_send,
        noun="address",
    )
    async with connect() as client:
        if not await check_plan(plan, options.guard, client, streams):
            return 0
        for offset, size in todo:
            part = distinct[offset : offset + size]
            start = functools.partial(client.verify.bulk.start, _items(offset, part))
            await start_recorded(journal, interrupt, offset, part, start)
        entries = journal.started
        qualifications = _Qualifications(distinct, entries)
        waited = await wait_batches(
            client.verify.bulk.wait_many,
            {e.batch_id: e.size for e in entries if e.batch_id},
            hints(entries),
            options.wait,
            streams,
            on_batch=qualifications.add,
            unit="addresses",
        )
    unknown = journal.unknown
    by_slot = qualifications.finish(unknown, waited)
    cells = [by_slot[slots[i]] if i in sent else "skipped" for i in range(len(given.emails))]
    if given.table is None:
        write_rows(
            options.output,
            ("email", "qualification"),
            ((email, neutralise(cell)) for email, cell in zip(given.emails, cells, strict=True)),
            stdout=streams.out,
        )
    else:
        table = given.table
        header = [*table.header, *added_columns(table.header, ["qualification"])]
        rows = ([*row, neutralise(cell)] for row, cell in zip(table.rows, cells, strict=True))
        write_rows(options.output, header, rows, stdout=streams.out, like=table)
    streams.say(
        f"verified {len(usable)} address(es) ({len(distinct)} distinct) in {len(entries)}"
        f" batch(es): {cells.count('valid')} valid, {cells.count('invalid')} invalid"
    )
    dupes = len(usable) - len(distinct)
    if dupes:
        saved = credits_text(VERIFY_COST * dupes)
        streams.say(f"duplicates: {dupes} address(es) checked once: {saved} credit(s) saved")
    streams.say(_credits_line(entries, waited))
    streams.say(f"output: {options.output}")
    if waited.problems or unknown:
        raise CliError(incomplete(waited.problems, unknown, journal, options.files))
    if cells.count("error"):
        raise CliError(f"{cells.count('error')} address(es) came back without a result")
    return 0
