"""DataFrames in, the same DataFrames out: the command line's ``find`` and ``verify`` for a
pandas or polars frame (any eager frame narwhals knows).

A front-end on the list engine, as the CLI is: the frame's columns are found by name
([find_columns][enrow_async.tables.find_columns], with the CLI's ``--name-column`` ...
as keyword arguments), every row gets its pre-flight verdict
([check_rows][enrow_async.tables.check_rows]), and ``client.email.list_job`` (or
``client.verify.list_job``) plans, guards, records, waits and retries. What comes back is
the caller's frame, of its own type, with the result columns appended in row order:
``FIND_COLUMNS`` (the CLI's found cells, then ``note``) or ``VERIFY_COLUMNS``, each
prefixed ``enrow_`` where the frame already has a column of that name. A row without a
result says why in ``qualification`` (``skipped``, or the engine's ``pending``,
``unknown``, ``failed``, ``error``, ``unsent``) and ``note``; empty cells are nulls.
"""

from __future__ import annotations

import os
from collections.abc import Awaitable, Callable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any, overload

import attrs

from .._core.jobs import MAX_BATCH
from .._io.waiting import call
from ..client import DEFAULT_TIMEOUT, EnrowClient
from ..errors import TableError
from ..lists import (
    Estimate,
    GapReason,
    JournalFile,
    ListJob,
    ListReport,
    Record,
    gap_lines,
    report_lines,
)
from ..models import EmailResult, EmailVerification, JobProgress
from ..tables import (
    FOUND_COLUMNS,
    ROLES,
    RowCells,
    Table,
    added_columns,
    addresses_to_send,
    check_rows,
    describe,
    describe_checks,
    find_columns,
    find_email_column,
    found_cells,
    searches_to_send,
)
from .progress import ProgressBar

try:
    import narwhals as nw
    from narwhals.typing import IntoDataFrameT
except ImportError as _missing:  # pragma: no cover - the frames extra is missing
    raise ImportError(
        "enrow_async.frames needs narwhals: pip install 'enrow-async[frames]'"
    ) from _missing

__all__ = ["FIND_COLUMNS", "VERIFY_COLUMNS", "find_emails_frame", "verify_emails_frame"]

FIND_COLUMNS = (*FOUND_COLUMNS, "note")
"""What ``find_emails_frame`` appends: the CLI's found cells, then ``note`` (why a row was
skipped or has no result, or what was cleaned in what was sent)."""

VERIFY_COLUMNS = ("qualification", "note")
"""What ``verify_emails_frame`` appends."""

_FRAME = Path("frame")
"""How messages about a frame's columns name it."""

_HINTS = {
    GapReason.PENDING.value: "run again with the same record to collect it",
    GapReason.UNKNOWN.value: "it may have started: resend_unknown=True sends it again",
    GapReason.FAILED.value: "retry_failed=True sends it again",
    GapReason.ERROR.value: "retry_failed=True sends it again",
    GapReason.UNSENT.value: "run again to send it",
}
"""How to go on with a row without a result, by the reason it has none."""


class _Rows(Sequence[list[str]]):
    """A frame's rows as a Table's: the cells of the columns read, ``""`` elsewhere."""

    def __init__(self, cells: Mapping[int, list[str]], width: int, count: int) -> None:
        self._cells = cells
        self._width = width
        self._count = count

    def __len__(self) -> int:
        return self._count

    @overload
    def __getitem__(self, index: int) -> list[str]: ...

    @overload
    def __getitem__(self, index: slice) -> list[list[str]]: ...

    def __getitem__(self, index: int | slice) -> list[str] | list[list[str]]:
        if isinstance(index, slice):
            return [self[i] for i in range(*index.indices(self._count))]
        row = [""] * self._width
        for position, cells in self._cells.items():
            row[position] = cells[index]
        return row

    def __iter__(self) -> Iterator[list[str]]:
        return (self[i] for i in range(self._count))


