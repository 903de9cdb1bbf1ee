"""Tables in: CSV and ``.xlsx`` (the ``xlsx`` extra) read whole into a ``Table``, within
``LIMITS``, the way people export them.

CSV input is UTF-8 unless a BOM says UTF-8 or UTF-16 (LE/BE), or ``encoding`` says otherwise
(``cp1252`` for Excel on Windows); the delimiter is Excel's ``sep=`` first line when there is
one, else read from the header line, and kept, as is the line ending; blank lines stay
rows, so row N of the output can be row N of the input. ``-`` reads the standard input (CSV,
or an xlsx workbook by its bytes). An old Excel workbook (``.xls``) is named as such. A file
over one of the limits (rows, columns, cell and row lengths, bytes) is refused with
[TableError][enrow_async.TableError] before it can make memory grow.

The header is the first row that holds anything, unless title rows stand above it (a report
exported from Google Sheets, a sheet under merged title cells): then it is the first of the
first ``HEADER_SEARCH`` rows that names two known columns (``names``), a guess the table
says in words (``describe_table``); ``header_row`` says it outright. An xlsx workbook's
first sheet is read, or, when it names no known column and another does, that one (said
too); ``sheet`` chooses by name or number.
"""

from __future__ import annotations

import codecs
import contextlib
import csv
import io
import itertools
import os
import re
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any, BinaryIO, ClassVar, overload

import attrs

from ..errors import TableError
from .limits import LIMITS, TableLimits, over_limit
from .names import known_names

__all__ = [
    "HEADER_SEARCH",
    "CsvRows",
    "Table",
    "describe_table",
    "parse_table",
    "read_table",
    "read_text",
    "read_xlsx",
    "require_openpyxl",
]

_DELIMITERS = ",;\t|"

HEADER_SEARCH = 10
"""Rows (from the first that holds anything) looked at for a header naming known columns."""

_SEP = re.compile(r'"?sep=([^\r\n"])"?[ \t]*(?:\r\n|\r|\n|$)', re.IGNORECASE)
"""Excel's first line naming the delimiter (``sep=;``); Excel hides it, so rows are counted
after it."""

_OLE2 = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
"""How an old Excel workbook (``.xls``, Excel 97-2003) begins."""
_ZIP = b"PK\x03\x04"

_LINE = re.compile(r"[^\r\n]*(?:\r\n|\r|\n)|[^\r\n]+")
"""A line and its ending, split as ``io.StringIO(text, newline="")`` splits them; that keeps
a copy of its text at four bytes a character, which iterating over matches does not."""


def _lines(text: str) -> Iterator[str]:
    return (match.group() for match in _LINE.finditer(text))


class CsvRows(Sequence[list[str]]):
    """The data rows of a CSV text, padded to ``width``, parsed again on each pass: a large
    file is kept as its text (a few bytes a cell), not as lists of cells (about 60)."""

    def __init__(self, text: str, delimiter: str, width: int, count: int, skip: int = 1) -> None:
        self._text = text
        self._delimiter = delimiter
        self._width = width
        self._count = count
        self._skip = skip
        """Rows of the text before the first data row (the header, and titles above it)."""

    def __len__(self) -> int:
        return self._count

    def __eq__(self, other: object) -> bool:
        """Equal to any sequence of the same rows (a list of lists, say)."""
        if not isinstance(other, Sequence):
            return NotImplemented
        return len(self) == len(other) and all(
            mine == list(theirs) for mine, theirs in zip(self, other, strict=True)
        )

    __hash__: ClassVar[None] = None  # type: ignore[assignment]

    def __iter__(self) -> Iterator[list[str]]:
        reader = csv.reader(_lines(self._text), delimiter=self._delimiter)
        for _ in range(self._skip):  # the header, and the titles above it
            next(reader, None)
        for row in itertools.islice(reader, self._count):
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
    sheet: str | None = None
    """The worksheet read (an xlsx workbook)."""
    header_row: int = 1
    """The header's row number as a spreadsheet shows it (1: the first row; a CSV file's
    ``sep=`` line is not counted, as Excel hides it)."""
    above: tuple[tuple[str, ...], ...] = ()
    """Rows above the header (titles), from the first that holds anything."""
    sep: bool = False
    """The CSV text began with a ``sep=`` line (written back, so Excel reads the output)."""
    sheet_guess: str = ""
    """How the sheet was chosen, in words, when it was guessed (not the first, not asked)."""
    header_guess: str = ""
    """How the header row was chosen, in words, when it was guessed (title rows above it)."""


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
    return _decoded(path, _raw(path, stdin, limits.size), encoding)


