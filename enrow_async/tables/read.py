"""Tables in: CSV and ``.xlsx`` (the ``xlsx`` extra) read whole into a ``Table``, within
``LIMITS``, the way people export them.

CSV input is UTF-8 unless a BOM says UTF-8 or UTF-16 (LE/BE), or ``encoding`` says otherwise
(``cp1252`` for Excel on Windows); the delimiter is read from the header line and kept, as
is the line ending; blank lines stay rows, so row N of the output can be row N of the
input. ``-`` reads the standard input. A file over one of the limits (rows, columns, cell
and row lengths, bytes) is refused with [TableError][enrow_async.TableError] before it can
make memory grow.
"""

from __future__ import annotations

import codecs
import contextlib
import csv
import io
import os
import re
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any, BinaryIO, overload

import attrs

from ..errors import TableError
from .limits import LIMITS, TableLimits, over_limit

__all__ = [
    "CsvRows",
    "Table",
    "parse_table",
    "read_table",
    "read_text",
    "read_xlsx",
    "require_openpyxl",
]

_DELIMITERS = ",;\t|"

_LINE = re.compile(r"[^\r\n]*(?:\r\n|\r|\n)|[^\r\n]+")
"""A line and its ending, split as ``io.StringIO(text, newline="")`` splits them; that keeps
a copy of its text at four bytes a character, which iterating over matches does not."""


def _lines(text: str) -> Iterator[str]:
    return (match.group() for match in _LINE.finditer(text))


class CsvRows(Sequence[list[str]]):
    """The data rows of a CSV text, padded to ``width``, parsed again on each pass: a large
    file is kept as its text (a few bytes a cell), not as lists of cells (about 60)."""

    def __init__(self, text: str, delimiter: str, width: int, count: int) -> None:
        self._text = text
        self._delimiter = delimiter
        self._width = width
        self._count = count

    def __len__(self) -> int:
        return self._count

    def __eq__(self, other: object) -> bool:
        """Equal to any sequence of the same rows (a list of lists, say)."""
        if not isinstance(other, Sequence):
            return NotImplemented
        return len(self) == len(other) and all(
            mine == list(theirs) for mine, theirs in zip(self, other, strict=True)
        )

    __hash__ = None  # type: ignore[assignment]

    def __iter__(self) -> Iterator[list[str]]:
        reader = csv.reader(_lines(self._text), delimiter=self._delimiter)
        next(reader, None)  # the header
        for row in reader:
            if len(row) < self._width:
                row.extend([""] * (self._width - len(row)))
            yield row

    @overload
    def __getitem__(self, index: int) -> list[str]: ...

    @overload
    def __getitem__(self, index: slice) -> list[list[str]]: ...

    def __getitem__(self, index: int | slice) -> list[str] | list[list[str]]:
        return list(self)[index]


@attrs.frozen
class Table:
    """A table read whole: header, rows (padded to one width) and how it was written."""

    path: Path
    header: list[str]
    rows: Sequence[list[str]]
    delimiter: str = ","
    lineterminator: str = "\r\n"
    bom: bool = False
    """Written back with a BOM (UTF-8): the input had one, or was not UTF-8."""


_BOMS = (
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)


@contextlib.contextmanager
def _opened(path: Path) -> Iterator[BinaryIO]:
    """``path`` open for reading, or TableError saying why it cannot be."""
    try:
        stream = path.open("rb")
    except FileNotFoundError:
        raise TableError(f"{path}: no such file") from None
    except IsADirectoryError:
        raise TableError(f"{path}: is a directory, not a file") from None
    except OSError as exc:
        raise TableError(f"{path}: cannot read it ({exc.strerror or exc})") from None
    with stream:
        yield stream


def _bounded(path: Path, stream: BinaryIO, limit: int) -> bytearray:
    """All of ``stream``, or TableError as soon as it holds more than ``limit`` bytes."""
    data = bytearray()
    while chunk := stream.read(min(1 << 20, limit + 1 - len(data))):
        data += chunk
        if len(data) > limit:
            raise over_limit(path, "too many bytes", limit, "bytes")
    return data


def _raw(path: Path, stdin: BinaryIO | None, limit: int) -> bytearray:
    """The bytes of ``path`` (``-``: ``stdin``): a file larger than ``limit`` is refused
    before it is read, the standard input as soon as it gives more."""
    if str(path) == "-":
        if stdin is None:
            raise TableError("-: no standard input to read")
        return _bounded(path, stdin, limit)
    with _opened(path) as stream:
        size = os.fstat(stream.fileno()).st_size
        if size > limit:
            raise over_limit(path, f"{size:,} bytes", limit, "bytes")
        try:
            return _bounded(path, stream, limit)
        except OSError as exc:
            raise TableError(f"{path}: cannot read it ({exc.strerror or exc})") from None


