"""Tables out for the command line: CSV, ``.xlsx`` (openpyxl, the ``xlsx`` extra) and JSON
Lines, and the checks on the output before anything is paid for.

Output is written in the dialect of the input (UTF-8 with a BOM when the input had a BOM or
was not UTF-8; its ``sep=`` line and the title rows above its header kept), replacing the
file atomically; ``-`` writes to the standard output. An xlsx input is written back as the
workbook it was, its other sheets and its cells' types kept, with the columns added
(``write_workbook``). Cells the tool writes from API data are neutralised against formula
injection (CWE-1236) in CSV and xlsx; input cells are written as they were read. Reading is
the library's (``enrow_async.tables``). An existing output is replaced only when asked
(``check_new``).
"""

from __future__ import annotations

import csv
import io
import os
from collections.abc import Callable, Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any, TextIO

import orjson

from enrow_async.tables import Table, extend_workbook, require_openpyxl

from .errors import CliError

__all__ = [
    "check_new",
    "check_writable",
    "output_format",
    "same_file",
    "write_bytes",
    "write_json",
    "write_jsonl",
    "write_rows",
    "write_workbook",
    "write_xlsx",
]


def output_format(path: Path, given: str | None) -> str:
    """``--format``, else what the output's suffix says (``.jsonl``, ``.json``, ``.xlsx``),
    else csv."""
    if given is not None:
        return given
    suffix = path.suffix.lower()
    formats = {".jsonl": "jsonl", ".ndjson": "jsonl", ".json": "json", ".xlsx": "xlsx"}
    return formats.get(suffix, "csv")


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


def check_new(path: Path, *, force: bool, resuming: bool) -> None:
    """Refuse (exit 2, before anything is paid for) to replace an existing output, perhaps
    the paid results of an earlier run, unless ``force`` (``--force``) or ``resuming`` (the
    journal given holds the earlier run's batches: its output is completed)."""
    if str(path) == "-" or force or resuming or not path.exists():
        return
    raise CliError(
        f"{path}: already exists (the results of an earlier run?); give another -o, or"
        " --force to replace it",
        2,
    )


def _write(
    stream: TextIO, header: Sequence[str], rows: Iterable[Sequence[str]], like: Table | None
) -> None:
    delimiter = like.delimiter if like else ","
    writer = csv.writer(
        stream,
        delimiter=delimiter,
        lineterminator=like.lineterminator if like else "\n",
        quoting=csv.QUOTE_MINIMAL,
    )
    if like is not None:
        if like.sep:
            stream.write(f"sep={delimiter}{like.lineterminator}")
        writer.writerows(like.above)
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
    except BaseException:
        temp.unlink(missing_ok=True)
        raise


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


def _write_lines(path: Path, lines: Iterable[bytes], stdout: TextIO) -> None:
    """``lines`` to ``path`` atomically, or to the standard output's bytes for ``-``."""
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


def write_jsonl(path: Path, records: Iterable[dict[str, Any]], *, stdout: TextIO) -> None:
    """One JSON object a line (raw values: nothing is neutralised), atomically."""
    _write_lines(path, (orjson.dumps(record) + b"\n" for record in records), stdout)


def write_json(path: Path, records: Iterable[dict[str, Any]], *, stdout: TextIO) -> None:
    """One JSON array of objects (raw values: nothing is neutralised), atomically."""
    _write_lines(path, _array(records), stdout)


def _array(records: Iterable[dict[str, Any]]) -> Iterator[bytes]:
    yield b"["
    for number, record in enumerate(records):
        yield (b",\n" if number else b"\n") + orjson.dumps(record)
    yield b"\n]\n"


def write_workbook(
    path: Path,
    table: Table,
    header: Sequence[str],
    rows: Iterable[Sequence[str]],
    *,
    stdout: TextIO,
) -> None:
    """The xlsx workbook ``table`` was read from, with ``header`` and ``rows`` added after
    its columns (the library's ``extend_workbook``: every other part kept), atomically."""
    if str(path) == "-":
        data = io.BytesIO()
        extend_workbook(table, header, rows, data)
        write_bytes(path, data.getvalue(), stdout=stdout)
        return

    def write(temp: Path) -> None:
        with temp.open("wb") as stream:
            extend_workbook(table, header, rows, stream)

    _replace(path, write)


def write_xlsx(
    path: Path, header: Sequence[str], rows: Iterable[Sequence[str]], *, stdout: TextIO
) -> None:
    """An ``.xlsx`` workbook of one sheet (a CSV input's); every cell a string (never a
    formula)."""
    openpyxl = require_openpyxl()
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
