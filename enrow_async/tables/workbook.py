"""An xlsx workbook written again with columns added to the sheet a table was read from,
everything else kept as it was: the other sheets, the cells' types, formats, formulas and
styles, merged cells, images and charts.

The workbook is copied part by part, as a stream: every part but the sheet is copied as
it is; the sheet's XML is copied too, with the new cells (inline strings, never formulas)
put in each row it covers, in column order, and the rows it lacks added (a blank row of
the table is a row the sheet skips). So the memory it takes is about one row's XML,
whatever the size of the sheet (openpyxl, which loads the whole workbook, took 480 MiB
to add one column to a sheet of 100,000 rows and 8 columns).
"""

from __future__ import annotations

import re
import zipfile
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import BinaryIO
from xml.sax.saxutils import escape

from ..errors import TableError
from .limits import LIMITS, TableLimits, over_limit
from .read import Table

__all__ = ["extend_workbook"]

_TAG = re.compile(rb"<(/?)((?:[A-Za-z_][\w.-]*:)?)(row|sheetData|dimension)\b([^>]*?)(/?)>")
_REF = re.compile(rb'\br="([A-Za-z]+)(\d+)"')
_ROW_NUMBER = re.compile(rb'\br="(\d+)"')
_SPANS = re.compile(rb'\sspans="[^"]*"')
_DIMENSION = re.compile(rb'\bref="([A-Za-z]+)(\d+)(?::([A-Za-z]+)(\d+))?"')
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
"""Characters XML 1.0 cannot hold (the API's answers never have them; input cells are not
written here)."""


def _letters(column: int) -> str:
    """The letters of a column number (28: ``AB``)."""
    text = ""
    while column:
        column, rest = divmod(column - 1, 26)
        text = chr(65 + rest) + text
    return text


def _number(letters: bytes) -> int:
    number = 0
    for char in letters.upper():
        number = number * 26 + char - 64
    return number


class _Cells:
    """The new cells of each sheet row, in the sheet's own namespace prefix."""

    def __init__(
        self,
        prefix: bytes,
        column: int,
        header_row: int,
        header: Sequence[str],
        rows: Iterator[Sequence[str]],
    ) -> None:
        self.prefix = prefix
        self.first = column
        self.last = column + len(header) - 1
        self._letters = [_letters(column + i).encode() for i in range(len(header))]
        self._header_row = header_row
        self._header = header
        self._rows = rows
        self.next = header_row
        """The next sheet row that gets cells."""

    def due(self, number: int) -> bool:
        return number == self.next

    def take(self) -> bytes | None:
        """The cells of row ``next``, and ``next`` moved on; ``None`` past the last row
        (then no row is ever due)."""
        number = self.next
        values = self._header if number == self._header_row else next(self._rows, None)
        if values is None:
            self.next = 0
            return None
        self.next += 1
        p = self.prefix
        cells = [
            b'<%sc r="%s%d" t="inlineStr"><%sis><%st xml:space="preserve">%s</%st></%sis></%sc>'
            % (p, letters, number, p, p, escape(_NOT_XML.sub("", value)).encode(), p, p, p)
            for letters, value in zip(self._letters, values, strict=True)
            if value
        ]
        return b"".join(cells)


_CELL = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?c\b[^>]*?(?:/>|>.*?</(?:[A-Za-z_][\w.-]*:)?c>)", re.S)


def _merged(content: bytes, added: bytes, cells: _Cells) -> bytes:
    """A row's cells with ``added`` among them in column order; the row's own cells in the
    added columns (style alone: the table's width ends before them) give way."""
    before: list[bytes] = []
    after: list[bytes] = []
    column = 0
    at = 0
    for cell in _CELL.finditer(content):
        ref = _REF.search(cell.group(), 0, cell.group().find(b">"))
        column = _number(ref.group(1)) if ref else column + 1
        piece = content[at : cell.end()]
        at = cell.end()
        if column < cells.first:
            before.append(piece)
        elif column > cells.last:
            after.append(piece)
    return b"".join(before) + added + b"".join(after) + content[at:]


