"""A worksheet of an ``.xlsx`` workbook as CSV text, read within ``TableLimits``: the one
named or numbered, else the first, or the first whose opening rows a caller's test accepts
(``choose``: the first that names known columns).

Nothing is loaded whole. The zip's directory and each part's declared size are checked
before anything is inflated (``zipfile`` never inflates a part past its declared size),
then every part is parsed as a stream (expat): a sheet of too many rows or columns, a cell
or shared string over the limit, or a DTD is refused as it is read. (openpyxl, even in its
read-only mode, loads the whole shared-strings table, builds each cell's text whole, and
pads every row out to the dimension the sheet declares.) Values come out as openpyxl gives
them: numbers, booleans, and dates by openpyxl's rules for number formats and its
conversions, as text.
"""

from __future__ import annotations

import csv
import io
import posixpath
import struct
import zipfile
import zlib
from collections.abc import Callable, Sequence
from datetime import datetime
from pathlib import Path
from typing import BinaryIO
from xml.parsers import expat

import attrs
from openpyxl.styles.numbers import BUILTIN_FORMATS, is_date_format, is_timedelta_format
from openpyxl.utils.datetime import (
    CALENDAR_MAC_1904,
    CALENDAR_WINDOWS_1900,
    from_excel,
    from_ISO8601,
)

from ..errors import TableError
from .limits import TableLimits, over_limit

__all__ = ["PART_LIMIT", "Sheet", "read_sheet", "sheet_part", "worksheet_part"]

PART_LIMIT = 16 * 1024**2
"""Bytes of the zip's directory, and of each other part read (the workbook's list of
sheets, its relationships, its styles), uncompressed."""

_MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
_ROW, _CELL, _VALUE, _TEXT, _PHONETIC = (f"{_MAIN}{tag}" for tag in ("row", "c", "v", "t", "rPh"))
_STRING = f"{_MAIN}si"
_RELATION = "http://schemas.openxmlformats.org/package/2006/relationships}Relationship"
_RELATION_ID = "http://schemas.openxmlformats.org/officeDocument/2006/relationships}id"

_END = struct.Struct("<4s4H2LH")  # the zip's end record: its 6th field is the directory size
_LOCATOR = struct.Struct("<4sLQL")  # the ZIP64 locator: where the ZIP64 end record is
_END64 = struct.Struct("<4sQ2H2L4Q")  # the ZIP64 end record: its 9th field is the size


@attrs.frozen
class Sheet:
    """A worksheet as CSV text (the excel dialect), from its first row that holds a value
    (row ``first_row``), then ``rows`` rows."""

    text: str
    width: int
    """Columns up to the last that holds a value."""
    rows: int
    first_row: int
    name: str
    guess: str = ""
    """How the sheet was chosen, in words, when it was not the first one or the one asked."""


class _Enough(Exception):
    """Raised from the parser's handlers once the rows looked for are read."""


def _directory_size(stream: BinaryIO) -> int:
    """The largest central directory that an end record near the end of the zip declares
    and that fits before it: zipfile reads the one it finds whole (refusing one that does
    not fit), and makes an object of each of its entries."""
    end = stream.seek(0, io.SEEK_END)
    start = max(0, end - _END.size - 0xFFFF)  # the end record, and a comment of 64 KiB
    stream.seek(start)
    tail = stream.read()
    largest = 0
    at = tail.find(b"PK\x05\x06")
    while at >= 0:
        sizes = [_END.unpack_from(tail, at)[5]] if at + _END.size <= len(tail) else []
        if at >= _LOCATOR.size and tail.startswith(b"PK\x06\x07", at - _LOCATOR.size):
            locator = _LOCATOR.unpack_from(tail, at - _LOCATOR.size)
            for offset in (start + at - _LOCATOR.size - _END64.size, locator[2]):
                stream.seek(max(0, offset))
                record = stream.read(_END64.size)
                if len(record) == _END64.size and record.startswith(b"PK\x06\x06"):
                    sizes.append(_END64.unpack(record)[8])
        largest = max([largest, *(size for size in sizes if size <= start + at)])
        at = tail.find(b"PK\x05\x06", at + 1)
    return largest


