"""``enrow-async find``: a CSV of people in, the same CSV with their emails out.

A front-end on the library's list job (``client.email.list_job``): it reads the table,
maps the columns, shows the plan and the guard, and writes every input row, in order,
with the found cells. Identical searches are sent once and every row that asked for one
gets its result. Rows that could not be searched are written too, with a qualification
saying why (``skipped``, ``unknown``, ``failed``, ``error``, ``pending``, ``unsent``), and
the run exits 1 saying how to go on without paying twice. A run without ``--journal``
that leaves something to resume saves its journal beside the output, so the hint it
prints works.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

import attrs

from enrow_async import MAX_BATCH_SIZE, EmailResult, EmailSearch, FinishedBatch, ListReport
from enrow_async.tables import (
    FOUND_COLUMNS,
    Table,
    added_columns,
    describe,
    find_columns,
    found_cells,
    read_table,
    searches_of,
)

from .connect import Connect
from .credits import credits_line, credits_text
from .csvio import (
    check_writable,
    neutralise,
    output_format,
    same_file,
    write_jsonl,
    write_rows,
    write_xlsx,
)
from .errors import CliError
from .interrupt import Interrupt
from .job import ListOptions, run_job
from .resume import incomplete, open_record
from .streams import Streams

__all__ = ["FindOptions", "find"]


@attrs.frozen(kw_only=True)
class FindOptions(ListOptions):
    batch_size: int = MAX_BATCH_SIZE
    country_code: str | None = None
    gender: bool = True
    columns: Mapping[str, str] = attrs.Factory(dict)
    """Columns named on the command line, by role (``domain`` -> ``Website URL``)."""
    format: str | None = None


class _Cells:
    """The FOUND_COLUMNS cells of every row, filled batch by batch as results arrive (the
    results themselves are not kept), and a few found ones for the summary."""

    def __init__(self, count: int, rows: Sequence[int], searches: Sequence[EmailSearch]) -> None:
        self.cells = [found_cells(None, "skipped")] * count
        self.shown: list[list[str]] = []
        self._rows = rows
        self._searches = searches

    def add(self, finished: FinishedBatch[EmailResult]) -> None:
        for position, result in finished.results:
            cells = self.cells[self._rows[position]] = found_cells(result)
            if cells[1] == "valid" and len(self.shown) < 5:
                search = self._searches[position]
                company = search.company_domain or search.company_name or ""
                self.shown.append([_clip(search.fullname), _clip(company), _clip(cells[0])])

    def finish(self, report: ListReport) -> None:
        """Mark the rows without a result with why."""
        for gap in report.gaps:
            missing = found_cells(None, gap.reason.value)
            for position in gap.positions:
                self.cells[self._rows[position]] = missing


def _summary(
    table: Table, cells: _Cells, report: ListReport, output: Path, streams: Streams
) -> None:
    searched = report.rows
    found = sum(row[1] == "valid" for row in cells.cells)
    skipped = len(table.rows) - searched
    share = f" ({100 * found // searched}%)" if searched else ""
    streams.say(
        f"searched {searched} row(s) ({report.distinct} distinct searches) in"
        f" {len(report.batches)} batch(es): {found} email(s) found{share}"
        + (f", {skipped} row(s) skipped" if skipped else "")
    )
    if report.duplicates:
        streams.say(
            f"duplicates: {report.duplicates} row(s) got the result of an identical search"
            f" sent once: {credits_text(report.saved)} credit(s) saved"
        )
    streams.say(credits_line(report, refunds=True))
    streams.say(f"output: {output}")
    if cells.shown:
        shown = [["name", "company", "email"], *cells.shown]
        widths = [max(len(row[i]) for row in shown) for i in range(3)]
        streams.say()
        for row in shown:
            line = "  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True))
            streams.say(f"  {line}".rstrip())


def _write(
    output: Path, fmt: str, table: Table, cells: Sequence[Sequence[str]], streams: Streams
) -> None:
    """Every input row, in order, its cells as read, then the found cells: neutralised
    against formulas in csv and xlsx, raw in jsonl."""
    header = [*table.header, *added_columns(table.header, FOUND_COLUMNS)]
    if fmt == "jsonl":
        records = (
            dict(zip(header, [*row, *added], strict=True))
            for row, added in zip(table.rows, cells, strict=True)
        )
        write_jsonl(output, records, stdout=streams.out)
        return
    rows = ([*row, *map(neutralise, added)] for row, added in zip(table.rows, cells, strict=True))
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
    check_writable(options.output)
    run = await open_record(options.journal, options.files)
    skipped = len(table.rows) - len(searches)
    if skipped:
        streams.note(
            f"{skipped} row(s) without a name or a company are not sent (qualification skipped)"
        )
    cells = _Cells(len(table.rows), rows, searches)
    async with connect() as client:
        job = client.email.list_job(
            searches,
            record=run.record,
            resend_unknown=options.resend_unknown,
            country_code=options.country_code,
            retrieve_gender=options.gender,
            batch_size=options.batch_size,
        )
        report = await run_job(
            job,
            run,
            options,
            rows=len(table.rows),
            streams=streams,
            interrupt=interrupt,
            on_batch=cells.add,
        )
    if report is None:
        return 0
    cells.finish(report)
    _write(options.output, fmt, table, cells.cells, streams)
    _summary(table, cells, report, options.output, streams)
    if not report.complete:
        raise CliError(incomplete(report, run))
    return 0
