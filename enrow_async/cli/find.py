"""``enrow-async find``: a CSV of people in, the same CSV with their emails out.

Identical searches (``search_identity``: case, spacing and domain forms aside) are sent once
and every row that asked for one gets its result. The cost guard shows the plan and may
refuse before the first POST (``guard``). Distinct searches are split into batches,
each recorded in the journal before and after its POST, then waited for together on the
client's shared scheduler. Rows that could not be searched are written too, with a
qualification saying why (``skipped``, ``unknown``, ``failed``, ``error``, ``pending``), so
the output always has every input row, in order.

A POST whose outcome is unknown (no clear answer) marks its searches ``unknown`` and the
run goes on: every batch that did start is waited for and written, then the run exits 1
saying how to send the unknown ones again. A run without ``--journal`` that leaves
something to resume saves its journal beside the output, so the hint it prints works.
"""

from __future__ import annotations

import contextlib
import functools
from collections.abc import Mapping, Sequence
from pathlib import Path

import attrs

from enrow_async import BulkResults, EmailSearch, search_identity

from .connect import Connect
from .csvio import (
    Table,
    check_writable,
    neutralise,
    output_format,
    read_table,
    same_file,
    write_jsonl,
    write_rows,
    write_xlsx,
)
from .errors import CliError
from .guard import Guard, Plan, check_plan
from .inputs import describe, find_columns, first_of_each, searches_of
from .interrupt import Interrupt
from .journal import Entry, fingerprint
from .progress import Starting, show_progress
from .records import FOUND_COLUMNS, added_columns, credits_text, found_cells
from .resume import RunFiles, hints, incomplete, mark_missing, open_journal, start_recorded
from .streams import Streams
from .waiting import Waited, WaitOptions, wait_batches

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
    guard: Guard = attrs.Factory(Guard)
    columns: Mapping[str, str] = attrs.Factory(dict)
    """Columns named on the command line, by role (``domain`` -> ``Website URL``)."""
    encoding: str | None = None
    format: str | None = None

    @property
    def files(self) -> RunFiles:
        return RunFiles(self.input, self.output, self.sandbox, "find")


class _Cells:
    """FOUND_COLUMNS cells for each distinct search, by position, filled batch by batch as
    the results arrive (the results themselves are not kept)."""

    def __init__(self, entries: Sequence[Entry], count: int) -> None:
        self.cells = [found_cells(None, "error")] * count
        self._entries = {e.batch_id: e for e in entries if e.batch_id}

    def add(self, batch: BulkResults) -> None:
        entry = self._entries[batch.id]
        for result in batch.results:
            if 0 <= result.index < entry.size:
                self.cells[entry.offset + result.index] = found_cells(result)

    def finish(self, unknown: Sequence[Entry], waited: Waited[BulkResults]) -> list[list[str]]:
        """Mark the ranges without results: their problem, or ``unknown``."""
        mark_missing(
            self.cells, self._entries, unknown, waited.problems, lambda why: found_cells(None, why)
        )
        return self.cells


def credits_line(entries: Sequence[Entry], results: Mapping[str, BulkResults]) -> str:
    """Credits reserved when the batches started, refunded and kept once they ended."""
    reserved = sum(e.credits_used if e.credits_used is not None else e.size for e in entries)
    estimated = any(e.credits_used is None for e in entries)
    settled = [results[e.batch_id] for e in entries if e.batch_id and e.batch_id in results]
    costs = [b.stats.credits_cost for b in settled if b.stats.credits_cost is not None]
    refunded = sum(c.refunded for c in costs)
    final = sum(c.final for c in costs)
    text = f"credits: {'~' if estimated else ''}{credits_text(reserved)} reserved"
    if len(costs) == len(entries):
        return f"{text}, {credits_text(refunded)} refunded, {credits_text(final)} final"
    so_far = f", {credits_text(refunded)} refunded so far" if costs else ""
    left = len(entries) - len(costs)
    return f"{text}{so_far}; {left} batch(es) not settled yet (refunds come when they end)"