def _texts(data: nw.DataFrame[Any], position: int) -> list[str]:
    """One column's cells as text: a null (``None``, ``NaN``, ``NA``) is ``""``."""
    series = data.get_column(data.columns[position])
    nulls = series.is_null().to_list()
    return [
        "" if null else value if isinstance(value, str) else str(value)
        for value, null in zip(series.to_list(), nulls, strict=True)
    ]


def _table(data: nw.DataFrame[Any], positions: Sequence[int]) -> Table:
    """The frame as a Table holding the cells of the columns at ``positions`` only."""
    header = [str(name) for name in data.columns]
    cells = {p: _texts(data, p) for p in sorted(set(positions))}
    return Table(_FRAME, header, _Rows(cells, len(header), len(data)))


def _names(header: Sequence[str], names: Sequence[str]) -> list[str]:
    """``names`` prefixed as the CLI does, and again while a name is still the frame's
    (a frame cannot hold two columns of one name)."""
    taken = {name.strip().casefold() for name in header}
    found = []
    for name in added_columns(header, names):
        while name.casefold() in taken:
            name = f"enrow_{name}"
        found.append(name)
    return found


def _appended(
    data: nw.DataFrame[Any], names: Sequence[str], columns: Sequence[list[str | None]]
) -> Any:
    header = [str(name) for name in data.columns]
    series = [
        nw.new_series(name, values, dtype=nw.String(), backend=data.implementation)
        for name, values in zip(_names(header, names), columns, strict=True)
    ]
    return data.with_columns(*series).to_native()


def _record(record: Record | str | os.PathLike[str] | None, kind: str) -> Record | None:
    if isinstance(record, str | os.PathLike):
        return JournalFile(Path(record), kind=kind)
    return record


def _no_result(names: Sequence[str]) -> Callable[[str, str], list[str]]:
    """The cells of a row without a result: why in ``qualification`` and in ``note`` (the
    last of ``names``), with how to go on; the others empty."""

    def cells(status: str, detail: str) -> list[str]:
        hint = _HINTS.get(status, "")
        row = [""] * len(names)
        row[names.index("qualification")] = status
        row[-1] = f"{detail}: {hint}" if detail and hint else detail or hint
        return row

    return cells


def _columns(rows: Sequence[Sequence[str]], width: int) -> list[list[str | None]]:
    """Rows of cells as columns, an empty cell as a null."""
    return [[row[column] or None for row in rows] for column in range(width)]


def _eager(frame: object, call: str) -> nw.DataFrame[Any]:
    """``frame`` through narwhals, or TypeError saying what ``call`` takes."""
    try:
        return nw.from_native(frame, eager_only=True)
    except TypeError:
        raise TypeError(
            f"{call} takes a DataFrame (pandas, polars, or any eager frame narwhals knows),"
            f" got {type(frame).__module__}.{type(frame).__qualname__}"
            " (a LazyFrame: .collect() it first)"
        ) from None


def _summary(report: ListReport, counts: Mapping[str, int], noun: str, rows: int) -> str:
    """The run in one line (``report_lines``), and why rows have no result (``gap_lines``)."""
    said = report_lines(report, counts["valid"], counts["invalid"], noun=noun, rows=rows)
    if report.gaps:
        said += [f"{len(report.missing)} row(s) without a result (see the note column)"]
        said += gap_lines(report)
    return "; ".join(said)


