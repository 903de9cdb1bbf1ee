"""Tables in and out for the command line: CSV, ``.xlsx`` (openpyxl, the ``xlsx`` extra)
and, out only, JSON Lines.

CSV input is UTF-8 unless a BOM says UTF-8 or UTF-16 (LE/BE), or ``--encoding`` says
otherwise (``cp1252`` for Excel on Windows); the delimiter is read from the header line and
kept, as is the line ending; blank lines stay rows, so output row N is input row N. ``-``
reads the standard input. Output is written in the dialect of the input (UTF-8 with a BOM
when the input had a BOM or was not UTF-8), replacing the file atomically; ``-`` writes to
the standard output. Cells the tool writes from API data are neutralised against formula
injection (CWE-1236) in CSV and xlsx; input cells are written as they were read.

Input files are read within ``limits.LIMITS`` (rows, columns, cell and row lengths, bytes):
a file over one is refused with exit status 2 before it can make memory grow.
"""

from __future__ import annotations

import codecs
import contextlib
import csv
import io
import os
import re
from collections.abc import Callable, Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any, BinaryIO, TextIO, overload

import attrs
import orjson

from .errors import CliError
from .limits import LIMITS, TableLimits, over_limit

__all__ = [
    "FORMULA_STARTS",
    "CsvRows",
    "Table",
    "neutralise",
    "output_format",
    "write_jsonl",
    "write_xlsx",
    "check_writable",
    "parse_table",
    "read_table",
    "read_text",
    "same_file",
    "write_bytes",
    "write_rows",
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


FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
"""What makes a spreadsheet read a cell as a formula (CWE-1236)."""


def neutralise(cell: str) -> str:
    """``cell`` with a ``'`` in front when a spreadsheet would run it as a formula."""
    return f"'{cell}" if cell.startswith(FORMULA_STARTS) else cell


_BOMS = (
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)


@contextlib.contextmanager
def _opened(path: Path) -> Iterator[BinaryIO]:
    """``path`` open for reading, or exit 2 saying why it cannot be."""
    try:
        stream = path.open("rb")
    except FileNotFoundError:
        raise CliError(f"{path}: no such file", 2) from None
    except IsADirectoryError:
        raise CliError(f"{path}: is a directory, not a file", 2) from None
    except OSError as exc:
        raise CliError(f"{path}: cannot read it ({exc.strerror or exc})", 2) from None
    with stream:
        yield stream


def _bounded(path: Path, stream: BinaryIO, limit: int) -> bytearray:
    """All of ``stream``, or exit 2 as soon as it holds more than ``limit`` bytes."""
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
            raise CliError("-: no standard input to read", 2)
        return _bounded(path, stdin, limit)
    with _opened(path) as stream:
        size = os.fstat(stream.fileno()).st_size
        if size > limit:
            raise over_limit(path, f"{size:,} bytes", limit, "bytes")
        try:
            return _bounded(path, stream, limit)
        except OSError as exc:
            raise CliError(f"{path}: cannot read it ({exc.strerror or exc})", 2) from None


def read_text(
    path: Path,
    encoding: str | None = None,
    stdin: BinaryIO | None = None,
    limits: TableLimits = LIMITS,
) -> tuple[str, bool]:
    """The text of ``path`` (``-``: ``stdin``) and whether to write a BOM back, or exit 2
    saying why not (``limits.size`` bytes at most). A BOM decides the encoding; else
    ``encoding``, else UTF-8."""
    raw = _raw(path, stdin, limits.size)
    chosen = next((name for bom, name in _BOMS if raw.startswith(bom)), None)
    name = chosen or encoding or "utf-8"
    try:
        codecs.lookup(name)
    except LookupError:
        raise CliError(f"--encoding {name}: not an encoding Python knows", 2) from None
    utf8 = codecs.lookup(name).name in ("utf-8", "utf-8-sig")
    try:
        text = raw.decode(name)
    except UnicodeDecodeError as exc:
        shown, hint = (
            ("UTF-8", "; if it comes from Excel on Windows, try --encoding cp1252 (or latin-1)")
            if utf8
            else (name, "")
        )
        raise CliError(
            f"{path}: not {shown} text (bad byte at offset {exc.start}){hint}", 2
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
    """``text`` read from ``path`` as a CSV table, or exit 2 saying why not (``limits``:
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
        raise CliError(
            f"{path}: not a readable CSV file (line {reader.line_num}: {exc})", 2
        ) from None
    if header is None or not any(header):
        raise CliError(f"{path}: the file is empty (expected a header line)", 2)
    header = header + [""] * (width - len(header))
    rows = CsvRows(stripped, delimiter, width, count)
    ending = "\r\n" if first.endswith("\r") else "\n"
    return Table(path, header, rows, delimiter, ending, bom)


def _xlsx() -> Any:
    try:
        import openpyxl
    except ImportError:
        raise CliError(
            "xlsx files need openpyxl (the xlsx extra): pip install openpyxl (or save as CSV)", 2
        ) from None
    return openpyxl


def read_xlsx(path: Path, stdin: BinaryIO | None = None, limits: TableLimits = LIMITS) -> Table:
    """The first sheet of an ``.xlsx`` workbook as a table (cells as text), read within
    ``limits``."""
    _xlsx()  # without openpyxl, exit 2 naming the extra: its rules say which cells are dates
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
    """A CSV or (by its ``.xlsx`` suffix) xlsx table, or exit 2 saying why not (or that
    it is over one of ``limits``)."""
    if path.suffix.lower() in (".xlsx", ".xlsm"):
        return read_xlsx(path, stdin, limits)
    text, bom = read_text(path, encoding, stdin, limits)
    return parse_table(path, text, bom, limits)


def output_format(path: Path, given: str | None) -> str:
    """``--format``, else what the output's suffix says (``.jsonl``, ``.xlsx``), else csv."""
    if given is not None:
        return given
    suffix = path.suffix.lower()
    return {".jsonl": "jsonl", ".ndjson": "jsonl", ".xlsx": "xlsx"}.get(suffix, "csv")


def same_file(source: Path, output: Path) -> None:
    """Refuse an output that would replace its own input."""
    if str(output) != "-" and str(source) != "-" and output.resolve() == source.resolve():
        raise CliError(f"{output}: the output would replace the input; pick another name", 2)


def check_writable(path: Path) -> None:
    """Refuse early (before anything is paid for) an output that cannot be written."""
    if str(path) == "-":
        return
    parent = path.parent if str(path.parent) else Path(".")
    if path.is_dir():
        raise CliError(f"{path}: is a directory; give a file name for the output", 2)
    if not parent.is_dir():
        raise CliError(f"{path}: the folder {parent} does not exist", 2)
    if not os.access(parent, os.W_OK) or (path.exists() and not os.access(path, os.W_OK)):
        raise CliError(f"{path}: not writable", 2)


def _write(
    stream: TextIO, header: Sequence[str], rows: Iterable[Sequence[str]], like: Table | None
) -> None:
    writer = csv.writer(
        stream,
        delimiter=like.delimiter if like else ",",
        lineterminator=like.lineterminator if like else "\n",
        quoting=csv.QUOTE_MINIMAL,
    )
    writer.writerow(header)
    writer.writerows(rows)


def _replace(path: Path, write: Callable[[Path], object]) -> None:
    """Write a temporary file next to ``path``, then rename it over ``path``."""
    temp = path.with_name(f".{path.name}.partial")
    try:
        write(temp)
        os.replace(temp, path)
    except OSError as exc:
        temp.unlink(missing_ok=True)
        raise CliError(f"{path}: cannot write it ({exc.strerror or exc})", 2) from None


def write_bytes(path: Path, data: bytes, *, stdout: TextIO) -> None:
    """Write ``data`` to ``path`` (``stdout`` for ``-``), atomically."""
    if str(path) == "-":
        stdout.flush()
        stdout.buffer.write(data)
        stdout.flush()
        return
    _replace(path, lambda temp: temp.write_bytes(data))


def write_rows(
    path: Path,
    header: Sequence[str],
    rows: Iterable[Sequence[str]],
    *,
    stdout: TextIO,
    like: Table | None = None,
) -> None:
    """Write a CSV file (or ``stdout`` for ``-``) in the dialect of ``like``, atomically."""
    if str(path) == "-":
        _write(stdout, header, rows, like)
        stdout.flush()
        return
    encoding = "utf-8-sig" if like is not None and like.bom else "utf-8"

    def write(temp: Path) -> None:
        with temp.open("w", encoding=encoding, newline="") as stream:
            _write(stream, header, rows, like)

    _replace(path, write)


def write_jsonl(path: Path, records: Iterable[dict[str, Any]], *, stdout: TextIO) -> None:
    """One JSON object a line (raw values: nothing is neutralised), atomically."""
    lines: Iterator[bytes] = (orjson.dumps(record) + b"\n" for record in records)
    if str(path) == "-":
        stdout.flush()
        for line in lines:
            stdout.buffer.write(line)
        stdout.flush()
        return

    def write(temp: Path) -> None:
        with temp.open("wb") as stream:
            stream.writelines(lines)

    _replace(path, write)


def write_xlsx(
    path: Path, header: Sequence[str], rows: Iterable[Sequence[str]], *, stdout: TextIO
) -> None:
    """An ``.xlsx`` workbook of one sheet; every cell a string (never a formula)."""
    openpyxl = _xlsx()
    WriteOnlyCell = openpyxl.cell.WriteOnlyCell

    book = openpyxl.Workbook(write_only=True)
    sheet = book.create_sheet("enrow")

    def cells(values: Sequence[str]) -> list[Any]:
        out = []
        for value in values:
            cell = WriteOnlyCell(sheet, value=value)
            cell.data_type = "s"  # text as it is, even "=1+1"
            out.append(cell)
        return out

    sheet.append(cells(header))
    for row in rows:
        sheet.append(cells(row))
    if str(path) == "-":
        data = io.BytesIO()
        book.save(data)
        write_bytes(path, data.getvalue(), stdout=stdout)
        return
    _replace(path, lambda temp: book.save(temp))
