"""Tables out: an input table written back with the columns a list job adds (CSV, JSON,
JSON Lines, ``.xlsx``), batches' results one row each, and the checks on an output before
anything is paid for.

Every file is replaced atomically (a temporary file beside it, then renamed); ``-`` writes
to the standard output (``stdout``, by default ``sys.stdout``). A table is written in the
dialect it was read in (UTF-8 with a BOM when the input had a BOM or was not UTF-8; its
``sep=`` line and the title rows above its header kept); an xlsx input is written back as
the workbook it was, its other sheets and its cells' types kept (``extend_workbook``).
Cells written from API data are neutralised against formula injection (CWE-1236) in CSV
and xlsx, raw in JSON; input cells are written as they were read. An output that cannot
be written raises [TableError][enrow_async.TableError], as an input that cannot be read.
"""

from __future__ import annotations

import csv
import io
import os
import sys
from collections.abc import Callable, Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any, BinaryIO, TextIO

import attrs
import orjson

from ..errors import TableError
from ..models import BulkResults
from .cells import RESULT_COLUMNS, neutralise, record_cells, result_record
from .read import Table, require_openpyxl
from .workbook import extend_workbook

__all__ = [
    "check_new",
    "check_writable",
    "output_format",
    "same_file",
    "write_bytes",
    "write_results",
    "write_rows",
    "write_table",
]


def output_format(path: Path, given: str | None = None) -> str:
    """``given``, else what the output's suffix says (``.jsonl``, ``.ndjson``, ``.json``,
    ``.xlsx``), else csv."""
    if given is not None:
        return given
    formats = {".jsonl": "jsonl", ".ndjson": "jsonl", ".json": "json", ".xlsx": "xlsx"}
    return formats.get(path.suffix.lower(), "csv")


def same_file(source: Path, output: Path) -> None:
    """Refuse an output that would replace its own input."""
    if str(output) != "-" and str(source) != "-" and output.resolve() == source.resolve():
        raise TableError(f"{output}: the output would replace the input; pick another name")


def check_writable(path: Path) -> None:
    """Refuse early (before anything is paid for) an output that cannot be written."""
    if str(path) == "-":
        return
    parent = path.parent if str(path.parent) else Path(".")
    if path.is_dir():
        raise TableError(f"{path}: is a directory; give a file name for the output")
    if not parent.is_dir():
        raise TableError(f"{path}: the folder {parent} does not exist")
    if not os.access(parent, os.W_OK) or (path.exists() and not os.access(path, os.W_OK)):
        raise TableError(f"{path}: not writable")


def check_new(path: Path, *, force: bool, resuming: bool) -> None:
    """Refuse to replace an existing output, perhaps the paid results of an earlier run,
    unless ``force`` or ``resuming`` (the record given holds the earlier run's batches: its
    output is completed)."""
    if str(path) == "-" or force or resuming or not path.exists():
        return
    raise TableError(
        f"{path}: already exists (the results of an earlier run?); give another -o, or"
        " --force to replace it"
    )


def _replace(path: Path, write: Callable[[Path], object]) -> None:
    """Write a temporary file next to ``path``, then rename it over ``path``."""
    temp = path.with_name(f".{path.name}.partial")
    try:
        write(temp)
        os.replace(temp, path)
    except OSError as exc:
        temp.unlink(missing_ok=True)
        raise TableError(f"{path}: cannot write it ({exc.strerror or exc})") from None
    except BaseException:
        temp.unlink(missing_ok=True)
        raise


def write_bytes(path: Path, data: bytes, *, stdout: TextIO | None = None) -> None:
    """Write ``data`` to ``path`` (``stdout``'s bytes for ``-``), atomically."""
    _write_lines(path, (data,), stdout)


def _write_lines(path: Path, lines: Iterable[bytes], stdout: TextIO | None) -> None:
    if str(path) == "-":
        out = stdout or sys.stdout
        out.flush()
        for line in lines:
            out.buffer.write(line)
        out.flush()
        return

    def write(temp: Path) -> None:
        with temp.open("wb") as stream:
            stream.writelines(lines)

    _replace(path, write)


def _csv(
    stream: TextIO, header: Sequence[str], rows: Iterable[Sequence[str]], like: Table | None
) -> None:
    delimiter = like.delimiter if like else ","
    ending = like.lineterminator if like else "\n"
    writer = csv.writer(stream, delimiter=delimiter, lineterminator=ending)
    if like is not None:
        if like.sep:
            stream.write(f"sep={delimiter}{ending}")
        writer.writerows(like.above)
    writer.writerow(header)
    writer.writerows(rows)


def write_rows(
    path: Path,
    header: Sequence[str],
    rows: Iterable[Sequence[str]],
    *,
    stdout: TextIO | None = None,
    like: Table | None = None,
) -> None:
    """A CSV file (``stdout`` for ``-``) in the dialect of ``like``, atomically; the cells
    as given."""
    if str(path) == "-":
        out = stdout or sys.stdout
        _csv(out, header, rows, like)
        out.flush()
        return
    encoding = "utf-8-sig" if like is not None and like.bom else "utf-8"

    def write(temp: Path) -> None:
        with temp.open("w", encoding=encoding, newline="") as stream:
            _csv(stream, header, rows, like)

    _replace(path, write)


