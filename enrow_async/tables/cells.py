"""The cells a result becomes in a table: what a list job appends to each input row
(``ADDED_COLUMNS``, named the same whatever the input's own columns), and one row per result
(``RESULT_COLUMNS``), for every front-end that writes tables (the CLI, the DataFrame
helpers).

A row's ``enrow_status`` says in words what became of it: ``found``, ``not found`` (the API
found no address: the credit is refunded), ``skipped`` (never sent: ``enrow_reason`` says
why, in the words of [SkipReason][enrow_async.SkipReason]), or why its batch gave no result
(``pending``, ``unknown``, ``failed``, ``error``, ``unsent``: the words of
[GapReason][enrow_async.GapReason], with the details in ``enrow_reason``)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any, Generic, TypeVar

import orjson

from ..errors import TableError
from ..lists import FinishedBatch, GapReason, ListReport
from ..models import EmailResult
from .read import Table

R = TypeVar("R")

__all__ = [
    "FORMULA_STARTS",
    "neutralise",
    "ADDED_COLUMNS",
    "FOUND",
    "FOUND_COLUMNS",
    "NOT_FOUND",
    "RESULT_COLUMNS",
    "SKIPPED",
    "VERIFIED_COLUMNS",
    "RowCells",
    "added_cells",
    "added_columns",
    "added_header",
    "found_cells",
    "record_cells",
    "result_record",
]

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
"""What makes a spreadsheet read a cell as a formula (CWE-1236)."""


def neutralise(cell: str) -> str:
    """``cell`` with a ``'`` in front when a spreadsheet would run it as a formula: what a
    front-end does to every cell it writes from API data into CSV or xlsx."""
    return f"'{cell}" if cell.startswith(FORMULA_STARTS) else cell


FOUND_COLUMNS = ("email", "qualification", "firstname", "lastname", "gender", "company")
"""A result's own fields, as the API names them (``RESULT_COLUMNS``)."""

ADDED_COLUMNS = (
    "enrow_email",
    "enrow_status",
    "enrow_firstname",
    "enrow_lastname",
    "enrow_gender",
    "enrow_company",
    "enrow_reason",
)
"""What ``find`` appends to every input row, whatever the input's own columns."""

VERIFIED_COLUMNS = ("enrow_qualification",)
"""What ``verify`` appends to every input row: ``valid`` (deliverable), ``invalid``, or why
there is none (``skipped``, ``pending``, ...)."""

FOUND = "found"
NOT_FOUND = "not found"
SKIPPED = "skipped"

RESULT_COLUMNS = (
    "batch_id",
    "index",
    "fullname",
    "company_domain",
    "company_name",
    "custom",
    *FOUND_COLUMNS,
)
"""One row per result for ``wait`` and ``results``: the search as sent, then what was found."""


def added_columns(header: Sequence[str], names: Iterable[str]) -> list[str]:
    """``names``, prefixed ``enrow_`` where the input already has a column of that name
    (the DataFrame helpers' naming; the CLI's is ``ADDED_COLUMNS``, always prefixed)."""
    taken = {name.strip().casefold() for name in header}
    return [f"enrow_{name}" if name.casefold() in taken else name for name in names]


def added_header(table: Table, names: Sequence[str]) -> list[str]:
    """The output's header: the input's, then ``names``; TableError (exit 2, before
    anything is sent) when the input already has one of them (an earlier output?)."""
    taken = {name.strip().casefold() for name in table.header}
    clash = [name for name in names if name.casefold() in taken]
    if clash:
        raise TableError(
            f"{table.path}: already has the column(s) {', '.join(map(repr, clash))} that"
            " enrow-async adds (an earlier output?): rename or remove them; to complete an"
            " interrupted run, run it again with its --journal"
        )
    return [*table.header, *names]


def _company(result: EmailResult) -> str:
    info = result.info
    if info is None or info.company_info is None:
        return ""
    return info.company_info.name or ""


