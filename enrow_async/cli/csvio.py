"""Tables in and out for the command line: CSV, ``.xlsx`` (openpyxl, the ``xlsx`` extra)
and, out only, JSON Lines.

CSV input is UTF-8 unless a BOM says UTF-8 or UTF-16 (LE/BE), or ``--encoding`` says
otherwise (``cp1252`` for Excel on Windows); the delimiter is read from the header line and
kept, as is the line ending; blank lines stay rows, so output row N is input row N. ``-``
reads the standard input. Output is written in the dialect of the input (UTF-8 with a BOM
when the input had a BOM or was not UTF-8), replacing the file atomically; ``-`` writes to
the standard output. Cells the tool writes from API data are neutralised against formula
injection (CWE-1236) in CSV and xlsx; input cells are written as they were read.
"""

from __future__ import annotations

import codecs
import csv
import io
import os
from collections.abc import Callable, Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any, BinaryIO, TextIO, overload

import attrs
import orjson

from .errors import CliError

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
        reader = csv.reader(io.StringIO(self._text, newline=""), delimiter=self._delimiter)
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


def _raw(path: Path, stdin: BinaryIO | None) -> bytes:
    if str(path) == "-":
        if stdin is None:
            raise CliError("-: no standard input to read", 2)
        return stdin.read()
    try:
        return path.read_bytes()
    except FileNotFoundError:
        raise CliError(f"{path}: no such file", 2) from None
    except IsADirectoryError:
        raise CliError(f"{path}: is a directory, not a file", 2) from None
    except OSError as exc:
        raise CliError(f"{path}: cannot read it ({exc.strerror or exc})", 2) from None


def read_text(
    path: Path, encoding: str | None = None, stdin: BinaryIO | None = None
) -> tuple[str, bool]:
    """The text of ``path`` (``-``: ``stdin``) and whether to write a BOM back, or exit 2
    saying why not. A BOM decides the encoding; else ``encoding``, else UTF-8."""
    raw = _raw(path, stdin)
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


def parse_table(path: Path, text: str, bom: bool) -> Table:
    """``text`` read from ``path`` as a CSV table, or exit 2 saying why not. Lines before
    the header that are blank are left out; blank lines after it are rows."""
    stripped = text.lstrip("\r\n")
    first = stripped.split("\n", 1)[0]
    delimiter = _delimiter(first)
    reader = csv.reader(io.StringIO(stripped, newline=""), delimiter=delimiter)
    header: list[str] | None = None
    width = count = 0
    try:  # one pass to check the text and measure it; the rows are parsed again when read
        for row in reader:
            if header is None:
                header = row
            else:
                count += 1
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


def _padded(path: Path, rows: list[list[str]], delimiter: str, ending: str, bom: bool) -> Table:
    header, body = rows[0], rows[1:]
    width = max(len(row) for row in rows)
    if width > len(header):
        header = header + [""] * (width - len(header))
    for row in body:
        if len(row) < width:
            row.extend([""] * (width - len(row)))
    return Table(path, header, body, delimiter, ending, bom)


def _xlsx() -> Any:
    try:
        import openpyxl
    except ImportError:
        raise CliError(
            "xlsx files need openpyxl: pip install 'enrow-async[xlsx]' (or save as CSV)", 2
        ) from None
    return openpyxl


def _cell_text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def read_xlsx(path: Path, stdin: BinaryIO | None = None) -> Table:
    """The first sheet of an ``.xlsx`` workbook as a table (cells as text)."""
    openpyxl = _xlsx()
    source: Any = io.BytesIO(_raw(path, stdin)) if str(path) == "-" else path
    try:
        book = openpyxl.load_workbook(source, read_only=True, data_only=True)
    except FileNotFoundError:
        raise CliError(f"{path}: no such file", 2) from None
    except Exception as exc:  # openpyxl raises many kinds for a file that is not xlsx
        raise CliError(f"{path}: not a readable xlsx workbook ({exc})", 2) from None
    try:
        rows = [
            [_cell_text(v) for v in row] for row in book.worksheets[0].iter_rows(values_only=True)
        ]
    finally:
        book.close()
    while rows and not any(rows[0]):
        rows.pop(0)
    if not rows:
        raise CliError(f"{path}: the sheet is empty (expected a header line)", 2)
    return _padded(path, rows, ",", "\r\n", True)


def read_table(path: Path, encoding: str | None = None, stdin: BinaryIO | None = None) -> Table:
    """A CSV or (by its ``.xlsx`` suffix) xlsx table, or exit 2 saying why not."""
    if path.suffix.lower() in (".xlsx", ".xlsm"):
        return read_xlsx(path, stdin)
    text, bom = read_text(path, encoding, stdin)
    return parse_table(path, text, bom)


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
