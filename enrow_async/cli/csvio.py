"""CSV files in and out for the command line.

Input is UTF-8 (a BOM is accepted and kept); the delimiter is read from the header line and
kept, as is the line ending. Output rows are written in the dialect of the input, and the
file is replaced atomically; ``-`` writes to the standard output instead.
"""

from __future__ import annotations

import codecs
import csv
import io
import os
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import TextIO

import attrs

from .errors import CliError

__all__ = [
    "Table",
    "check_writable",
    "parse_table",
    "read_table",
    "read_text",
    "same_file",
    "write_bytes",
    "write_rows",
]

_DELIMITERS = ",;\t|"


@attrs.frozen
class Table:
    """A CSV file read whole: header, rows (padded to one width) and how it was written."""

    path: Path
    header: list[str]
    rows: list[list[str]]
    delimiter: str = ","
    lineterminator: str = "\r\n"
    bom: bool = False


def read_text(path: Path) -> tuple[str, bool]:
    """The text of ``path`` and whether it began with a BOM, or exit 2 saying why not."""
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise CliError(f"{path}: no such file", 2) from None
    except IsADirectoryError:
        raise CliError(f"{path}: is a directory, not a file", 2) from None
    except OSError as exc:
        raise CliError(f"{path}: cannot read it ({exc.strerror or exc})", 2) from None
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise CliError(
            f"{path}: not UTF-8 text (bad byte at offset {exc.start}); save it as CSV UTF-8", 2
        ) from None
    return text, raw.startswith(codecs.BOM_UTF8)


def _delimiter(first_line: str) -> str:
    counts = {d: first_line.count(d) for d in _DELIMITERS}
    best = max(counts, key=lambda d: counts[d])
    return best if counts[best] else ","


def parse_table(path: Path, text: str, bom: bool) -> Table:
    """``text`` read from ``path`` as a CSV table, or exit 2 saying why not."""
    first = text.split("\n", 1)[0]
    delimiter = _delimiter(first)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        rows = [row for row in reader if row]
    except csv.Error as exc:
        raise CliError(
            f"{path}: not a readable CSV file (line {reader.line_num}: {exc})", 2
        ) from None
    if not rows:
        raise CliError(f"{path}: the file is empty (expected a header line)", 2)
    header, body = rows[0], rows[1:]
    width = max(len(row) for row in rows)
    if width > len(header):
        header = header + [""] * (width - len(header))
    for row in body:
        if len(row) < width:
            row.extend([""] * (width - len(row)))
    ending = "\r\n" if first.endswith("\r") else "\n"
    return Table(path, header, body, delimiter, ending, bom)


def read_table(path: Path) -> Table:
    text, bom = read_text(path)
    return parse_table(path, text, bom)


def same_file(source: Path, output: Path) -> None:
    """Refuse an output that would replace its own input."""
    if str(output) != "-" and output.resolve() == source.resolve():
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