class _Workbook:
    """The zip of a workbook, each part read as a stream of XML events within its limit."""

    def __init__(self, path: Path, archive: zipfile.ZipFile) -> None:
        self.path = path
        self._archive = archive

    def unreadable(self, why: str) -> TableError:
        return TableError(f"{self.path}: not a readable xlsx workbook ({why})")

    def has(self, part: str) -> bool:
        try:
            self._archive.getinfo(part)
        except KeyError:
            return False
        return True

    def parse(
        self,
        part: str,
        limit: int,
        start: Callable[[str, dict[str, str]], None],
        end: Callable[[str], None] | None = None,
        text: Callable[[str], None] | None = None,
    ) -> None:
        """Feed ``part`` to expat with these handlers; refuse it over ``limit`` bytes."""
        try:
            info = self._archive.getinfo(part)
        except KeyError:
            raise self.unreadable(f"{part} is missing") from None
        if info.file_size > limit:
            what = f"{part} is {info.file_size:,} bytes uncompressed"
            raise over_limit(self.path, what, limit, "bytes")
        parser = expat.ParserCreate(namespace_separator="}")
        parser.buffer_text = True
        parser.StartDoctypeDeclHandler = self._no_doctype
        parser.StartElementHandler = start
        if end is not None:
            parser.EndElementHandler = end
        if text is not None:
            parser.CharacterDataHandler = text
        try:
            with self._archive.open(info) as stream:
                while chunk := stream.read(1 << 16):
                    parser.Parse(chunk, False)
            parser.Parse(b"", True)
        except expat.ExpatError as exc:
            raise self.unreadable(f"{part}: {exc}") from None
        except (zipfile.BadZipFile, zlib.error, EOFError, NotImplementedError) as exc:
            raise self.unreadable(f"{part}: {exc}") from None

    def _no_doctype(self, *_: object) -> None:
        raise self.unreadable("a DTD, which xlsx parts never have")

    def relations(self, part: str) -> dict[str, tuple[str, str]]:
        """The relationships of ``part``: id -> (type, the target's part name)."""
        folder, name = posixpath.split(part)
        found: dict[str, tuple[str, str]] = {}

        def start(tag: str, attrs: dict[str, str]) -> None:
            if tag == _RELATION and attrs.get("TargetMode") != "External":
                target = attrs.get("Target", "")
                where = target[1:] if target.startswith("/") else posixpath.join(folder, target)
                found[attrs.get("Id", "")] = (attrs.get("Type", ""), posixpath.normpath(where))

        rels = posixpath.join(folder, "_rels", f"{name}.rels")
        if self.has(rels):
            self.parse(rels, PART_LIMIT, start)
        return found


def _of_type(relations: dict[str, tuple[str, str]], kind: str) -> str | None:
    return next((part for type_, part in relations.values() if type_.endswith(kind)), None)


@attrs.frozen
class _Styles:
    """What openpyxl makes of the cell styles' number formats: which are dates."""

    dates: frozenset[int] = frozenset()
    durations: frozenset[int] = frozenset()


def _styles(book: _Workbook, part: str | None) -> _Styles:
    formats: dict[int, str] = {}
    cells: list[int] = []  # the number format of each cell style, by style number
    in_cell_styles = False

    def start(tag: str, attrs: dict[str, str]) -> None:
        nonlocal in_cell_styles
        if tag == f"{_MAIN}numFmt":
            formats[int(attrs.get("numFmtId", "0"))] = attrs.get("formatCode", "")
        elif tag == f"{_MAIN}cellXfs":
            in_cell_styles = True
        elif tag == f"{_MAIN}xf" and in_cell_styles:
            cells.append(int(attrs.get("numFmtId", "0")))

    def end(tag: str) -> None:
        nonlocal in_cell_styles
        in_cell_styles = in_cell_styles and tag != f"{_MAIN}cellXfs"

    if part is None:
        return _Styles()
    try:
        book.parse(part, PART_LIMIT, start, end)
    except TableError:
        raise  # a limit, already said
    except ValueError as exc:
        raise book.unreadable(f"{part}: {exc}") from None
    codes = [formats[n] if n in formats else BUILTIN_FORMATS.get(n) for n in cells]
    return _Styles(
        frozenset(i for i, code in enumerate(codes) if is_date_format(code)),
        frozenset(i for i, code in enumerate(codes) if is_timedelta_format(code)),
    )