def _summary(
    table: Table,
    row_cells: Sequence[tuple[EmailSearch, Sequence[str]]],
    distinct: int,
    entries: Sequence[Entry],
    results: Mapping[str, BulkResults],
    output: Path,
    streams: Streams,
) -> None:
    found = [(s, c) for s, c in row_cells if c[1] == "valid"]
    searched = len(row_cells)
    skipped = len(table.rows) - searched
    share = f" ({100 * len(found) // searched}%)" if searched else ""
    streams.say(
        f"searched {searched} row(s) ({distinct} distinct searches) in {len(entries)}"
        f" batch(es): {len(found)} email(s) found{share}"
        + (f", {skipped} row(s) skipped" if skipped else "")
    )
    if searched > distinct:
        streams.say(
            f"duplicates: {searched - distinct} row(s) got the result of an identical search"
            f" sent once: {searched - distinct} credit(s) saved"
        )
    streams.say(credits_line(entries, results))
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


def _write(
    output: Path, fmt: str, table: Table, by_row: Mapping[int, Sequence[str]], streams: Streams
) -> None:
    """Every input row, in order, its cells as read, then the found cells: neutralised
    against formulas in csv and xlsx, raw in jsonl."""
    skip = found_cells(None, "skipped")
    header = [*table.header, *added_columns(table.header, FOUND_COLUMNS)]
    if fmt == "jsonl":
        records = (
            dict(zip(header, [*row, *by_row.get(number, skip)], strict=True))
            for number, row in enumerate(table.rows)
        )
        write_jsonl(output, records, stdout=streams.out)
        return
    rows = (
        [*row, *map(neutralise, by_row.get(number, skip))] for number, row in enumerate(table.rows)
    )
    if fmt == "xlsx":
        write_xlsx(output, header, rows, stdout=streams.out)
    else:
        write_rows(output, header, rows, stdout=streams.out, like=table)


def _clip(text: str, width: int = 32) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"


async def find(
    options: FindOptions, connect: Connect, streams: Streams, interrupt: Interrupt
) -> int:
    same_file(options.input, options.output)
    stdin = getattr(streams.inp, "buffer", None)
    table = read_table(options.input, options.encoding, stdin)
    fmt = output_format(options.output, options.format)
    columns = find_columns(table, options.columns)
    for line in describe(table, columns):
        streams.say(line)
    searches, rows = searches_of(table, columns)
    distinct, slots = first_of_each(searches, search_identity)
    check_writable(options.output)
    journal = open_journal(fingerprint, options.journal, distinct, options.files, interrupt)
    skipped = len(table.rows) - len(searches)
    if skipped:
        streams.note(
            f"{skipped} row(s) without a name or a company are not sent (qualification skipped)"
        )
    if journal.started:
        streams.note(
            f"resuming: {len(journal.started)} batch(es) already started, from {journal.path}"
        )
    todo = journal.todo(len(distinct), options.batch_size, resend_unknown=options.resend_unknown)
    plan = Plan(
        rows=len(table.rows),
        sendable=len(searches),
        distinct=len(distinct),
        todo=sum(size for _, size in todo),
        batches=len(todo),
        credits=sum(size for _, size in todo),  # 1 credit per search, reserved at the start
    )
    async with connect() as client:
        if not await check_plan(plan, options.guard, client, streams):
            return 0
        starting = Starting(len(todo))
        shown = (
            show_progress(
                starting, stream=streams.err, every=options.wait.progress_every, label="starting"
            )
            if len(todo) > 1
            else contextlib.nullcontext()
        )
        async with shown:
            for offset, size in todo:
                part = distinct[offset : offset + size]
                start = functools.partial(
                    client.start_bulk_search,
                    part,
                    country_code=options.country_code,
                    retrieve_gender=options.gender,
                )
                await start_recorded(journal, interrupt, offset, part, start)
                starting.started += 1
        entries = journal.started
        sizes = {e.batch_id: e.size for e in entries if e.batch_id}
        filled = _Cells(entries, len(distinct))
        waited = await wait_batches(
            client.email.bulk.wait_many,
            sizes,
            hints(entries),
            options.wait,
            streams,
            on_batch=filled.add,
        )
    unknown = journal.unknown
    cells = filled.finish(unknown, waited)
    by_row = {row: cells[slot] for row, slot in zip(rows, slots, strict=True)}
    _write(options.output, fmt, table, by_row, streams)
    row_cells = [(s, cells[slot]) for s, slot in zip(searches, slots, strict=True)]
    _summary(table, row_cells, len(distinct), entries, waited.batches, options.output, streams)
    if waited.problems or unknown:
        raise CliError(incomplete(waited.problems, unknown, journal, options.files))
    lacking = sum(cells[slot][1] == "error" for slot in slots)
    if lacking:  # a row with no result never passes as done
        raise CliError(f"{lacking} row(s) have no result (written with qualification 'error')")
    return 0