def read_text(
    path: Path,
    encoding: str | None = None,
    stdin: BinaryIO | None = None,
    limits: TableLimits = LIMITS,
) -> tuple[str, bool]:
    """The text of ``path`` (``-``: ``stdin``) and whether to write a BOM back, or TableError
    saying why not (``limits.size`` bytes at most). A BOM decides the encoding; else
    ``encoding``, else UTF-8."""
    raw = _raw(path, stdin, limits.size)
    chosen = next((name for bom, name in _BOMS if raw.startswith(bom)), None)
    name = chosen or encoding or "utf-8"
    try:
        codecs.lookup(name)
    except LookupError:
        raise TableError(f"--encoding {name}: not an encoding Python knows") from None
    utf8 = codecs.lookup(name).name in ("utf-8", "utf-8-sig")
    try:
        text = raw.decode(name)
    except UnicodeDecodeError as exc:
        shown, hint = (
            ("UTF-8", "; if it comes from Excel on Windows, try --encoding cp1252 (or latin-1)")
            if utf8
            else (name, "")
        )
        raise TableError(
            f"{path}: not {shown} text (bad byte at offset {exc.start}){hint}"
        ) from None
    if text.startswith("\ufeff"):  # utf-16 leaves its BOM as a character
        text = text[1:]
    return text, chosen is not None or not utf8


def _delimiter(first_line: str) -> str:
    counts = {d: first_line.count(d) for d in _DELIMITERS}
    best = max(counts, key=lambda d: counts[d])
    return best if counts[best] else ","


class _Lines:
    """The lines of a CSV text for ``csv.reader``, refusing a row longer than ``limit``
    characters before the reader holds it (the reader's own limit on a field,
    ``csv.field_size_limit``, is the whole process's, and only for fields)."""

    def __init__(self, path: Path, text: str, limit: int) -> None:
        self._path = path
        self._text = text
        self._at = 0
        self._limit = limit
        self._line = 0
        self.row = 0
        """Characters of the row being read so far: set to 0 when the reader yields one."""

    def __iter__(self) -> Iterator[str]:
        return self

    def __next__(self) -> str:
        """The next line, looked for no further than the row's limit."""
        line = _LINE.match(self._text, self._at, self._at + self._limit + 1 - self.row)
        if line is None:
            raise StopIteration
        self._at = line.end()
        self._line += 1
        self.row += line.end() - line.start()
        if self.row > self._limit:
            what = f"line {self._line:,}: a row too long"
            raise over_limit(self._path, what, self._limit, "characters")
        return line.group()


def parse_table(path: Path, text: str, bom: bool, limits: TableLimits = LIMITS) -> Table:
    """``text`` read from ``path`` as a CSV table, or TableError saying why not (``limits``:
    rows, columns, row and cell lengths). Lines before the header that are blank are left
    out; blank lines after it are rows."""
    stripped = text.lstrip("\r\n")
    first = stripped[: limits.row + 1].split("\n", 1)[0]
    delimiter = _delimiter(first)
    lines = _Lines(path, stripped, limits.row)
    reader = csv.reader(lines, delimiter=delimiter)
    header: list[str] | None = None
    width = count = 0
    try:  # one pass to check the text and measure it; the rows are parsed again when read
        for row in reader:
            size, lines.row = lines.row, 0  # no cell is longer than its row
            if len(row) > limits.columns:
                what = f"line {reader.line_num:,}: {len(row):,} columns"
                raise over_limit(path, what, limits.columns, "columns")
            if size > limits.cell and max(map(len, row)) > limits.cell:
                what = f"line {reader.line_num:,}: a cell too long"
                raise over_limit(path, what, limits.cell, "characters")
            if header is None:
                header = row
            elif (count := count + 1) > limits.rows:
                what = f"line {reader.line_num:,}: too many rows"
                raise over_limit(path, what, limits.rows, "rows")
            width = max(width, len(row))
    except csv.Error as exc:
        raise TableError(
            f"{path}: not a readable CSV file (line {reader.line_num}: {exc})"
        ) from None
    if header is None or not any(header):
        raise TableError(f"{path}: the file is empty (expected a header line)")
    header = header + [""] * (width - len(header))
    rows = CsvRows(stripped, delimiter, width, count)
    ending = "\r\n" if first.endswith("\r") else "\n"
    return Table(path, header, rows, delimiter, ending, bom)


def require_openpyxl() -> Any:
    """openpyxl (the ``xlsx`` extra), or TableError saying how to install it."""
    try:
        import openpyxl
    except ImportError:
        raise TableError(
            "xlsx files need openpyxl (the xlsx extra): pip install openpyxl (or save as CSV)"
        ) from None
    return openpyxl


def read_xlsx(path: Path, stdin: BinaryIO | None = None, limits: TableLimits = LIMITS) -> Table:
    """The first sheet of an ``.xlsx`` workbook as a table (cells as text), read within
    ``limits``."""
    require_openpyxl()  # its rules say which cells are dates: without it, TableError
    from .xlsx import read_sheet  # imports openpyxl

    if str(path) == "-":
        sheet = read_sheet(io.BytesIO(_raw(path, stdin, limits.size)), path, limits)
    else:
        with _opened(path) as stream:
            sheet = read_sheet(stream, path, limits)
    header = sheet.header + [""] * (sheet.width - len(sheet.header))
    return Table(path, header, CsvRows(sheet.text, ",", sheet.width, sheet.rows), ",", "\r\n", True)


def read_table(
    path: Path,
    encoding: str | None = None,
    stdin: BinaryIO | None = None,
    limits: TableLimits = LIMITS,
) -> Table:
    """A CSV or (by its ``.xlsx`` suffix) xlsx table, or TableError saying why not (or that
    it is over one of ``limits``)."""
    if path.suffix.lower() in (".xlsx", ".xlsm"):
        return read_xlsx(path, stdin, limits)
    text, bom = read_text(path, encoding, stdin, limits)
    return parse_table(path, text, bom, limits)