class _Text:
    """The text of the ``t`` elements inside an ``si`` or ``is`` element (phonetic runs
    left out), as openpyxl reads it, refused once over ``limit`` characters."""

    def __init__(self, limit: int, refuse: Callable[[], TableError]) -> None:
        self._limit = limit
        self._refuse = refuse
        self.parts: list[str] | None = None
        """The pieces read so far, or None while not in a cell or string."""
        self._size = 0
        self._phonetic = 0
        self.reading = False

    def begin(self, reading: bool = False) -> None:
        self.parts, self._size, self.reading = [], 0, reading

    def start(self, tag: str) -> None:
        if tag == _TEXT and not self._phonetic and self.parts is not None:
            self.reading = True
        elif tag == _PHONETIC:
            self._phonetic += 1

    def end(self, tag: str) -> None:
        self.reading = False  # t and v hold no elements: any end ends them
        if tag == _PHONETIC:
            self._phonetic -= 1

    def add(self, data: str) -> None:
        if self.reading and self.parts is not None:
            self._size += len(data)
            if self._size > self._limit:
                raise self._refuse()
            self.parts.append(data)

    def take(self) -> str:
        text = "".join(self.parts or ())
        self.parts, self.reading = None, False
        return text


def _shared_strings(book: _Workbook, part: str | None, limits: TableLimits) -> list[str]:
    strings: list[str] = []
    text = _Text(
        limits.cell,
        lambda: over_limit(
            book.path, f"shared string {len(strings) + 1:,} too long", limits.cell, "characters"
        ),
    )

    def start(tag: str, attrs: dict[str, str]) -> None:
        if tag == _STRING:
            text.begin()
        else:
            text.start(tag)

    def end(tag: str) -> None:
        if tag == _STRING:
            strings.append(text.take().replace("x005F_", ""))  # as openpyxl does
        else:
            text.end(tag)

    if part is not None:
        book.parse(part, limits.size, start, end, text.add)
    return strings


def _column(ref: str) -> int:
    """The column number of a cell reference (``AB12``: 28)."""
    number = 0
    for char in ref:
        if not "A" <= char <= "Z":
            break
        number = number * 26 + ord(char) - 64
    if not number:
        raise ValueError(f"cell reference {ref!r}")
    return number


def _number(raw: str) -> int | float:
    return float(raw) if "." in raw or "e" in raw or "E" in raw else int(raw)


def _number_text(number: int | float) -> str:
    if isinstance(number, float) and number.is_integer():
        return str(int(number))
    return str(number)


