"""``enrow-async find``: a CSV of people in, the same CSV with their emails out.

Searches are split into batches, each recorded in the journal before and after its POST,
then waited for together on the client's shared scheduler. Rows that could not be searched
are written too, with a qualification saying why (``skipped``, ``unknown``, ``failed``,
``error``, ``pending``), so the output always has every input row, in order.
"""

from __future__ import annotations

import functools
import sys
import time
from collections.abc import Callable, Sequence
from contextlib import AbstractAsyncContextManager
from pathlib import Path

import anyio
import attrs

from ..client import EnrowClient
from ..errors import BatchErrors, BatchTimeoutError, EnrowError, OutcomeUnknownError
from ..models import BatchStatus, BulkResults, EmailSearch
from .csvio import (
    FOUND_COLUMNS,
    Table,
    added_columns,
    check_writable,
    find_columns,
    found_cells,
    read_table,
    same_file,
    searches_of,
    write_rows,
)
from .interrupt import CliError, Interrupt
from .journal import Entry, Journal
from .progress import Tracker, show_progress

__all__ = ["Connect", "FindOptions", "WaitOptions", "find", "wait_batches"]

Connect = Callable[[], AbstractAsyncContextManager[EnrowClient]]


@attrs.frozen
class WaitOptions:
    timeout: float | None
    progress_every: float


@attrs.frozen
class FindOptions:
    input: Path
    output: Path
    journal: Path | None
    batch_size: int
    country_code: str | None
    gender: bool
    resend_unknown: bool
    wait: WaitOptions
    sandbox: bool = False


def _err(message: str) -> None:
    print(f"enrow-async: {message}", file=sys.stderr, flush=True)


async def wait_batches(
    client: EnrowClient,
    sizes: dict[str, int],
    hints: dict[str, float],
    options: WaitOptions,
) -> tuple[dict[str, BulkResults], dict[str, str]]:
    """Wait for every batch; return the finished ones and, for the others, why not
    (``failed``, ``error: ...``, ``pending``). Errors that concern all batches propagate."""
    results: dict[str, BulkResults] = {}
    problems: dict[str, str] = {}
    if not sizes:
        return results, problems
    tracker = Tracker(sizes)
    async with show_progress(
        tracker, stream=sys.stderr, every=options.progress_every, label="waiting"
    ):
        stream = client.wait_for_batches(
            list(sizes),
            timeout=options.timeout,
            on_progress=tracker.update,
            estimated_durations=hints,
        )
        async with stream:
            try:
                async for batch in stream:
                    tracker.complete(batch.id)
                    results[batch.id] = batch
                    if batch.status is BatchStatus.FAILED:
                        problems[batch.id] = "failed"
            except BatchErrors as exc:
                problems.update({bid: f"error: {error}" for bid, error in exc.errors.items()})
            except BatchTimeoutError as exc:
                problems.update(dict.fromkeys(exc.pending, "pending"))
                problems.update({bid: f"error: {error}" for bid, error in exc.errors.items()})
    return results, problems


def _hints(entries: Sequence[Entry]) -> dict[str, float]:
    """What is left of each batch's estimated duration (minutes), for the poll schedule."""
    now = time.time()
    hints = {}
    for entry in entries:
        if entry.batch_id and entry.estimated_duration is not None:
            left = entry.estimated_duration - (now - (entry.at or now)) / 60
            if left > 0:
                hints[entry.batch_id] = left
    return hints


def _resume_hint(journal: Journal, output: Path) -> str:
    started = [e.batch_id for e in journal.started if e.batch_id]
    unknown = journal.unknown
    doubt = ""
    if unknown:
        where = f" in {journal.path}" if journal.path else ""
        doubt = (
            f"; {unknown[0].rows} may have started a batch (no answer came): recorded as"
            f" unknown{where}, see --resend-unknown"
        )
    if not started:
        return f"interrupted; no batch was confirmed started{doubt}"
    if journal.path is not None:
        return (
            f"interrupted; {len(started)} started batch(es) are recorded in {journal.path}"
            f"{doubt}; run the same command again to resume"
        )
    return (
        f"interrupted; {len(started)} batch(es) were started and keep running{doubt}; get"
        f" their results with: enrow-async wait {' '.join(started)} -o {_results_path(output)}"
    )


def _results_path(output: Path) -> Path:
    return output.with_name(f"{output.stem}.results.csv")


async def _start(
    client: EnrowClient,
    journal: Journal,
    interrupt: Interrupt,
    part: Sequence[EmailSearch],
    offset: int,
    options: FindOptions,
) -> None:
    await anyio.lowlevel.checkpoint()  # after Ctrl-C, nothing more is posted
    posting = journal.posting(offset, part)
    try:
        start = functools.partial(
            client.start_bulk_search,
            part,
            country_code=options.country_code,
            retrieve_gender=options.gender,
        )
        job = await interrupt.shielded(start)
    except OutcomeUnknownError as exc:
        journal.unknown_outcome(posting, str(exc))
        where = f"recorded as unknown in {journal.path}" if journal.path else "not sent again"
        raise CliError(
            f"{exc} ({posting.rows}: {where}; check your Enrow dashboard before sending"
            " them again with --resend-unknown)"
        ) from exc
    except (EnrowError, ValueError, TypeError):
        journal.refused(posting)  # a clear error answer: nothing was created
        raise
    except BaseException:  # Ctrl-C and no answer within the grace period
        journal.unknown_outcome(posting, "interrupted before the answer")
        raise
    journal.started_batch(posting, job)


