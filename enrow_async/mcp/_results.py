"""A run's results, kept out of the model's context: every row of the list with what was
found, as CSV for the job's file and resource, a few rows as a sample for the answer, and
the counts.

The cells are filled batch by batch as the engine hands the results over (the library's
``tables.RowCells``: the results themselves are not kept); rows without a result say why
in their ``qualification`` (``skipped``, or the engine's gap: ``failed``, ``error``,
``pending``, ``unknown``, ``unsent``). The rows are written by ``tables.write_table``:
cells from API data neutralised against spreadsheet formulas (CWE-1236), the list's own
cells as read.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path
from typing import Any

from enrow_async import EmailResult, FinishedBatch, ListReport
from enrow_async.tables import (
    FOUND_COLUMNS,
    RowCells,
    Table,
    added_columns,
    found_cells,
    write_table,
)

from ._inputs import ListInput

__all__ = ["Cells", "csv_bytes"]


def csv_bytes(header: list[str], rows: list[list[str]]) -> bytes:
    stream = io.StringIO(newline="")
    writer = csv.writer(stream, lineterminator="\r\n")
    writer.writerow(header)
    writer.writerows(rows)
    return stream.getvalue().encode()


class Cells:
    """The cells a run adds to each row of ``listed`` (``find``: the found columns;
    ``verify``: the qualification), filled by the library's ``RowCells``, and up to
    ``sample`` rows to show (found ones, for ``find``)."""

    def __init__(self, listed: ListInput, *, find: bool, sample: int) -> None:
        self.listed = listed
        self.find = find
        self.names: list[str] = list(FOUND_COLUMNS) if find else ["qualification"]
        self.cells: RowCells[Any] = RowCells[Any](
            len(listed.rows),
            listed.rows_of,
            lambda _, result: found_cells(result) if find else [str(result.qualification)],
            lambda status, _: found_cells(None, status) if find else [status],
            skipped=listed.skipped,
            sample=sample,
            wanted=lambda result: not isinstance(result, EmailResult) or result.found,
        )

    def add(self, finished: FinishedBatch[Any]) -> None:
        """One finished batch's results (the engine's ``on_batch``)."""
        self.cells.add(finished)

    def finish(self, report: ListReport) -> None:
        """The rows without a result, marked with why."""
        self.cells.finish(report)

    @property
    def shown(self) -> list[dict[str, Any]]:
        """The sample: each row's number (from 1), what was sent, and its cells."""
        return [self._shown(position) for position in self.cells.shown]

    def _shown(self, position: int) -> dict[str, Any]:
        item = self.listed.items[position]
        row = self.listed.rows_of[position]
        entry: dict[str, Any] = {"row": row + 1}
        if self.find:
            entry["fullname"] = item.fullname
            entry["company"] = item.company_domain or item.company_name
        else:
            entry["email"] = item
        cells = zip(self.names, self.cells.rows[row], strict=True)
        entry.update({name: cell for name, cell in cells if cell})
        return entry

    def counts(self) -> dict[str, int]:
        """Rows by qualification (``valid``, ``invalid``, ``skipped``, a gap's reason...)."""
        return dict(self.cells.counts(1 if self.find else 0).most_common())

    def write(self, path: Path) -> None:
        """Every row of the list, in order, with the added cells: CSV, atomically."""
        listed = self.listed
        header = [*listed.header, *added_columns(listed.header, self.names)]
        table = Table(Path(listed.source), listed.header, listed.rows)
        write_table(path, table, header, self.cells.rows)
