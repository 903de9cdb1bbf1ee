"""CSV in and out for the command line.

Input is UTF-8 (a BOM is accepted and kept); the delimiter is read from the header line and
kept, as is the line ending. Columns are found by name whatever their spelling
(``First Name``, ``first_name``, ``prénom``, ...). Output rows keep every input cell
unchanged, in input order, with the new columns appended; the file is replaced atomically.
"""

from __future__ import annotations

import codecs
import csv
import io
import os
import re
import sys
import unicodedata
from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any, TextIO

import attrs
import orjson

from ..models import EmailResult, EmailSearch
from .interrupt import CliError

__all__ = [
    "FOUND_COLUMNS",
    "RESULT_COLUMNS",
    "Columns",
    "EmailList",
    "Table",
    "added_columns",
    "check_writable",
    "find_columns",
    "found_cells",
    "is_email",
    "read_emails",
    "read_table",
    "record_cells",
    "result_record",
    "same_file",
    "searches_of",
    "write_bytes",
    "write_rows",
]

FOUND_COLUMNS = ("email", "qualification", "firstname", "lastname", "gender", "company")
"""What ``find`` appends to every input row."""

RESULT_COLUMNS = (
    "batch_id",
    "index",
    "fullname",
    "company_domain",
    "company_name",
    "custom",
    *FOUND_COLUMNS,
)
"""One row per result for ``wait`` and ``results``: the search as sent, then what was found."""

_DELIMITERS = ",;\t|"
_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")


def _key(name: str) -> str:
    """``"Prénom"`` -> ``"prenom"``, ``"First_Name"`` -> ``"firstname"``."""
    text = unicodedata.normalize("NFKD", name).casefold()
    return "".join(c for c in text if c.isalnum() and not unicodedata.combining(c))


_ALIASES: Mapping[str, frozenset[str]] = {
    role: frozenset(_key(name) for name in names)
    for role, names in {
        "fullname": ("fullname", "full name", "name", "contact name", "person", "nom complet"),
        "first": ("first name", "first", "given name", "forename", "prénom", "vorname", "nombre"),
        "last": (
            "last name",
            "last",
            "surname",
            "family name",
            "nom",
            "nom de famille",
            "nachname",
            "apellido",
            "apellidos",
        ),
        "domain": (
            "company domain",
            "domain",
            "website",
            "company website",
            "web",
            "site",
            "url",
            "company url",
            "domain name",
            "homepage",
        ),
        "company": (
            "company name",
            "company",
            "organization",
            "organisation",
            "employer",
            "account name",
            "entreprise",
            "société",
            "firma",
            "empresa",
        ),
        "custom": ("custom",),
        "email": ("email", "e-mail", "email address", "mail", "courriel", "work email"),
    }.items()
}


@attrs.frozen
class Table:
    """A CSV file read whole: header, rows (padded to one width) and how it was written."""

    path: Path
    header: list[str]
    rows: list[list[str]]
    delimiter: str = ","
    lineterminator: str = "\r\n"
    bom: bool = False


def _read_text(path: Path) -> tuple[str, bool]:
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


def _parse(path: Path, text: str, bom: bool) -> Table:
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
    text, bom = _read_text(path)
    return _parse(path, text, bom)


def _found(header: Sequence[str]) -> str:
    names = [repr(name) for name in header if name.strip()]
    shown = ", ".join(names[:15]) + (f" and {len(names) - 15} more" if len(names) > 15 else "")
    return f"found: {shown}" if names else "the header line is empty"


@attrs.frozen
class Columns:
    """Positions of the columns ``find`` reads (``None`` when absent)."""

    fullname: int | None = None
    first: int | None = None
    last: int | None = None
    domain: int | None = None
    company: int | None = None
    custom: int | None = None
    email: int | None = None


def _locate(header: Sequence[str]) -> Columns:
    keys = [_key(name) for name in header]
    found: dict[str, int] = {}
    for role, aliases in _ALIASES.items():
        for position, key in enumerate(keys):
            if key in aliases and position not in found.values():
                found[role] = position
                break
    return Columns(**found)


def find_columns(table: Table) -> Columns:
    """The person, company and custom columns, or exit 2 naming what is missing."""
    columns = _locate(table.header)
    missing = []
    if columns.fullname is None:
        if columns.first is None and columns.last is None:
            missing.append("a name: fullname, or first_name and last_name")
        elif columns.first is None:
            missing.append("first_name (or fullname)")
        elif columns.last is None:
            missing.append("last_name (or fullname)")
    if columns.domain is None and columns.company is None:
        missing.append("a company: company_domain and/or company_name")
    if missing:
        raise CliError(
            f"{table.path}: missing column(s): {'; '.join(missing)} ({_found(table.header)})", 2
        )
    return columns


