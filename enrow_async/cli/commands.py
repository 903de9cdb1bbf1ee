"""The smaller commands: ``wait``, ``results``, ``verify`` and ``account``."""

from __future__ import annotations

import functools
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import anyio
import attrs
import orjson

from .._core.searches import MAX_BATCH
from ..models import BatchStatus, BulkJob, BulkResults
from .csvio import (
    RESULT_COLUMNS,
    added_columns,
    check_writable,
    is_email,
    read_emails,
    record_cells,
    result_record,
    same_file,
    write_bytes,
    write_rows,
)
from .find import Connect, WaitOptions, wait_batches
from .interrupt import CliError, Interrupt
from .progress import Tracker, show_progress

__all__ = ["account", "results", "verify", "wait"]

FORMATS = ("csv", "jsonl", "json")


def _write(output: Path, fmt: str, batches: Sequence[BulkResults]) -> int:
    """Write the results of ``batches`` as csv, jsonl or json; return how many."""
    records = [result_record(b.id, r) for b in batches for r in b.results]
    if fmt == "csv":
        write_rows(output, RESULT_COLUMNS, (record_cells(r) for r in records))
    elif fmt == "jsonl":
        write_bytes(output, b"".join(orjson.dumps(r) + b"\n" for r in records))
    else:
        data: list[dict[str, Any]] = [attrs.asdict(b) for b in batches]
        write_bytes(output, orjson.dumps(data[0] if len(data) == 1 else data) + b"\n")
    return len(records)


def _done(message: str, output: Path) -> None:
    print(message, file=sys.stderr if str(output) == "-" else sys.stdout, flush=True)


async def wait(
    ids: Sequence[str],
    output: Path,
    fmt: str,
    options: WaitOptions,
    connect: Connect,
    interrupt: Interrupt,
) -> int:
    check_writable(output)
    ids = list(dict.fromkeys(ids))
    interrupt.hint = lambda: (
        "interrupted; the batches keep running on the server: run the same command again"
    )
    async with connect() as client:
        done, problems = await wait_batches(client, dict.fromkeys(ids, 0), {}, options)
    batches = [done[bid] for bid in ids if bid in done and bid not in problems]
    count = _write(output, fmt, batches)
    found = sum(r.found for b in batches for r in b.results)
    _done(
        f"{len(batches)} batch(es), {count} results, {found} emails found; output: {output}", output
    )
    if problems:
        shown = "; ".join(f"{bid}: {why}" for bid, why in list(problems.items())[:3])
        raise CliError(f"{len(problems)} batch(es) have no results ({shown})")
    return 0


async def results(
    batch_id: str, output: Path, fmt: str, connect: Connect, interrupt: Interrupt
) -> int:
    check_writable(output)
    async with connect() as client:
        batch = await client.get_bulk_results(batch_id)
    stats = batch.stats
    seen = f"{stats.finished}/{stats.requested} searches done"
    if batch.status is BatchStatus.ONGOING:
        share = 100 * stats.finished // stats.requested if stats.requested else 0
        raise CliError(
            f"batch {batch_id} is still ongoing ({seen}, {share}%); try again later, or wait"
            f" for it: enrow-async wait {batch_id} -o results.csv"
        )
    if batch.status is BatchStatus.FAILED:
        raise CliError(f"batch {batch_id} failed ({seen})")
    _write(output, fmt, [batch])
    return 0


async def _verify_all(
    connect: Connect, emails: Sequence[str], options: WaitOptions, interrupt: Interrupt
) -> dict[int, str]:
    """Qualification of each address, by position in ``emails``."""
    jobs: list[tuple[int, BulkJob]] = []
    interrupt.hint = lambda: (
        "interrupted; started verifications keep running: "
        + (" ".join(job.id for _, job in jobs) if jobs else "none")
    )
    found: dict[int, str] = {}
    async with connect() as client:
        for offset in range(0, len(emails), MAX_BATCH):
            part = emails[offset : offset + MAX_BATCH]
            items = [{"email": e, "custom": str(offset + i)} for i, e in enumerate(part)]
            job = await interrupt.shielded(functools.partial(client.start_bulk_verification, items))
            jobs.append((offset, job))
        tracker = Tracker({job.id: min(MAX_BATCH, len(emails) - off) for off, job in jobs})

        async def one(offset: int, job: BulkJob) -> None:
            batch = await client.wait_for_verification(
                job.id,
                timeout=options.timeout,
                on_progress=tracker.update,
                estimated_duration=job.estimated_duration,
            )
            tracker.complete(job.id)
            by_email = {r.email.casefold(): str(r.qualification) for r in batch.results}
            for result in batch.results:
                custom = result.custom
                if isinstance(custom, str) and custom.isdigit():
                    found[int(custom)] = str(result.qualification)
            for i, email in enumerate(emails[offset : offset + MAX_BATCH], offset):
                if i not in found and email.casefold() in by_email:
                    found[i] = by_email[email.casefold()]

        async with (
            show_progress(
                tracker, stream=sys.stderr, every=options.progress_every, label="verifying"
            ),
            anyio.create_task_group() as tg,
        ):
            for offset, job in jobs:
                tg.start_soon(one, offset, job)
    return found


async def verify(
    source: Path, output: Path, options: WaitOptions, connect: Connect, interrupt: Interrupt
) -> int:
    same_file(source, output)
    given = read_emails(source)
    check_writable(output)
    usable = [i for i, e in enumerate(given.emails) if is_email(e)]
    sent = set(usable)
    skipped = len(given.emails) - len(usable)
    if skipped:
        print(
            f"enrow-async: {skipped} row(s) without a valid address are not sent"
            " (qualification skipped)",
            file=sys.stderr,
        )
    found: dict[int, str] = {}
    if usable:
        emails = [given.emails[i] for i in usable]
        checked = await _verify_all(connect, emails, options, interrupt)
        found = {usable[k]: q for k, q in checked.items()}
    cells = [found.get(i, "error" if i in sent else "skipped") for i in range(len(given.emails))]
    if given.table is None:
        write_rows(output, ("email", "qualification"), zip(given.emails, cells, strict=True))
    else:
        table = given.table
        header = [*table.header, *added_columns(table.header, ["qualification"])]
        rows = ([*row, cell] for row, cell in zip(table.rows, cells, strict=True))
        write_rows(output, header, rows, like=table)
    valid = cells.count("valid")
    print(f"verified {len(usable)} address(es): {valid} valid, {cells.count('invalid')} invalid")
    print(f"output: {output}")
    if cells.count("error"):
        raise CliError(f"{cells.count('error')} address(es) came back without a result")
    return 0


async def account(connect: Connect, interrupt: Interrupt) -> int:
    async with connect() as client:
        info = await client.account_info()
    print(f"credits: {info.credits:g}")
    if not info.webhooks:
        print("webhooks: none")
    for hook in info.webhooks:
        text = hook if isinstance(hook, str) else orjson.dumps(hook).decode()
        print(f"webhook: {text}")
    return 0
