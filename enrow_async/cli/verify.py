"""``enrow-async verify``: addresses in (a CSV with an email column, or one per line), their
qualification out.

Addresses are sent in batches of at most MAX_BATCH_SIZE and the verifications waited for
together; an address without a valid shape is not sent (``skipped``), one that came back
without a result is written as ``error``.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from pathlib import Path

import anyio
import attrs

from enrow_async import (
    MAX_BATCH_SIZE,
    BulkJob,
    BulkVerification,
    EnrowClient,
    ProgressCallback,
    VerificationItemDict,
    email_identity,
)

from .connect import Connect
from .csvio import check_writable, neutralise, same_file, write_rows
from .errors import CliError
from .guard import Guard, Plan, check_plan
from .inputs import first_of_each, is_email, read_emails
from .interrupt import Interrupt
from .progress import Tracker, show_progress
from .records import added_columns, credits_text
from .streams import Streams
from .waiting import WaitOptions

__all__ = ["verify"]


# The library's verifier calls, here only.


async def _start(client: EnrowClient, items: Sequence[VerificationItemDict]) -> BulkJob:
    return await client.verify.bulk.start(items)


async def _wait(
    client: EnrowClient, job: BulkJob, timeout: float | None, on_progress: ProgressCallback
) -> BulkVerification:
    return await client.verify.bulk.wait(
        job.id,
        timeout=timeout,
        on_progress=on_progress,
        estimated_duration=job.estimated_duration,
    )


VERIFY_COST = 0.25
"""Credits one verification reserves (Enrow's price)."""


@attrs.define
class _Verified:
    """Qualification of each distinct address by position, and what was spent."""

    found: dict[int, str] = attrs.Factory(dict)
    reserved: float = 0.0
    final: float = 0.0
    settled: int = 0
    batches: int = 0


async def _verify_all(
    client: EnrowClient,
    emails: Sequence[str],
    options: WaitOptions,
    streams: Streams,
    interrupt: Interrupt,
) -> _Verified:
    """Verify ``emails`` (distinct addresses) in batches of at most MAX_BATCH_SIZE."""
    jobs: list[tuple[int, BulkJob]] = []
    interrupt.hint = lambda: (
        "interrupted; started verifications keep running: "
        + (" ".join(job.id for _, job in jobs) if jobs else "none")
    )
    done = _Verified()
    found = done.found
    for offset in range(0, len(emails), MAX_BATCH_SIZE):
        part = emails[offset : offset + MAX_BATCH_SIZE]
        items: list[VerificationItemDict] = [
            {"email": e, "custom": str(offset + i)} for i, e in enumerate(part)
        ]
        job = await interrupt.shielded(functools.partial(_start, client, items))
        jobs.append((offset, job))
        done.reserved += (
            job.credits_used if job.credits_used is not None else VERIFY_COST * len(part)
        )
    done.batches = len(jobs)
    sizes = {job.id: min(MAX_BATCH_SIZE, len(emails) - off) for off, job in jobs}
    tracker = Tracker(sizes, unit="addresses")

    async def one(offset: int, job: BulkJob) -> None:
        batch = await _wait(client, job, options.timeout, tracker.update)
        tracker.complete(job.id)
        if batch.stats.credits_cost is not None:
            done.final += batch.stats.credits_cost
            done.settled += 1
        by_email = {email_identity(r.email): str(r.qualification) for r in batch.results}
        for result in batch.results:
            custom = result.custom
            if isinstance(custom, str) and custom.isdigit():
                found[int(custom)] = str(result.qualification)
        for i, email in enumerate(emails[offset : offset + MAX_BATCH_SIZE], offset):
            if i not in found and email_identity(email) in by_email:
                found[i] = by_email[email_identity(email)]

    async with (
        show_progress(tracker, stream=streams.err, every=options.progress_every, label="verifying"),
        anyio.create_task_group() as tg,
    ):
        for offset, job in jobs:
            tg.start_soon(one, offset, job)
    return done


async def verify(
    source: Path,
    output: Path,
    options: WaitOptions,
    guard: Guard,
    email_column: str | None,
    encoding: str | None,
    connect: Connect,
    streams: Streams,
    interrupt: Interrupt,
) -> int:
    same_file(source, output)
    given = read_emails(source, email_column, encoding, getattr(streams.inp, "buffer", None))
    if given.table is not None:
        column = given.table.header[given.column] if given.column is not None else "?"
        streams.say(f"columns: email <- {column!r}")
    check_writable(output)
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
    batches = -(-len(distinct) // MAX_BATCH_SIZE)
    plan = Plan(
        rows=len(given.emails),
        sendable=len(usable),
        distinct=len(distinct),
        todo=len(distinct),
        batches=batches,
        credits=VERIFY_COST * len(distinct),
        noun="address",
    )
    done = _Verified()
    async with connect() as client:
        if not await check_plan(plan, guard, client, streams):
            return 0
        if distinct:
            done = await _verify_all(client, distinct, options, streams, interrupt)
    found = {i: done.found[slot] for i, slot in slots.items() if slot in done.found}
    cells = [found.get(i, "error" if i in sent else "skipped") for i in range(len(given.emails))]
    if given.table is None:
        write_rows(
            output,
            ("email", "qualification"),
            ((email, neutralise(cell)) for email, cell in zip(given.emails, cells, strict=True)),
            stdout=streams.out,
        )
    else:
        table = given.table
        header = [*table.header, *added_columns(table.header, ["qualification"])]
        rows = ([*row, neutralise(cell)] for row, cell in zip(table.rows, cells, strict=True))
        write_rows(output, header, rows, stdout=streams.out, like=table)
    valid = cells.count("valid")
    streams.say(
        f"verified {len(usable)} address(es) ({len(distinct)} distinct) in {done.batches}"
        f" batch(es): {valid} valid, {cells.count('invalid')} invalid"
    )
    dupes = len(usable) - len(distinct)
    if dupes:
        saved = credits_text(VERIFY_COST * dupes)
        streams.say(f"duplicates: {dupes} address(es) checked once: {saved} credit(s) saved")
    line = f"credits: {credits_text(done.reserved)} reserved"
    if done.settled == done.batches:
        line += f", {credits_text(done.final)} final"
    streams.say(line)
    streams.say(f"output: {output}")
    if cells.count("error"):
        raise CliError(f"{cells.count('error')} address(es) came back without a result")
    return 0