def _cell(row: Sequence[str], position: int | None) -> str:
    if position is None:
        return ""
    return " ".join(row[position].split())


def searches_of(table: Table, columns: Columns) -> tuple[list[EmailSearch], list[int]]:
    """The searches to send and, for each, its row number; rows without a name or a
    company are left out (``find`` writes them as ``skipped``)."""
    searches: list[EmailSearch] = []
    rows: list[int] = []
    for number, row in enumerate(table.rows):
        name = _cell(row, columns.fullname) or " ".join(
            part for part in (_cell(row, columns.first), _cell(row, columns.last)) if part
        )
        domain = _cell(row, columns.domain) or None
        company = _cell(row, columns.company) or None
        if not name or (domain is None and company is None):
            continue
        custom = row[columns.custom].strip() if columns.custom is not None else ""
        searches.append(EmailSearch(name, domain, company, custom or None))
        rows.append(number)
    return searches, rows


def added_columns(header: Sequence[str], names: Iterable[str]) -> list[str]:
    """``names``, prefixed ``enrow_`` where the input already has a column of that name."""
    taken = {name.strip().casefold() for name in header}
    return [f"enrow_{name}" if name.casefold() in taken else name for name in names]


def _company(result: EmailResult) -> str:
    info = result.info
    if info is None or info.company_info is None:
        return ""
    return info.company_info.name or ""


def found_cells(result: EmailResult | None, qualification: str | None = None) -> list[str]:
    """The FOUND_COLUMNS cells of one input row; ``qualification`` overrides (skipped, ...)."""
    if result is None:
        return ["", qualification or "", "", "", "", ""]
    info = result.info
    return [
        result.email or "",
        qualification or str(result.qualification),
        (info.firstname or "") if info else "",
        (info.lastname or "") if info else "",
        (info.gender or "") if info else "",
        _company(result),
    ]


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    return orjson.dumps(value).decode()


def result_record(batch_id: str, result: EmailResult) -> dict[str, Any]:
    """One result as a flat record with the RESULT_COLUMNS keys (``custom`` kept as sent)."""
    params = result.raw_params
    record: dict[str, Any] = {
        "batch_id": batch_id,
        "index": result.index,
        "fullname": params.get("fullname"),
        "company_domain": params.get("company_domain"),
        "company_name": params.get("company_name"),
        "custom": result.custom,
    }
    found = found_cells(result)
    record.update({name: cell or None for name, cell in zip(FOUND_COLUMNS, found, strict=True)})
    return record


def record_cells(record: Mapping[str, Any]) -> list[str]:
    return [_text(record[name]) for name in RESULT_COLUMNS]


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


def write_bytes(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` (stdout for ``-``), atomically."""
    if str(path) == "-":
        sys.stdout.buffer.write(data)
        sys.stdout.flush()
        return
    _replace(path, lambda temp: temp.write_bytes(data))


def write_rows(
    path: Path,
    header: Sequence[str],
    rows: Iterable[Sequence[str]],
    *,
    like: Table | None = None,
) -> None:
    """Write a CSV file (or stdout for ``-``) in the dialect of ``like``, atomically."""
    if str(path) == "-":
        _write(sys.stdout, header, rows, like)
        sys.stdout.flush()
        return
    encoding = "utf-8-sig" if like is not None and like.bom else "utf-8"

    def write(temp: Path) -> None:
        with temp.open("w", encoding=encoding, newline="") as stream:
            _write(stream, header, rows, like)

    _replace(path, write)


@attrs.frozen
class EmailList:
    """``verify`` input: a CSV with an email column, or one address per line (no table)."""

    emails: list[str]
    table: Table | None = None


def read_emails(path: Path) -> EmailList:
    text, bom = _read_text(path)
    lines = [line.strip() for line in text.splitlines()]
    first = next((line for line in lines if line), "")
    if not first:
        raise CliError(f"{path}: the file is empty (expected email addresses)", 2)
    if "@" in first:
        return EmailList([line for line in lines if line])
    table = _parse(path, text, bom)
    column = _locate(table.header).email
    if column is None:
        raise CliError(f"{path}: missing column: email ({_found(table.header)})", 2)
    return EmailList([row[column].strip() for row in table.rows], table)


def is_email(text: str) -> bool:
    return bool(_EMAIL.fullmatch(text))