async def _drive(
    job: ListJob[Any, Any, Any],
    cells: RowCells[Any],
    data: nw.DataFrame[Any],
    names: Sequence[str],
    *,
    on_report: Callable[[ListReport], object] | None,
    timeout: float | None,
    max_credits: float | None,
    confirm: Callable[[Estimate], bool | Awaitable[bool]] | None,
    retry_failed: bool,
    progress: bool,
    on_progress: Callable[[JobProgress], object] | None,
    summary: Callable[[ListReport], str],
) -> Any:
    """Plan, guard and run ``job``, its progress shown when ``progress``, its results
    placed by ``cells``: ``data`` with the columns ``names`` appended."""
    estimate = await job.estimate()
    job.check(estimate, max_credits=max_credits)  # refused before any bar is drawn
    bar = ProgressBar(estimate) if progress else None

    async def relay(job_progress: JobProgress) -> None:
        if bar is not None:
            bar.update(job_progress)
        if on_progress is not None:
            await call(on_progress, job_progress)

    report = None
    try:
        report = await job.run(
            timeout=timeout,
            max_credits=max_credits,
            confirm=confirm,
            on_batch=cells.add,
            on_progress=relay if bar is not None or on_progress is not None else None,
            on_started=None if bar is None else bar.started,
            retry_failed=retry_failed,
        )
    finally:
        if bar is not None:
            bar.close(None if report is None else summary(report))
    cells.finish(report)
    if on_report is not None:
        on_report(report)
    return _appended(data, names, _columns(cells.rows, len(names)))


async def find_emails_frame(
    client: EnrowClient,
    frame: IntoDataFrameT,
    *,
    name_column: str | None = None,
    first_name_column: str | None = None,
    last_name_column: str | None = None,
    domain_column: str | None = None,
    company_column: str | None = None,
    custom_column: str | None = None,
    email_column: str | None = None,
    skip_with_email: bool = True,
    record: Record | str | os.PathLike[str] | None = None,
    resend_unknown: bool = False,
    timeout: float | None = DEFAULT_TIMEOUT,
    max_credits: float | None = None,
    confirm: Callable[[Estimate], bool | Awaitable[bool]] | None = None,
    retry_failed: bool = False,
    country_code: str | None = None,
    retrieve_gender: bool = True,
    batch_size: int = MAX_BATCH,
    progress: bool = True,
    on_progress: Callable[[JobProgress], object] | None = None,
    on_report: Callable[[ListReport], object] | None = None,
) -> IntoDataFrameT:
    """The emails of the people in ``frame`` (pandas, polars, any eager frame narwhals
    knows): the same frame, of the same type, with ``FIND_COLUMNS`` appended in row order.

    Columns are found by name as the CLI finds them (``Full Name``, ``First Name`` and
    ``Last Name``, ``Website URL``, ``Company``, ...) or named by the ``*_column``
    arguments (TableError when one is missing). Rows not worth paying for are not sent
    (``skipped``, with the reason in ``note``): blank, totals or notes rows, names
    missing, one-word or too long, no usable company, and rows that already have an
    email, unless ``skip_with_email=False``. Identical searches are sent once.

    The run is the engine's ([ListJob.run][enrow_async.ListJob.run]): refused with
    SpendingRefusedError before any POST above ``max_credits``, the balance, or when
    ``confirm(estimate)`` says no; every start kept in ``record`` (a
    [Record][enrow_async.Record], or a path for a [JournalFile][enrow_async.JournalFile]),
    so the same call over the same record after an interruption waits for the batches
    already started instead of paying for them again. ``retry_failed`` sends again, once,
    the rows whose batch failed or came back without them. The frame comes back whatever
    way the wait ended: rows without a result say why (``pending``, ``unknown``,
    ``failed``, ...) and how to go on, in ``note``; ``on_report`` receives the
    [ListReport][enrow_async.ListReport]. ``progress`` prints the column mapping, draws
    a bar (see [ProgressBar][enrow_async.frames.ProgressBar]) and a summary line below it.
    """
    data = _eager(frame, "find_emails_frame")
    chosen = {
        role: name
        for role, name in (
            ("fullname", name_column),
            ("first", first_name_column),
            ("last", last_name_column),
            ("domain", domain_column),
            ("company", company_column),
            ("custom", custom_column),
            ("email", email_column),
        )
        if name is not None
    }
    header = [str(name) for name in data.columns]
    try:
        columns = find_columns(Table(_FRAME, header, []), chosen)
    except TableError as exc:
        exc.add_note(
            "find_emails_frame names them with name_column=, first_name_column=,"
            " last_name_column=, domain_column=, company_column=, custom_column="
        )
        raise
    if not skip_with_email:
        columns = attrs.evolve(columns, email=None)
    read = [getattr(columns, role) for role in ROLES]
    table = _table(data, [*(p for p in read if p is not None), *columns.more_domains])
    checks = check_rows(table, columns)
    searches, rows, skipped = searches_to_send(checks)
    changes = ["; ".join(c.value for c in checks[row].changes) for row in rows]
    cells = RowCells[EmailResult](
        len(checks),
        rows,
        lambda position, result: [*found_cells(result), changes[position]],
        _no_result(FIND_COLUMNS),
        skipped=skipped,
    )
    if progress:
        for line in [*describe(table, columns), *describe_checks(checks)]:
            print(line)
    del checks
    job = client.email.list_job(
        searches,
        record=_record(record, "find"),
        resend_unknown=resend_unknown,
        country_code=country_code,
        retrieve_gender=retrieve_gender,
        batch_size=batch_size,
    )
    result: IntoDataFrameT = await _drive(
        job,
        cells,
        data,
        FIND_COLUMNS,
        on_report=on_report,
        timeout=timeout,
        max_credits=max_credits,
        confirm=confirm,
        retry_failed=retry_failed,
        progress=progress,
        on_progress=on_progress,
        summary=lambda report: _summary(report, cells.counts(1), "search", len(table.rows)),
    )
    return result


