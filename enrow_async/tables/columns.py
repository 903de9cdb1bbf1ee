"""What the commands read from a table: the people ``find`` searches, the addresses
``verify`` checks.

Columns are found by name whatever their spelling (``First Name``, ``first_name``,
``prénom``, ...); a missing one is named, with the columns found, before anything is sent.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import BinaryIO

import attrs

from ..errors import TableError
from ..models import EmailSearch
from .checks import RowCheck, SkipReason, check_row, is_email, is_trailer
from .names import ALIASES, key
from .read import Table, parse_table, read_text

__all__ = [
    "ROLES",
    "Columns",
    "EmailList",
    "check_rows",
    "describe",
    "describe_checks",
    "find_columns",
    "find_email_column",
    "is_email",
    "read_emails",
    "searches_of",
    "searches_to_send",
    "addresses_to_send",
]


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
    more_domains: tuple[int, ...] = ()
    """Other domain columns (HubSpot has ``Website URL`` and ``Company Domain Name``), read
    in order where the first one is empty."""


ROLES = {
    "fullname": "name",
    "first": "first name",
    "last": "last name",
    "domain": "domain",
    "company": "company",
    "custom": "custom",
    "email": "email",
}
"""The roles a column can fill, and how messages name them."""


def _locate(header: Sequence[str], chosen: Mapping[str, str] | None = None) -> Columns:
    """The column of each role: the one ``chosen`` names (``--domain-column`` ...), else
    the first whose name is a known alias; TableError for a chosen name not in ``header``."""
    keys = [key(name) for name in header]
    found: dict[str, int] = {}
    for role, name in (chosen or {}).items():
        exact = [i for i, given in enumerate(header) if given == name]
        wanted = key(name)
        loose = [i for i, spelled in enumerate(keys) if spelled == wanted]
        if not (exact or loose):
            raise TableError(f"no column {name!r} for the {ROLES[role]} ({_found(header)})")
        found[role] = (exact or loose)[0]
    for role, aliases in ALIASES.items():
        if role in found:
            continue
        for position, spelled in enumerate(keys):
            if spelled in aliases and position not in found.values():
                found[role] = position
                break
    more: tuple[int, ...] = ()
    if "domain" in found and "domain" not in (chosen or {}):
        taken = set(found.values())
        more = tuple(
            i for i, spelled in enumerate(keys) if spelled in ALIASES["domain"] and i not in taken
        )
    return Columns(**found, more_domains=more)


def find_columns(table: Table, chosen: Mapping[str, str] | None = None) -> Columns:
    """The person, company and custom columns, or TableError naming what is missing."""
    columns = _locate(table.header, chosen)
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
        raise TableError(
            f"{table.path}: missing column(s): {'; '.join(missing)} ({_found(table.header)});"
            " name them with --name-column, --domain-column, --company-column, ...",
        )
    return columns


def describe(table: Table, columns: Columns) -> list[str]:
    """The mapping used (which column fills which role) and the roles filled only in part,
    with counts, for stderr."""
    header = table.header
    used = []
    if columns.fullname is not None:
        used.append(f"name <- {header[columns.fullname]!r}")
    else:
        parts = [header[i] for i in (columns.first, columns.last) if i is not None]
        used.append("name <- " + " + ".join(repr(p) for p in parts))
    for role in ("domain", "company", "custom"):
        position = getattr(columns, role)
        if position is not None:
            text = f"{ROLES[role]} <- {header[position]!r}"
            if role == "domain":
                text += "".join(f", else {header[i]!r}" for i in columns.more_domains)
            used.append(text)
    lines = ["columns: " + "; ".join(used)]
    rows = [row for row in table.rows if any(cell.strip() for cell in row)]
    for role in ("fullname", "first", "last", "domain", "company"):
        position = getattr(columns, role)
        if position is None:
            continue
        where = [position, *(columns.more_domains if role == "domain" else ())]
        empty = sum(not any(row[i].strip() for i in where) for row in rows)
        if empty:
            named = " and ".join(repr(header[i]) for i in where)
            lines.append(f"columns: {named} ({ROLES[role]}) empty in {empty} of {len(rows)} row(s)")
    return lines


def describe_checks(checks: Sequence[RowCheck]) -> list[str]:
    """The row checks' counts, for people: the rows searched and those skipped, by
    reason; then, if any, what was cleaned in what is sent."""
    skipped = Counter(check.skipped for check in checks if check.skipped is not None)
    changes = Counter(change for check in checks if check.sent for change in check.changes)
    text = f"rows: {len(checks)} in the table, {len(checks) - skipped.total()} to search"
    if skipped:
        counts = ", ".join(f"{skipped[r]} {r.value}" for r in SkipReason if skipped[r])
        text += f", {skipped.total()} skipped ({counts})"
    lines = [text]
    if changes:
        counts = ", ".join(f"{count} {change.value}" for change, count in changes.items())
        lines.append(f"rows: cleaned in what is sent (the file keeps its cells): {counts}")
    return lines


def _cell(row: Sequence[str], position: int | None) -> str:
    if position is None:
        return ""
    return " ".join(row[position].split())


def searches_of(table: Table, columns: Columns) -> tuple[list[EmailSearch], list[int]]:
    """The searches the rows hold as typed and, for each, its row number; rows without a
    name or a company are left out (``check_rows`` is the pre-flight check, which cleans
    what is sent and names why a row is not)."""
    searches: list[EmailSearch] = []
    rows: list[int] = []
    for number, row in enumerate(table.rows):
        name = _cell(row, columns.fullname) or " ".join(
            part for part in (_cell(row, columns.first), _cell(row, columns.last)) if part
        )
        domain = _cell(row, columns.domain) or None
        for other in columns.more_domains:
            domain = domain or _cell(row, other) or None
        company = _cell(row, columns.company) or None
        if not name or (domain is None and company is None):
            continue
        custom = row[columns.custom].strip() if columns.custom is not None else ""
        searches.append(EmailSearch(name, domain, company, custom or None))
        rows.append(number)
    return searches, rows


def check_rows(
    table: Table,
    columns: Columns,
    *,
    skip_with_email: bool = True,
    as_typed: bool = False,
) -> list[RowCheck]:
    """Every row's pre-flight verdict ([check_row][enrow_async.check_row]): the cleaned
    search to send, or why not. A row that holds nothing is ``BLANK``; at the end of the
    table, a row opened by a totals or notes cell (``is_trailer``), or an unsendable row
    of one cell (a report's footer), is ``TOTALS``. ``skip_with_email=False`` searches rows
    that already have an email; ``as_typed`` sends every row with a name and a company as
    it is, neither cleaned nor skipped for anything else."""
    checks = []
    for row in table.rows:
        if not any(cell.strip() for cell in row):
            checks.append(RowCheck(None, SkipReason.BLANK))
            continue
        name = _cell(row, columns.fullname) or " ".join(
            part for part in (_cell(row, columns.first), _cell(row, columns.last)) if part
        )
        domain = _cell(row, columns.domain)
        for other in columns.more_domains:
            domain = domain or _cell(row, other)
        custom = row[columns.custom].strip() if columns.custom is not None else ""
        email = (_cell(row, columns.email) or None) if skip_with_email else None
        company = _cell(row, columns.company)
        if as_typed:
            checks.append(_as_typed(name, domain, company, custom or None, email))
        else:
            checks.append(check_row(name, domain, company, custom=custom or None, email=email))
    if not as_typed:
        _trailers(table.rows, checks)
    return checks


def searches_to_send(
    checks: Sequence[RowCheck],
) -> tuple[list[EmailSearch], list[int], dict[int, str]]:
    """What ``checks`` send: the searches, the row of each, and why each other row is not
    sent (the words of its [SkipReason][enrow_async.SkipReason]), by row."""
    searches: list[EmailSearch] = []
    rows: list[int] = []
    skipped: dict[int, str] = {}
    for row, check in enumerate(checks):
        if check.search is not None:
            searches.append(check.search)
            rows.append(row)
        else:
            skipped[row] = check.skipped.value if check.skipped else "not sent"
    return searches, rows, skipped


def _as_typed(
    name: str, domain: str, company: str, custom: str | None, email: str | None
) -> RowCheck:
    if email is not None and is_email(email):
        return RowCheck(None, SkipReason.HAS_EMAIL)
    if not name:
        return RowCheck(None, SkipReason.NO_NAME)
    if not (domain or company):
        return RowCheck(None, SkipReason.NO_COMPANY)
    return RowCheck(EmailSearch(name, domain or None, company or None, custom))


def _trailers(rows: Sequence[Sequence[str]], checks: list[RowCheck]) -> None:
    """Name the totals and notes rows at the end of the table (blank rows among them)."""
    footer = RowCheck(None, SkipReason.TOTALS)
    for position in reversed(range(len(checks))):
        check = checks[position]
        filled = [cell.strip() for cell in rows[position] if cell.strip()]
        if not filled or check.skipped is SkipReason.TOTALS:
            continue
        if is_trailer(filled[0]) or (
            len(filled) == 1 and not check.sent and check.skipped is not SkipReason.HAS_EMAIL
        ):
            checks[position] = footer
        else:
            return


@attrs.frozen
class EmailList:
    """``verify`` input: a CSV with an email column, or one address per line (no table)."""

    emails: list[str]
    table: Table | None = None
    column: int | None = None


def read_emails(
    path: Path,
    column: str | None = None,
    encoding: str | None = None,
    stdin: BinaryIO | None = None,
) -> EmailList:
    text, bom = read_text(path, encoding, stdin)
    lines = [line.strip() for line in text.splitlines()]
    first = next((line for line in lines if line), "")
    if not first:
        raise TableError(f"{path}: the file is empty (expected email addresses)")
    if "@" in first and column is None:
        return EmailList([line for line in lines if line])
    table = parse_table(path, text, bom)
    position = find_email_column(table, column)
    return EmailList([row[position].strip() for row in table.rows], table, position)


def find_email_column(table: Table, chosen: str | None = None) -> int:
    """The position of the address column: the one ``chosen`` names, else the first named
    like one (``Email``, ``E-mail``, ``Work Email``, ...); TableError when there is none."""
    position = _locate(table.header, {"email": chosen} if chosen else None).email
    if position is None:
        raise TableError(
            f"{table.path}: missing column: email ({_found(table.header)}); name it with"
            " --email-column",
        )
    return position


def addresses_to_send(cells: Sequence[str]) -> tuple[list[str], list[int], dict[int, str]]:
    """What a column of addresses sends: the addresses (stripped), the row of each, and
    why each other row is not sent (``no address``, ``not an email address``), by row."""
    addresses: list[str] = []
    rows: list[int] = []
    skipped: dict[int, str] = {}
    for row, cell in enumerate(cells):
        address = cell.strip()
        if is_email(address):
            addresses.append(address)
            rows.append(row)
        else:
            skipped[row] = "not an email address" if address else "no address"
    return addresses, rows, skipped
