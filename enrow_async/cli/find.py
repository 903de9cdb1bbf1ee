"""``enrow-async find``: a table of people in (CSV or xlsx), the same table with their
emails out.

A front-end on the library: it reads the table (``tables.read_table``: the sheet and the
header row found or chosen), maps the columns, checks every row (``tables.check_rows``:
junk, totals and rows that already have an email are not paid for; names and domains are
cleaned in what is sent, never in the file), shows the counts and runs the list job
(``client.email.list_job``, through ``job.run_list``), then writes every input row, in
order, its cells as read, with the ``enrow_*`` columns (``tables.ADDED_COLUMNS``). Rows
without a result are written too, with a status saying why (``skipped`` and its reason,
``unknown``, ``failed``, ``error``, ``pending``, ``unsent``).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from enrow_async import (
    EmailResult,
    EmailSearch,
    EnrowClient,
    ListJob,
    ListReport,
    Record,
    RowCheck,
    SkipReason,
    report_lines,
)
from enrow_async.tables import (
    ADDED_COLUMNS,
    FOUND,
    NOT_FOUND,
    RowCells,
    added_cells,
    added_header,
    check_rows,
    describe,
    describe_checks,
    describe_table,
    find_columns,
    output_format,
    read_table,
    searches_to_send,
    write_table,
)

from .connect import Connect
from .interrupt import Interrupt
from .job import FindOptions, run_list
from .streams import Streams

__all__ = ["find"]


def _hints(checks: Sequence[RowCheck]) -> list[str]:
    """The options that send rows the checks skipped, if they skipped any."""
    skipped = {check.skipped for check in checks}
    hints = []
    if SkipReason.HAS_EMAIL in skipped:
        hints.append("--include-rows-with-email searches the rows that already have one")
    doubtful = {SkipReason.ONE_WORD, SkipReason.TOO_LONG, SkipReason.NOT_A_COMPANY}
    if doubtful & skipped:
        hints.append("--no-row-checks sends every row with a name and a company as typed")
    return [f"rows: {'; '.join(hints)}"] if hints else []


def _sample(cells: RowCells[EmailResult], searches: Sequence[EmailSearch]) -> list[str]:
    """The first emails found, a row each under a blank line (name, company, email)."""
    if not cells.shown:
        return []
    shown = [["name", "company", "email"]]
    for position in cells.shown:
        search = searches[position]
        company = search.company_domain or search.company_name or ""
        email = cells.rows[cells.sent[position]][0]
        shown.append([_clip(search.fullname), _clip(company), _clip(email)])
    widths = [max(len(row[i]) for row in shown) for i in range(3)]
    aligned = ("  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)) for row in shown)
    return ["", *(f"  {line}".rstrip() for line in aligned)]


def _clip(text: str, width: int = 32) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"


async def find(
    options: FindOptions, connect: Connect, streams: Streams, interrupt: Interrupt
) -> int:
    stdin = getattr(streams.inp, "buffer", None)
    table = read_table(
        options.input,
        options.encoding,
        stdin,
        sheet=options.sheet,
        header_row=options.header_row,
    )
    fmt = output_format(options.output, options.format)
    header = added_header(table, ADDED_COLUMNS)
    columns = find_columns(table, options.columns)
    streams.say(describe_table(table), *describe(table, columns))
    checks = check_rows(
        table, columns, skip_with_email=not options.include_with_email, as_typed=options.as_typed
    )
    counts, *cleaned = describe_checks(checks)
    streams.say(counts, *_hints(checks), *cleaned)
    searches, rows, skipped = searches_to_send(checks)
    cells = RowCells[EmailResult](
        len(checks),
        rows,
        lambda _, result: added_cells(result),
        lambda status, reason: added_cells(None, status, reason),
        skipped=skipped,
        sample=5,
        wanted=lambda result: result.found,
    )

    def done(report: ListReport) -> None:
        note = write_table(
            options.output, table, header, cells.rows, format=fmt, stdout=streams.out
        )
        if note:
            streams.note(note)
        counts = cells.counts(1)
        found, missed = counts[FOUND], counts[NOT_FOUND]
        streams.say(
            *report_lines(report, found, missed, rows=len(cells.rows)),
            f"output: {options.output} (enrow_status: found, not found, skipped: see enrow_reason)",
            *_sample(cells, searches),
        )

    def job(client: EnrowClient, record: Record) -> ListJob[Any, Any, Any]:
        return client.email.list_job(
            searches,
            record=record,
            resend_unknown=options.resend_unknown,
            country_code=options.country_code,
            retrieve_gender=options.gender,
            batch_size=options.batch_size,
        )

    return await run_list(options, connect, streams, interrupt, job=job, cells=cells, done=done)