class _SheetReader:
    """The handlers that turn a worksheet's XML into CSV text as expat reads it: leading
    rows without a value are left out, rows the sheet skips are written blank."""

    def __init__(
        self,
        book: _Workbook,
        strings: list[str],
        styles: _Styles,
        epoch: datetime,
        limits: TableLimits,
        stop: int | None = None,
    ) -> None:
        self._book, self._strings, self._styles = book, strings, styles
        self._epoch, self._limits = epoch, limits
        self._stop = stop
        """Rows after which to stop (raising _Enough), for a look at the sheet's first rows."""
        self.out = io.StringIO()
        self._writer = csv.writer(self.out)
        self.first_row = 0
        """The number of the first row that holds a value (0: none yet)."""
        self.width = self.rows = 0
        self._row = self._column = 0
        self._cells: dict[int, str] = {}
        self._kind = self._ref = ""
        self._style = 0
        self._text = _Text(limits.cell, self._long_cell)

    def _long_cell(self) -> TableError:
        what = f"cell {self._ref} too long" if self._ref else f"row {self._row}: a cell too long"
        return over_limit(self._book.path, what, self._limits.cell, "characters")

    def start(self, tag: str, attrs: dict[str, str]) -> None:
        if tag == _CELL:
            self._ref = attrs.get("r", "").upper()
            self._column = _column(self._ref) if self._ref else self._column + 1
            self._kind = attrs.get("t", "n")
            self._style = int(attrs.get("s") or 0)
            self._text.parts = None
        elif tag == _VALUE and self._kind != "inlineStr":
            self._text.begin(reading=True)
        elif tag == f"{_MAIN}is" and self._kind == "inlineStr":
            self._text.begin()
        elif tag == _ROW:
            number = int(attrs["r"]) if "r" in attrs else self._row + 1
            if number <= self._row:
                raise ValueError(f"row number {number} out of order")
            if self.first_row and number - self.first_row > self._limits.rows:
                what = f"row {number:,}: too many rows"
                raise over_limit(self._book.path, what, self._limits.rows, "rows")
            self._blank_rows(number - self._row - 1)
            self._row, self._column, self._cells = number, 0, {}
        else:
            self._text.start(tag)

    def end(self, tag: str) -> None:
        if tag == _CELL:
            value = self._value(self._text.take()) if self._text.parts is not None else ""
            if value:
                if self._column > self._limits.columns:
                    what = f"cell {self._ref}: {self._column:,} columns"
                    raise over_limit(self._book.path, what, self._limits.columns, "columns")
                self._cells[self._column] = value
        elif tag == _ROW:
            self._write_row()
        else:
            self._text.end(tag)

    def text(self, data: str) -> None:
        self._text.add(data)

    def _value(self, raw: str) -> str:
        """The cell's text as openpyxl reads it (with ``data_only``)."""
        kind = self._kind
        if kind == "inlineStr" or not raw:
            return raw
        if kind == "n":
            number = _number(raw)
            if self._style not in self._styles.dates:
                return _number_text(number)
            try:
                durations = self._style in self._styles.durations
                return str(from_excel(number, self._epoch, timedelta=durations))
            except (OverflowError, ValueError):
                return "#VALUE!"
        if kind == "s":
            return self._strings[int(raw)]
        if kind == "b":
            return str(bool(int(raw)))
        if kind == "d":
            return str(from_ISO8601(raw))  # type: ignore[no-untyped-call]  # stub untyped
        return raw

    def _blank_rows(self, count: int) -> None:
        if self.first_row:
            self._writer.writerows([[]] * count)
            self.rows += count

    def _write_row(self) -> None:
        cells = self._cells
        row = [""] * max(cells, default=0)
        for column, value in cells.items():
            row[column - 1] = value
        self.width = max(self.width, len(row))
        if not self.first_row:
            if not row:
                return  # a blank row before the first value: left out
            self.first_row = self._row
        else:
            self.rows += 1
        self._writer.writerow(row)
        if self._stop is not None and self.rows + 1 >= self._stop:
            raise _Enough


@attrs.frozen
class _Parts:
    """Where the worksheets (by name, in order), the shared strings and the styles are;
    the dates' epoch."""

    sheets: tuple[tuple[str, str], ...]
    strings: str | None
    styles: str | None
    epoch: datetime


def _parts(book: _Workbook) -> _Parts:
    workbook = _of_type(book.relations(""), "/officeDocument")
    if workbook is None:
        raise book.unreadable("no workbook part")
    order: list[tuple[str, str]] = []
    epoch = [CALENDAR_WINDOWS_1900]

    def start(tag: str, attrs: dict[str, str]) -> None:
        if tag == f"{_MAIN}sheet":
            order.append((attrs.get("name", ""), attrs.get(_RELATION_ID, "")))
        elif tag == f"{_MAIN}workbookPr" and attrs.get("date1904") in ("1", "true"):
            epoch[0] = CALENDAR_MAC_1904

    book.parse(workbook, PART_LIMIT, start)
    relations = book.relations(workbook)
    sheets = tuple(
        (name, part)
        for name, (type_, part) in ((name, relations.get(rid, ("", ""))) for name, rid in order)
        if type_.endswith("/worksheet") and book.has(part)
    )
    if not sheets:
        raise book.unreadable("no worksheet")
    strings, styles = _of_type(relations, "/sharedStrings"), _of_type(relations, "/styles")
    return _Parts(sheets, strings, styles, epoch[0])