async def verify_emails_frame(
    client: EnrowClient,
    frame: IntoDataFrameT,
    *,
    email_column: str | None = None,
    record: Record | str | os.PathLike[str] | None = None,
    resend_unknown: bool = False,
    timeout: float | None = DEFAULT_TIMEOUT,
    max_credits: float | None = None,
    confirm: Callable[[Estimate], bool | Awaitable[bool]] | None = None,
    retry_failed: bool = False,
    batch_size: int = MAX_BATCH,
    progress: bool = True,
    on_progress: Callable[[JobProgress], object] | None = None,
    on_report: Callable[[ListReport], object] | None = None,
) -> IntoDataFrameT:
    """The addresses of ``frame``'s email column verified: the same frame, of the same
    type, with ``VERIFY_COLUMNS`` appended in row order.

    The column is ``email_column``, else the first named like one (``Email``,
    ``E-mail``, ``Work Email``, ...). A cell that is not an address is not sent
    (``skipped``); identical addresses are verified once. The run, its guard, record,
    resume, retry and progress are those of
    [find_emails_frame][enrow_async.frames.find_emails_frame].
    """
    data = _eager(frame, "verify_emails_frame")
    header = [str(name) for name in data.columns]
    try:
        position = find_email_column(Table(_FRAME, header, []), email_column)
    except TableError as exc:
        exc.add_note("verify_emails_frame names it with email_column=")
        raise
    emails, rows, skipped = addresses_to_send(_texts(data, position))
    cells = RowCells[EmailVerification](
        len(data),
        rows,
        lambda _, result: [str(result.qualification), ""],
        _no_result(VERIFY_COLUMNS),
        skipped=skipped,
    )
    job = client.verify.list_job(
        emails,
        record=_record(record, "verify"),
        resend_unknown=resend_unknown,
        batch_size=batch_size,
    )
    result: IntoDataFrameT = await _drive(
        job,
        cells,
        data,
        VERIFY_COLUMNS,
        on_report=on_report,
        timeout=timeout,
        max_credits=max_credits,
        confirm=confirm,
        retry_failed=retry_failed,
        progress=progress,
        on_progress=on_progress,
        summary=lambda report: _summary(report, cells.counts(0), "address", len(data)),
    )
    return result
