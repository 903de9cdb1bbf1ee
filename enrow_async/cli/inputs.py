"""What the commands read from a table: the people ``find`` searches, the addresses
``verify`` checks.

Columns are found by name whatever their spelling (``First Name``, ``first_name``,
``prénom``, ...); a missing one is named, with the columns found, before anything is sent.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping, Sequence
from pathlib import Path

import attrs

from enrow_async import EmailSearch

from .csvio import Table, parse_table, read_text
from .errors import CliError

__all__ = ["Columns", "EmailList", "find_columns", "is_email", "read_emails", "searches_of"]

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


@attrs.frozen
class EmailList:
    """``verify`` input: a CSV with an email column, or one address per line (no table)."""

    emails: list[str]
    table: Table | None = None


def read_emails(path: Path) -> EmailList:
    text, bom = read_text(path)
    lines = [line.strip() for line in text.splitlines()]
    first = next((line for line in lines if line), "")
    if not first:
        raise CliError(f"{path}: the file is empty (expected email addresses)", 2)
    if "@" in first:
        return EmailList([line for line in lines if line])
    table = parse_table(path, text, bom)
    column = _locate(table.header).email
    if column is None:
        raise CliError(f"{path}: missing column: email ({_found(table.header)})", 2)
    return EmailList([row[column].strip() for row in table.rows], table)


def is_email(text: str) -> bool:
    return bool(_EMAIL.fullmatch(text))