def sheet_part(book: _Workbook, parts: _Parts, sheet: str | int | None) -> tuple[str, str]:
    """The worksheet asked for: its name and part; a name is matched exactly, then whatever
    its case, then read as a number (1: the first)."""
    names = [name for name, _ in parts.sheets]
    if sheet is None:
        return parts.sheets[0]
    if isinstance(sheet, str):
        exact = [i for i, name in enumerate(names) if name == sheet]
        loose = [i for i, name in enumerate(names) if name.casefold() == sheet.casefold()]
        if exact or loose:
            return parts.sheets[(exact or loose)[0]]
    number = sheet if isinstance(sheet, int) else int(sheet) if sheet.isdigit() else 0
    if 1 <= number <= len(names):
        return parts.sheets[number - 1]
    listed = ", ".join(repr(name) for name in names)
    raise TableError(f"{book.path}: --sheet {sheet}: no such sheet (the sheets: {listed})")


def worksheet_part(archive: zipfile.ZipFile, path: Path, sheet: str | int | None) -> str:
    """The part name of a worksheet of the workbook in ``archive`` (read from ``path``)."""
    book = _Workbook(path, archive)
    return sheet_part(book, _parts(book), sheet)[1]


class _Opened:
    """A workbook open for reading its sheets: its parts, shared strings and styles read
    once."""

    def __init__(self, book: _Workbook, limits: TableLimits) -> None:
        self.book = book
        self.limits = limits
        self.parts = _parts(book)
        self.strings = _shared_strings(book, self.parts.strings, limits)
        self.styles = _styles(book, self.parts.styles)

    def read(self, part: str, stop: int | None = None) -> _SheetReader:
        """The sheet in ``part`` read (its first ``stop`` rows holding anything, if given)."""
        book, parts = self.book, self.parts
        reader = _SheetReader(book, self.strings, self.styles, parts.epoch, self.limits, stop)
        try:
            book.parse(part, self.limits.size, reader.start, reader.end, reader.text)
        except _Enough:
            pass  # the rows looked for are read
        except TableError:
            raise  # a limit, already said
        except (ValueError, IndexError) as exc:
            raise book.unreadable(f"{part}: {exc}") from None
        return reader


def _rows(reader: _SheetReader) -> list[list[str]]:
    return list(csv.reader(io.StringIO(reader.out.getvalue())))


def read_sheet(
    stream: BinaryIO,
    path: Path,
    limits: TableLimits,
    sheet: str | int | None = None,
    *,
    choose: Callable[[Sequence[Sequence[str]]], bool] | None = None,
    window: int = 10,
) -> Sheet:
    """A worksheet of the workbook in ``stream`` (read from ``path``), or TableError saying
    why not: not an xlsx workbook, no such sheet, or over one of ``limits``. ``sheet``
    names or numbers it; else, with ``choose``, the first sheet whose first ``window`` rows
    holding anything it accepts, when the first sheet's are not (else the first sheet)."""
    directory = _directory_size(stream)
    if directory > PART_LIMIT:
        what = f"a zip directory of {directory:,} bytes"
        raise over_limit(path, what, PART_LIMIT, "bytes")
    try:
        archive = zipfile.ZipFile(stream)
    except (zipfile.BadZipFile, ValueError, EOFError) as exc:
        raise TableError(f"{path}: not a readable xlsx workbook ({exc})") from None
    with archive:
        opened = _Opened(_Workbook(path, archive), limits)
        name, part = sheet_part(opened.book, opened.parts, sheet)
        guess = ""
        sheets = opened.parts.sheets
        if sheet is None and choose is not None and len(sheets) > 1:
            for number, (other, where) in enumerate(sheets):
                if choose(_rows(opened.read(where, window))):
                    if number:
                        name, part = other, where
                        guess = (
                            f"guessed: sheet {number + 1} of {len(sheets)}, the first whose"
                            " first rows name known columns; --sheet NAME to choose"
                        )
                    break
        reader = opened.read(part)
    if not reader.first_row:
        raise TableError(f"{path}: the sheet {name!r} is empty (expected a header line)")
    return Sheet(reader.out.getvalue(), reader.width, reader.rows, reader.first_row, name, guess)
