"""How much of an input file the command line reads before refusing it (TableError).

The limits are far above real lead lists, and each is checked as the file is read, before
memory grows: a CSV file's size is known before it is read and its rows are measured
before they are parsed; an xlsx workbook's parts are checked by their declared sizes and
streamed (``xlsx``). So the memory a file can make the reader use stays within a few times
``size``, whatever the file holds.
"""

from __future__ import annotations

from pathlib import Path

import attrs

from ..errors import TableError

__all__ = ["LIMITS", "TableLimits"]


@attrs.frozen
class TableLimits:
    """The limits on one input table (CSV, or a sheet of an xlsx workbook)."""

    rows: int = 1_000_000
    """Rows after the header line."""
    columns: int = 1_000
    """Columns of a row."""
    cell: int = 32 * 1024
    """Characters of one cell (or of one of an xlsx workbook's shared strings)."""
    row: int = 128 * 1024
    """Characters of one CSV row as written in the file: delimiters, quotes and the line
    breaks inside quoted cells included."""
    size: int = 1024**3
    """Bytes of a CSV file; of an xlsx workbook's sheet, and of its shared strings, each
    uncompressed."""


LIMITS = TableLimits()
"""The limits ``enrow-async`` reads its input files with."""


def over_limit(path: Path, what: str, limit: int, unit: str) -> TableError:
    """The TableError for ``path`` when ``what`` goes over ``limit`` ``unit``."""
    return TableError(f"{path}: {what} (the limit is {limit:,} {unit})")