class _Rewrite:
    """The sheet's XML, fed in chunks, written out with the new cells."""

    def __init__(
        self,
        write: Callable[[bytes], object],
        make: Callable[[bytes], _Cells],
        end: tuple[int, int],
    ) -> None:
        self._write = write
        self._make = make
        self._end = end
        """The last column and row the new cells take."""
        self._cells: _Cells | None = None
        self._buffer = b""
        self._row = 0
        self._open: re.Match[bytes] | None = None
        """The start tag of the row being read, whose end is not read yet."""

    def feed(self, chunk: bytes) -> None:
        self._buffer += chunk
        at = 0
        while True:
            if self._open is not None:
                end = self._buffer.find(b"</%srow>" % self._open.group(2), at)
                if end < 0:
                    break
                self._row_out(self._open, self._buffer[at:end])
                at = end + len(self._open.group(2)) + 6
                self._open = None
                continue
            tag = _TAG.search(self._buffer, at)
            if tag is None:
                cut = self._buffer.rfind(b"<", at)
                cut = len(self._buffer) if cut < 0 or self._buffer.find(b">", cut) >= 0 else cut
                self._write(self._buffer[at:cut])
                at = cut
                break
            self._write(self._buffer[at : tag.start()])
            at = tag.end()
            self._tag(tag)
        self._buffer = self._buffer[at:]

    def close(self) -> None:
        self._write(self._buffer)

    def _tag(self, tag: re.Match[bytes]) -> None:
        closing, prefix, name, attributes, empty = tag.groups()
        if name == b"dimension":
            self._write(self._dimension(tag.group()))
        elif name == b"sheetData":
            if not closing and not empty:
                self._cells = self._make(prefix)
                self._write(tag.group())
            elif closing:
                self._rows_before(1 << 31)
                self._write(tag.group())
            else:  # an empty sheet: no header, nothing to add
                self._write(tag.group())
        elif not closing:
            number = _ROW_NUMBER.search(attributes)
            self._row = int(number.group(1)) if number else self._row + 1
            self._rows_before(self._row)
            if empty:
                self._row_out(tag, None)
            else:
                self._open = tag

    def _rows_before(self, number: int) -> None:
        """The rows the sheet lacks before row ``number`` that get cells."""
        cells = self._cells
        while cells is not None and 0 < cells.next < number:
            row = cells.next
            added = cells.take()
            if not added:
                continue
            self._write(b'<%srow r="%d">%s</%srow>' % (cells.prefix, row, added, cells.prefix))

    def _row_out(self, tag: re.Match[bytes], content: bytes | None) -> None:
        cells = self._cells
        prefix = tag.group(2)
        added = cells.take() if cells is not None and cells.due(self._row) else None
        if cells is None or added is None:
            self._write(tag.group() + (b"" if content is None else content + b"</%srow>" % prefix))
            return
        start = b"<%srow%s>" % (prefix, _SPANS.sub(b"", tag.group(4)))
        merged = _merged(content or b"", added, cells)
        self._write(start + merged + b"</%srow>" % prefix)

    def _dimension(self, tag: bytes) -> bytes:
        """The sheet's dimension, stretched over the new cells."""
        found = _DIMENSION.search(tag)
        if found is None:
            return tag
        first_col, first_row, last_col, last_row = found.groups()
        end_col = max(_number(last_col or first_col), self._end[0])
        end_row = max(int(last_row or first_row), self._end[1])
        span = b'ref="%s%s:%s%d"' % (first_col, first_row, _letters(end_col).encode(), end_row)
        return tag[: found.start()] + span + tag[found.end() :]


def _copy(source: zipfile.ZipFile, info: zipfile.ZipInfo, target: zipfile.ZipFile) -> None:
    copied = zipfile.ZipInfo(info.filename, info.date_time)
    copied.compress_type = info.compress_type
    copied.external_attr = info.external_attr
    with source.open(info) as reading, target.open(copied, "w", force_zip64=True) as writing:
        while chunk := reading.read(1 << 20):
            writing.write(chunk)


def extend_workbook(
    table: Table,
    header: Sequence[str],
    rows: Iterable[Sequence[str]],
    target: BinaryIO,
    limits: TableLimits = LIMITS,
) -> None:
    """Write to ``target`` the workbook ``table`` was read from (``table.path``, an xlsx
    file), with ``header`` on its header row and each of ``rows`` on its table row, in the
    columns after the table's own, in the sheet it was read from. TableError when the
    workbook cannot be read again, or declares more than it may hold."""
    if table.sheet is None:
        raise TableError(f"{table.path}: not a table read from an xlsx workbook")
    try:
        source = zipfile.ZipFile(table.path)
    except (OSError, zipfile.BadZipFile) as exc:
        raise TableError(f"{table.path}: cannot read the workbook again ({exc})") from None
    with source:
        infos = source.infolist()
        declared = sum(info.file_size for info in infos)
        if declared > 2 * limits.size:
            what = f"its parts are {declared:,} bytes uncompressed"
            raise over_limit(table.path, what, 2 * limits.size, "bytes")
        from .xlsx import worksheet_part  # imports openpyxl: only when a workbook is written

        part = worksheet_part(source, table.path, table.sheet)
        column = len(table.header) + 1
        end = (column + len(header) - 1, table.header_row + len(table.rows))
        data = iter(rows)

        def make(prefix: bytes) -> _Cells:
            return _Cells(prefix, column, table.header_row, header, data)

        with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as out:
            for info in infos:
                if info.filename != part:
                    _copy(source, info, out)
                    continue
                written = zipfile.ZipInfo(info.filename, info.date_time)
                written.compress_type = zipfile.ZIP_DEFLATED
                with (
                    source.open(info) as reading,
                    out.open(written, "w", force_zip64=True) as writing,
                ):
                    rewrite = _Rewrite(writing.write, make, end)
                    while chunk := reading.read(1 << 16):
                        rewrite.feed(chunk)
                    rewrite.close()
