"""A run's results, kept out of the model's context: every row of the list with what was
found, as CSV for the job's file and resource, a few rows as a sample for the answer, and
the counts.

The cells are filled batch by batch as the engine hands the results over (the results
themselves are not kept); rows without a result say why in their ``qualification``
(``skipped``, or the engine's gap: ``failed``, ``error``, ``pending``, ``unknown``,
``unsent``). Cells written from API data are neutralised against spreadsheet formulas
(CWE-1236); the list's own cells are written as read.
"""

from __future__ import annotations

import csv
import io
from collections import Counter
from typing import Any

from enrow_async import EmailResult, EmailVerification, FinishedBatch, ListReport
from enrow_async.tables import FOUND_COLUMNS, added_columns, found_cells, neutralise

from .inputs import ListInput

__all__ = ["Cells", "csv_bytes"]


def csv_bytes(header: list[str], rows: list[list[str]]) -> bytes:
    stream = io.StringIO(newline="")
    writer = csv.writer(stream, lineterminator="\r\n")
    writer.writerow(header)
    writer.writerows(rows)
    return stream.getvalue().encode()


class Cells:
    """The cells a run adds to each row of ``listed`` (``find``: the found columns;
    ``verify``: the qualification), and up to ``sample`` rows to show."""

    def __init__(self, listed: ListInput, *, find: bool, sample: int) -> None:
        self.listed = listed
        self.find = find
        self.names: list[str] = list(FOUND_COLUMNS) if find else ["qualification"]
        self.added: list[list[str]] = [self._empty("") for _ in listed.rows]
        for row in listed.skipped:
            self.added[row] = self._empty("skipped")
        self.shown: list[dict[str, Any]] = []
        self._sample = sample

    def _empty(self, qualification: str) -> list[str]:
        return found_cells(None, qualification) if self.find else [qualification]

    def add(self, finished: FinishedBatch[Any]) -> None:
        """One finished batch's results, by position in the items sent."""
        for position, result in finished.results:
            row = self.listed.rows_of[position]
            if isinstance(result, EmailResult):
                self.added[row] = found_cells(result)
                wanted = result.found
            else:
                assert isinstance(result, EmailVerification)
                self.added[row] = [str(result.qualification)]
                wanted = True
            if wanted and len(self.shown) < self._sample:
                self.shown.append(self._shown(position, row))

    def _shown(self, position: int, row: int) -> dict[str, Any]:
        item = self.listed.items[position]
        entry: dict[str, Any] = {"row": row + 1}
        if self.find:
            entry["fullname"] = item.fullname
            entry["company"] = item.company_domain or item.company_name
        else:
            entry["email"] = item
        cells = zip(self.names, self.added[row], strict=True)
        entry.update({name: cell for name, cell in cells if cell})
        return entry

    def finish(self, report: ListReport) -> None:
        """The rows without a result, marked with why."""
        for gap in report.gaps:
            for position in gap.positions:
                self.added[self.listed.rows_of[position]] = self._empty(gap.reason.value)

    def counts(self) -> dict[str, int]:
        """Rows by qualification (``valid``, ``invalid``, ``skipped``, a gap's reason...)."""
        column = 1 if self.find else 0
        return dict(Counter(cells[column] for cells in self.added).most_common())

    def table(self) -> bytes:
        """Every row of the list, in order, with the added cells: CSV."""
        header = [*self.listed.header, *added_columns(self.listed.header, self.names)]
        rows = [
            [*row, *map(neutralise, added)]
            for row, added in zip(self.listed.rows, self.added, strict=True)
        ]
        return csv_bytes(header, rows)