def _json(records: Iterable[dict[str, Any]], array: bool) -> Iterator[bytes]:
    """One JSON array of ``records``, or (not ``array``) one JSON object a line."""
    if not array:
        yield from (orjson.dumps(record) + b"\n" for record in records)
        return
    yield b"["
    for number, record in enumerate(records):
        yield (b",\n" if number else b"\n") + orjson.dumps(record)
    yield b"\n]\n"


def _xlsx(
    path: Path, header: Sequence[str], rows: Iterable[Sequence[str]], stdout: TextIO | None
) -> None:
    """A workbook of one sheet; every cell a string (never a formula)."""
    openpyxl = require_openpyxl()
    book = openpyxl.Workbook(write_only=True)
    sheet = book.create_sheet("enrow")

    def cells(values: Sequence[str]) -> list[Any]:
        out = []
        for value in values:
            cell = openpyxl.cell.WriteOnlyCell(sheet, value=value)
            cell.data_type = "s"  # text as it is, even "=1+1"
            out.append(cell)
        return out

    for values in (header, *rows):
        sheet.append(cells(values))
    _save(path, book.save, stdout)


def _save(path: Path, save: Callable[[Any], object], stdout: TextIO | None) -> None:
    """``save(file)`` (a path, or a binary stream for ``-``) made atomic."""
    if str(path) == "-":
        data = io.BytesIO()
        save(data)
        write_bytes(path, data.getvalue(), stdout=stdout)
    else:
        _replace(path, save)


class _WorkbookGone(Exception):
    """The workbook a table came from cannot be read again (it changed since): its
    TableError."""


def _workbook(
    path: Path,
    table: Table,
    added: Sequence[str],
    rows: Iterable[Sequence[str]],
    stdout: TextIO | None,
) -> None:
    def extend(stream: BinaryIO) -> None:
        try:
            extend_workbook(table, added, rows, stream)
        except TableError as error:
            raise _WorkbookGone(error) from None

    def save(target: Path | BinaryIO) -> None:
        if not isinstance(target, Path):
            extend(target)
            return
        with target.open("wb") as stream:
            extend(stream)

    _save(path, save, stdout)


def write_table(
    path: Path,
    table: Table,
    header: Sequence[str],
    added: Sequence[Sequence[str]],
    *,
    format: str = "csv",
    stdout: TextIO | None = None,
) -> str | None:
    """Every row of ``table``, in order, its cells as read, then its ``added`` cells, under
    ``header`` (the table's, then the added columns'), as ``format`` (csv, jsonl, json or xlsx):
    ``added`` neutralised in csv and xlsx, raw in json and jsonl; csv in the table's
    dialect; xlsx as the workbook the table was read from, every other part kept, or a
    sheet of text for a CSV input. Returns what to tell the user, if anything: a workbook
    that cannot be read again (it changed since) is written as a sheet of text instead."""
    if format in ("json", "jsonl"):
        records = (
            dict(zip(header, [*row, *cells], strict=True))
            for row, cells in zip(table.rows, added, strict=True)
        )
        _write_lines(path, _json(records, format == "json"), stdout)
        return None

    def rows() -> Iterator[list[str]]:
        pairs = zip(table.rows, added, strict=True)
        return ([*row, *map(neutralise, cells)] for row, cells in pairs)

    if format != "xlsx":
        write_rows(path, header, rows(), stdout=stdout, like=table)
        return None
    note = None
    if table.sheet is not None and str(table.path) != "-":
        width = len(table.header)
        try:
            _workbook(path, table, header[width:], (row[width:] for row in rows()), stdout)
            return None
        except _WorkbookGone as gone:  # the input changed since it was read: the results first
            note = f"{gone.args[0]}; written as a sheet of text instead"
    _xlsx(path, header, rows(), stdout)
    return note


def write_results(
    path: Path,
    batches: Sequence[BulkResults],
    *,
    format: str = "csv",
    stdout: TextIO | None = None,
) -> int:
    """The results of ``batches``, one row each (``RESULT_COLUMNS``), as csv (neutralised)
    or jsonl (raw), or the batches themselves as json (one object for one batch, else an
    array); returns how many results."""
    records = [result_record(b.id, r) for b in batches for r in b.results]
    if format == "csv":
        rows = ([neutralise(cell) for cell in record_cells(r)] for r in records)
        write_rows(path, RESULT_COLUMNS, rows, stdout=stdout)
    elif format == "jsonl":
        _write_lines(path, _json(records, False), stdout)
    else:
        data: list[dict[str, Any]] = [attrs.asdict(b) for b in batches]
        write_bytes(path, orjson.dumps(data[0] if len(data) == 1 else data) + b"\n", stdout=stdout)
    return len(records)