def _cells(
    entries: Sequence[Entry],
    unknown: Sequence[Entry],
    count: int,
    results: dict[str, BulkResults],
    problems: dict[str, str],
) -> list[list[str]]:
    """FOUND_COLUMNS cells for each search, by position."""
    cells = [found_cells(None, "error")] * count
    for entry in entries:
        assert entry.batch_id is not None
        problem = problems.get(entry.batch_id)
        if problem is not None:
            kind = problem.partition(":")[0]
            cells[entry.offset : entry.end] = [found_cells(None, kind)] * entry.size
            continue
        for result in results[entry.batch_id].results:
            if 0 <= result.index < entry.size:
                cells[entry.offset + result.index] = found_cells(result)
    for entry in unknown:
        cells[entry.offset : entry.end] = [found_cells(None, "unknown")] * entry.size
    return cells


def _summary(
    table: Table,
    searches: Sequence[EmailSearch],
    cells: Sequence[Sequence[str]],
    batches: int,
    results: dict[str, BulkResults],
    output: Path,
) -> None:
    found = [(s, c) for s, c in zip(searches, cells, strict=True) if c[1] == "valid"]
    costs = [b.stats.credits_cost.final for b in results.values() if b.stats.credits_cost]
    credits = f"{sum(costs):g}" if len(costs) == len(results) else f"~{len(found)}"
    skipped = len(table.rows) - len(searches)
    share = f" ({100 * len(found) // len(searches)}%)" if searches else ""
    print(
        f"searched {len(searches)} people in {batches} batch(es): {len(found)} emails"
        f" found{share}" + (f", {skipped} row(s) skipped" if skipped else "")
    )
    print(f"credits used: {credits}")
    print(f"output: {output}")
    if found:
        shown = [["name", "company", "email"]]
        shown += [
            [_clip(s.fullname), _clip(s.company_domain or s.company_name or ""), _clip(c[0])]
            for s, c in found[:5]
        ]
        widths = [max(len(row[i]) for row in shown) for i in range(3)]
        print()
        for row in shown:
            line = "  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True))
            print(f"  {line}".rstrip())


def _clip(text: str, width: int = 32) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"


def _incomplete(problems: dict[str, str], unknown: Sequence[Entry], journal: Journal) -> str:
    parts = []
    kinds = [p.partition(":")[0] for p in problems.values()]
    if kinds.count("pending"):
        parts.append(f"{kinds.count('pending')} batch(es) still running at the deadline")
    if kinds.count("failed"):
        parts.append(f"{kinds.count('failed')} batch(es) failed")
    errors = [p for p in problems.values() if p.startswith("error")]
    if errors:
        parts.append(f"{len(errors)} batch(es) could not be read ({errors[0]})")
    if unknown:
        parts.append(
            f"{len(unknown)} batch(es) may or may not have started ({unknown[0].rows}; check"
            " your Enrow dashboard, or send them again with --resend-unknown)"
        )
    pending = [bid for bid, p in problems.items() if p == "pending"]
    if journal.path is not None and pending:
        then = "; run the same command again to resume"
    elif pending:
        then = f"; wait for them with: enrow-async wait {' '.join(pending)} -o results.csv"
    else:
        then = ""
    return "some rows have no result: " + "; ".join(parts) + then


async def find(options: FindOptions, connect: Connect, interrupt: Interrupt) -> int:
    same_file(options.input, options.output)
    table = read_table(options.input)
    columns = find_columns(table)
    searches, rows = searches_of(table, columns)
    check_writable(options.output)
    journal = Journal(options.journal)
    if options.sandbox and (journal.started or journal.unknown):
        raise CliError(
            f"{journal.path}: --sandbox cannot resume (its simulator ended with the earlier"
            " run); use a new journal file",
            2,
        )
    journal.check(searches, options.input)
    interrupt.hint = lambda: _resume_hint(journal, options.output)
    skipped = len(table.rows) - len(searches)
    if skipped:
        _err(f"{skipped} row(s) without a name or a company are not sent (qualification skipped)")
    if journal.started:
        _err(f"resuming: {len(journal.started)} batch(es) already started, from {journal.path}")
    todo = journal.todo(len(searches), options.batch_size, resend_unknown=options.resend_unknown)
    async with connect() as client:
        for offset, size in todo:
            part = searches[offset : offset + size]
            await _start(client, journal, interrupt, part, offset, options)
        entries = journal.started
        sizes = {e.batch_id: e.size for e in entries if e.batch_id}
        results, problems = await wait_batches(client, sizes, _hints(entries), options.wait)
    unknown = journal.unknown
    cells = _cells(entries, unknown, len(searches), results, problems)
    by_row = dict(zip(rows, cells, strict=True))
    skip = found_cells(None, "skipped")
    write_rows(
        options.output,
        [*table.header, *added_columns(table.header, FOUND_COLUMNS)],
        ([*row, *by_row.get(number, skip)] for number, row in enumerate(table.rows)),
        like=table,
    )
    _summary(table, searches, cells, len(entries), results, options.output)
    if problems or unknown:
        raise CliError(_incomplete(problems, unknown, journal))
    return 0