def found_cells(result: EmailResult | None, qualification: str | None = None) -> list[str]:
    """The FOUND_COLUMNS cells of one input row; ``qualification`` overrides (skipped, ...)."""
    if result is None:
        return ["", qualification or "", "", "", "", ""]
    info = result.info
    return [
        result.email or "",
        qualification or str(result.qualification),
        (info.firstname or "") if info else "",
        (info.lastname or "") if info else "",
        (info.gender or "") if info else "",
        _company(result),
    ]


def added_cells(result: EmailResult | None, status: str = SKIPPED, reason: str = "") -> list[str]:
    """The ADDED_COLUMNS cells of one input row: its result's (``found`` or ``not found``),
    else ``status`` and ``reason`` (why it has none)."""
    if result is None:
        return ["", status, "", "", "", "", reason]
    email, qualification, *info = found_cells(result)
    return [email, FOUND if qualification == "valid" else NOT_FOUND, *info, ""]


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    return orjson.dumps(value).decode()


def result_record(batch_id: str, result: EmailResult) -> dict[str, Any]:
    """One result as a flat record with the RESULT_COLUMNS keys (``custom`` kept as sent)."""
    params = result.raw_params
    record: dict[str, Any] = {
        "batch_id": batch_id,
        "index": result.index,
        "fullname": params.get("fullname"),
        "company_domain": params.get("company_domain"),
        "company_name": params.get("company_name"),
        "custom": result.custom,
    }
    found = found_cells(result)
    record.update({name: cell or None for name, cell in zip(FOUND_COLUMNS, found, strict=True)})
    return record


def record_cells(record: Mapping[str, Any]) -> list[str]:
    return [_text(record[name]) for name in RESULT_COLUMNS]


class RowCells(Generic[R]):
    """The cells a list job adds to each of ``count`` rows of a table, filled batch by batch
    as its results arrive (the results themselves are not kept).

    ``sent`` is the row of each item the job was given, by the item's position; a result
    becomes ``cells(position, result)`` on its row. Every other row is
    ``missing(status, reason)``: ``skipped`` and the reason ``skipped`` gives it (rows not
    sent), ``unsent`` until its result arrives, and after ``finish`` the gap's reason
    (``pending``, ``failed``...) and detail. ``shown`` keeps the positions of the first
    ``sample`` results ``wanted``, in the order they arrived."""

    def __init__(
        self,
        count: int,
        sent: Sequence[int],
        cells: Callable[[int, R], list[str]],
        missing: Callable[[str, str], list[str]],
        *,
        skipped: Mapping[int, str] | None = None,
        sample: int = 0,
        wanted: Callable[[R], bool] = lambda _: True,
    ) -> None:
        reasons = skipped or {}
        unsent = missing(GapReason.UNSENT.value, "")
        self.rows: list[list[str]] = [
            missing(SKIPPED, reasons[row]) if row in reasons else unsent for row in range(count)
        ]
        self.sent: Sequence[int] = sent
        self.shown: list[int] = []
        self._cells = cells
        self._missing = missing
        self._sample = sample
        self._wanted = wanted

    def add(self, finished: FinishedBatch[R]) -> None:
        """One finished batch's results (the engine's ``on_batch``)."""
        for position, result in finished.results:
            self.rows[self.sent[position]] = self._cells(position, result)
            if len(self.shown) < self._sample and self._wanted(result):
                self.shown.append(position)

    def finish(self, report: ListReport) -> None:
        """Mark each row without a result with why (its gap's reason and detail)."""
        for gap in report.gaps:
            cells = self._missing(gap.reason.value, gap.detail)
            for position in gap.positions:
                self.rows[self.sent[position]] = cells

    def counts(self, column: int) -> Counter[str]:
        """How many rows hold each value of ``column`` (a status: ``found``, ``valid``...)."""
        return Counter(row[column] for row in self.rows)