def _decoded(path: Path, raw: bytes | bytearray, encoding: str | None) -> tuple[str, bool]:
    if raw.startswith(_OLE2):
        raise TableError(
            f"{path}: an old Excel workbook (.xls, Excel 97-2003), which cannot be read:"
            " open it in Excel or LibreOffice and save it as .xlsx or as CSV"
        )
    if raw.startswith(_ZIP):
        raise TableError(f"{path}: a zip file, not CSV text (an xlsx workbook? name it .xlsx)")
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


def _delimiter(lines: Sequence[str], at: int | None) -> str:
    """The delimiter of the header line: line ``at`` when it is known, else the first of
    ``lines`` that names two known columns split by one, else the first line (the one most
    frequent on it; a comma when it has none)."""

    def best(line: str) -> str:
        counts = {d: line.count(d) for d in _DELIMITERS}
        chosen = max(counts, key=lambda d: counts[d])
        return chosen if counts[chosen] else ","

    if at is not None and 0 <= at < len(lines):
        return best(lines[at])
    for line in lines[:HEADER_SEARCH]:
        for delimiter in _DELIMITERS:
            if known_names(line.split(delimiter)) >= 2:
                return delimiter
    return best(lines[0] if lines else "")


def _header_at(
    path: Path, first: Sequence[Sequence[str]], header_row: int | None, offset: int
) -> tuple[int, str]:
    """The header's index among ``first`` (the rows from the first that holds anything,
    which is row ``offset + 1``), and the guess made, in words ("" when none was)."""
    if header_row is not None:
        index = header_row - offset - 1
        if index >= len(first):
            raise TableError(f"{path}: --header-row {header_row}: the table ends before it")
        if index < 0 or not any(cell.strip() for cell in first[index]):
            raise TableError(f"{path}: --header-row {header_row}: that row is empty")
        return index, ""
    for index, row in enumerate(first[:HEADER_SEARCH]):
        if known_names(row) >= 2:
            if not index:
                return 0, ""
            titles = f"row {offset + 1}" if index == 1 else f"rows {offset + 1}-{offset + index}"
            return index, (
                f"guessed: the first of rows {offset + 1}-{offset + HEADER_SEARCH} to name two"
                f" known columns; {titles} above it kept as titles; --header-row N to choose"
            )
    return 0, ""


def describe_table(table: Table) -> str:
    """Where the table was read from, in words: the sheet, the header row, and how either
    was guessed (the first line of the mapping ``find`` prints)."""
    where = []
    if table.sheet is not None:
        guess = f" ({table.sheet_guess})" if table.sheet_guess else ""
        where.append(f"sheet {table.sheet!r}{guess}")
    if table.sep:
        where.append(f"delimiter {table.delimiter!r} from its sep= line")
    guess = f" ({table.header_guess})" if table.header_guess else ""
    where.append(f"header on row {table.header_row}{guess}")
    return f"table: {', '.join(where)}"


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


def _blank_lines(text: str) -> int:
    """How many line breaks ``text`` (line breaks alone) holds: CR LF is one."""
    return sum(1 for _ in _lines(text))


def parse_table(
    path: Path,
    text: str,
    bom: bool,
    limits: TableLimits = LIMITS,
    *,
    header_row: int | None = None,
) -> Table:
    """``text`` read from ``path`` as a CSV table, or TableError saying why not (``limits``:
    rows, columns, row and cell lengths). A ``sep=`` first line sets the delimiter; lines
    before the header that are blank are left out; blank lines after it are rows. The
    header is row ``header_row`` when given, else found (see the module's docstring)."""
    sep = _SEP.match(text)
    if sep is not None:
        text = text[sep.end() :]
    stripped = text.lstrip("\r\n")
    leading = _blank_lines(text[: len(text) - len(stripped)])
    window = HEADER_SEARCH if header_row is None else max(1, header_row - leading)
    head = [line.group() for line in itertools.islice(_LINE.finditer(stripped, 0, 1 << 20), window)]
    at = None if header_row is None else header_row - leading - 1
    delimiter = sep.group(1) if sep is not None else _delimiter(head, at)
    lines = _Lines(path, stripped, limits.row)
    reader = csv.reader(lines, delimiter=delimiter)
    first: list[list[str]] = []
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
            if (count := count + 1) > limits.rows + 1:  # rows after the first
                what = f"line {reader.line_num:,}: too many rows"
                raise over_limit(path, what, limits.rows, "rows")
            if len(first) < window:
                first.append(row)
            width = max(width, len(row))
    except csv.Error as exc:
        raise TableError(
            f"{path}: not a readable CSV file (line {reader.line_num}: {exc})"
        ) from None
    if not first or not any(first[0]):
        raise TableError(f"{path}: the file is empty (expected a header line)")
    index, guess = _header_at(path, first, header_row, leading)
    header = first[index] + [""] * (width - len(first[index]))
    rows = CsvRows(stripped, delimiter, width, count - index - 1, index + 1)
    ending = "\r\n" if head[0].endswith("\r\n") else "\n"
    return Table(
        path,
        header,
        rows,
        delimiter,
        ending,
        bom,
        header_row=leading + index + 1,
        above=tuple(tuple(row) for row in first[:index]),
        sep=sep is not None,
        header_guess=guess,
    )


