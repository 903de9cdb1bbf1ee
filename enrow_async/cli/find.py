"""``enrow-async find``: a CSV of people in, the same CSV with their emails out.

Searches are split into batches, each recorded in the journal before and after its POST,
then waited for together on the client's shared scheduler. Rows that could not be searched
are written too, with a qualification saying why (``skipped``, ``unknown``, ``failed``,
``error``, ``pending``), so the output always has every input row, in order.
"""

from __future__ import annotations

import functools
import time
from collections.abc import Mapping, Sequence
from pathlib import Path

import anyio
import attrs

from enrow_async import BulkResults, EmailSearch, EnrowClient, EnrowError, OutcomeUnknownError

from .connect import Connect
from .csvio import Table, check_writable, read_table, same_file, write_rows
from .errors import CliError
from .inputs import find_columns, searches_of
from .interrupt import Interrupt
from .journal import Entry, Journal
from .records import FOUND_COLUMNS, added_columns, found_cells
from .streams import Streams
from .waiting import Problem, ProblemKind, Waited, WaitOptions, wait_batches

__all__ = ["FindOptions", "find"]


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
    entries: Sequence[Entry], unknown: Sequence[Entry], count: int, waited: Waited
) -> list[list[str]]:
    """FOUND_COLUMNS cells for each search, by position."""
    cells = [found_cells(None, "error")] * count
    for entry in entries:
        assert entry.batch_id is not None
        problem = waited.problems.get(entry.batch_id)
        if problem is not None:
            cells[entry.offset : entry.end] = [found_cells(None, problem.kind.value)] * entry.size
            continue
        for result in waited.batches[entry.batch_id].results:
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
    results: Mapping[str, BulkResults],
    output: Path,
    streams: Streams,
) -> None:
    found = [(s, c) for s, c in zip(searches, cells, strict=True) if c[1] == "valid"]
    costs = [b.stats.credits_cost.final for b in results.values() if b.stats.credits_cost]
    credits = f"{sum(costs):g}" if len(costs) == len(results) else f"~{len(found)}"
    skipped = len(table.rows) - len(searches)
    share = f" ({100 * len(found) // len(searches)}%)" if searches else ""
    streams.say(
        f"searched {len(searches)} people in {batches} batch(es): {len(found)} emails"
        f" found{share}" + (f", {skipped} row(s) skipped" if skipped else "")
    )
    streams.say(f"credits used: {credits}")
    streams.say(f"output: {output}")
    if found:
        shown = [["name", "company", "email"]]
        shown += [
            [_clip(s.fullname), _clip(s.company_domain or s.company_name or ""), _clip(c[0])]
            for s, c in found[:5]
        ]
        widths = [max(len(row[i]) for row in shown) for i in range(3)]
        streams.say()
        for row in shown:
            line = "  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True))
            streams.say(f"  {line}".rstrip())


def _clip(text: str, width: int = 32) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"


def _incomplete(problems: Mapping[str, Problem], unknown: Sequence[Entry], journal: Journal) -> str:
    parts = []
    kinds = [problem.kind for problem in problems.values()]
    pending = [bid for bid, problem in problems.items() if problem.kind is ProblemKind.PENDING]
    if pending:
        parts.append(f"{len(pending)} batch(es) still running at the deadline")
    if kinds.count(ProblemKind.FAILED):
        parts.append(f"{kinds.count(ProblemKind.FAILED)} batch(es) failed")
    errors = [problem for problem in problems.values() if problem.kind is ProblemKind.ERROR]
    if errors:
        parts.append(f"{len(errors)} batch(es) could not be read ({errors[0]})")
    if unknown:
        parts.append(
            f"{len(unknown)} batch(es) may or may not have started ({unknown[0].rows}; check"
            " your Enrow dashboard, or send them again with --resend-unknown)"
        )
    if journal.path is not None and pending:
        then = "; run the same command again to resume"
    elif pending:
        then = f"; wait for them with: enrow-async wait {' '.join(pending)} -o results.csv"
    else:
        then = ""
    return "some rows have no result: " + "; ".join(parts) + then


async def find(
    options: FindOptions, connect: Connect, streams: Streams, interrupt: Interrupt
) -> int:
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
        streams.note(
            f"{skipped} row(s) without a name or a company are not sent (qualification skipped)"
        )
    if journal.started:
        streams.note(
            f"resuming: {len(journal.started)} batch(es) already started, from {journal.path}"
        )
    todo = journal.todo(len(searches), options.batch_size, resend_unknown=options.resend_unknown)
    async with connect() as client:
        for offset, size in todo:
            part = searches[offset : offset + size]
            await _start(client, journal, interrupt, part, offset, options)
        entries = journal.started
        sizes = {e.batch_id: e.size for e in entries if e.batch_id}
        waited = await wait_batches(client, sizes, _hints(entries), options.wait, streams)
    unknown = journal.unknown
    cells = _cells(entries, unknown, len(searches), waited)
    by_row = dict(zip(rows, cells, strict=True))
    skip = found_cells(None, "skipped")
    write_rows(
        options.output,
        [*table.header, *added_columns(table.header, FOUND_COLUMNS)],
        ([*row, *by_row.get(number, skip)] for number, row in enumerate(table.rows)),
        stdout=streams.out,
        like=table,
    )
    _summary(table, searches, cells, len(entries), waited.batches, options.output, streams)
    if waited.problems or unknown:
        raise CliError(_incomplete(waited.problems, unknown, journal))
    lacking = sum(cell[1] == "error" for cell in cells)
    if lacking:  # a row with no result never passes as done
        raise CliError(f"{lacking} row(s) have no result (written with qualification 'error')")
    return 0
