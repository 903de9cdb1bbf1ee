"""``enrow-async verify``: addresses in (a CSV with an email column, or one per line), their
qualification out.

A front-end on the library's list job (``client.verify.list_job``, through
``job.run_list``), as ``find`` is. An address without a valid shape is not sent
(``skipped``); one whose batch gave no result is written with why (``unknown``,
``failed``, ``pending``, ``error``, ``unsent``).
"""

from __future__ import annotations

from typing import Any

from enrow_async import (
    EmailVerification,
    EnrowClient,
    ListJob,
    ListReport,
    Record,
    report_lines,
)
from enrow_async.tables import (
    VERIFIED_COLUMNS,
    RowCells,
    Table,
    added_header,
    addresses_to_send,
    read_emails,
    write_table,
)

from .connect import Connect
from .interrupt import Interrupt
from .job import VerifyOptions, run_list
from .streams import Streams

__all__ = ["verify"]


async def verify(
    options: VerifyOptions, connect: Connect, streams: Streams, interrupt: Interrupt
) -> int:
    stdin = getattr(streams.inp, "buffer", None)
    given = read_emails(options.input, options.email_column, options.encoding, stdin)
    table = given.table or Table(  # one address a line: written as a column of its own
        options.input, ["email"], [[e] for e in given.emails], lineterminator="\n"
    )
    header = added_header(table, VERIFIED_COLUMNS)
    if given.table is not None:
        column = table.header[given.column] if given.column is not None else "?"
        streams.say(f"columns: email <- {column!r}")
    addresses, rows, skipped = addresses_to_send(given.emails)
    if skipped:
        streams.note(
            f"{len(skipped)} row(s) without a valid address are not sent (qualification skipped)"
        )
    cells = RowCells[EmailVerification](
        len(given.emails),
        rows,
        lambda _, result: [str(result.qualification)],
        lambda status, _: [status],
        skipped=skipped,
    )

    def job(client: EnrowClient, record: Record) -> ListJob[Any, Any, Any]:
        return client.verify.list_job(
            addresses, record=record, resend_unknown=options.resend_unknown
        )

    def done(report: ListReport) -> None:
        write_table(options.output, table, header, cells.rows, stdout=streams.out)
        counts = cells.counts(0)
        streams.say(*report_lines(report, counts["valid"], counts["invalid"], noun="address"))
        streams.say(f"output: {options.output}")

    return await run_list(
        options, connect, streams, interrupt, job=job, cells=cells, done=done, unit="address"
    )