def require_openpyxl() -> Any:
    """openpyxl (the ``xlsx`` extra), or TableError saying how to install it."""
    try:
        import openpyxl
    except ImportError:
        raise TableError(
            "xlsx files need openpyxl (the xlsx extra): pip install openpyxl (or save as CSV)"
        ) from None
    return openpyxl


def read_xlsx(
    path: Path,
    stdin: BinaryIO | None = None,
    limits: TableLimits = LIMITS,
    *,
    sheet: str | int | None = None,
    header_row: int | None = None,
) -> Table:
    """A sheet of an ``.xlsx`` workbook as a table (cells as text), read within ``limits``:
    ``sheet`` by name or number (1: the first), else the first (or the first naming known
    columns, see the module's docstring)."""
    if str(path) == "-":
        return _xlsx(path, io.BytesIO(_raw(path, stdin, limits.size)), limits, sheet, header_row)
    with _opened(path) as stream:
        return _xlsx(path, stream, limits, sheet, header_row)


def _names_columns(rows: Sequence[Sequence[str]]) -> bool:
    return any(known_names(row) >= 2 for row in rows[:HEADER_SEARCH])


def _xlsx(
    path: Path,
    stream: BinaryIO,
    limits: TableLimits,
    sheet: str | int | None,
    header_row: int | None,
) -> Table:
    require_openpyxl()  # its rules say which cells are dates: without it, TableError
    from .xlsx import read_sheet  # imports openpyxl

    window = HEADER_SEARCH if header_row is None else header_row
    read = read_sheet(stream, path, limits, sheet, choose=_names_columns, window=window)
    first = list(itertools.islice(csv.reader(_lines(read.text)), window))
    if not first:
        raise TableError(f"{path}: the sheet {read.name!r} is empty (expected a header line)")
    index, guess = _header_at(path, first, header_row, read.first_row - 1)
    header = first[index] + [""] * (read.width - len(first[index]))
    rows = CsvRows(read.text, ",", read.width, read.rows - index, index + 1)
    return Table(
        path,
        header,
        rows,
        ",",
        "\r\n",
        True,
        sheet=read.name,
        header_row=read.first_row + index,
        above=tuple(tuple(row) for row in first[:index]),
        sheet_guess=read.guess,
        header_guess=guess,
    )


def read_table(
    path: Path,
    encoding: str | None = None,
    stdin: BinaryIO | None = None,
    limits: TableLimits = LIMITS,
    *,
    sheet: str | int | None = None,
    header_row: int | None = None,
) -> Table:
    """A CSV or xlsx table (by its ``.xlsx``/``.xlsm`` suffix, or by its bytes), or
    TableError saying why not (or that it is over one of ``limits``). ``sheet`` (xlsx: a
    name or a number, 1 for the first) and ``header_row`` (1 for the first row) say what
    would otherwise be found."""
    if path.suffix.lower() in (".xlsx", ".xlsm"):
        return read_xlsx(path, stdin, limits, sheet=sheet, header_row=header_row)
    raw = _raw(path, stdin, limits.size)
    if raw.startswith(_ZIP):  # an xlsx workbook without its suffix (the standard input)
        return _xlsx(path, io.BytesIO(raw), limits, sheet, header_row)
    if sheet is not None:
        raise TableError(f"{path}: --sheet {sheet}: a CSV file has no sheets")
    text, bom = _decoded(path, raw, encoding)
    return parse_table(path, text, bom, limits, header_row=header_row)
