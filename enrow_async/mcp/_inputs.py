"""What the tools read: rows an agent passes inline, or a CSV or xlsx file read with
``enrow_async.tables`` (columns found by name, every row checked before anything is paid).

A list is kept as its table (header and cells, to write back with the results), the
items the engine gets (the cleaned searches, or the addresses) with the row each came
from, and why every other row is not sent. Rows are numbered from 1, the first after the
header.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, ClassVar, Literal

import attrs
from pydantic import BaseModel, ConfigDict, Field

from enrow_async import TableError
from enrow_async.tables import (
    Table,
    addresses_to_send,
    check_rows,
    find_columns,
    read_emails,
    read_table,
    searches_to_send,
)

from ._words import message

__all__ = ["ColumnRole", "Lead", "ListInput", "read_addresses", "read_leads"]

ColumnRole = Literal["fullname", "first", "last", "domain", "company", "custom", "email"]
"""The roles a column of a file can fill (``columns={"domain": "Website URL"}``)."""


class Lead(BaseModel):
    """One person to find, as an agent passes it inline."""

    model_config: ClassVar[ConfigDict] = ConfigDict(extra="forbid")

    fullname: str | None = Field(None, description="full name (or first_name and last_name)")
    first_name: str | None = None
    last_name: str | None = None
    company_domain: str | None = Field(None, description="the company's domain or website")
    company_name: str | None = Field(None, description="the company's name")
    custom: str | None = Field(None, description="any value of yours, returned as is")
    email: str | None = Field(None, description="an address the row already has: not searched")


@attrs.frozen
class ListInput:
    """A list as read: its ``header`` and ``rows`` (cells as read), the ``items`` sent (the
    cleaned searches, or the addresses), the row of each (``rows_of``, 0-based), and the
    reason each other row is not sent (``skipped``)."""

    source: str
    header: list[str]
    rows: Sequence[list[str]]
    items: Sequence[Any]
    rows_of: Sequence[int]
    skipped: Mapping[int, str] = attrs.field(factory=dict)

    def skip_counts(self) -> dict[str, int]:
        return dict(Counter(self.skipped.values()).most_common())


def _one(inline: Sequence[Any] | None, path: str | None, what: str) -> None:
    if (inline is None) == (path is None):
        raise ValueError(f"give either {what} or path (a CSV or .xlsx file), not both or neither")


def _renamed(error: TableError, hint: str) -> TableError:
    """``error`` with the tool's way to name a column (it names the CLI's options)."""
    return TableError(f"{message(error)} (with this tool: {hint})")


def read_leads(
    rows: Sequence[Lead] | None,
    path: str | None,
    columns: Mapping[ColumnRole, str] | None = None,
) -> ListInput:
    """People to find, inline or from a file; TableError (or ValueError) when the list
    cannot be read or lacks a column."""
    _one(rows, path, "rows")
    if rows is not None:
        fields = [name for name in Lead.model_fields if any(getattr(r, name) for r in rows)]
        cells = [[getattr(row, name) or "" for name in fields] for row in rows]
        table = Table(Path("rows"), fields, cells)
        source = "rows"
    else:
        assert path is not None
        table = read_table(Path(path).expanduser())
        source = str(table.path)
    try:
        found = find_columns(table, {str(role): name for role, name in (columns or {}).items()})
    except TableError as exc:
        raise _renamed(exc, 'name them in `columns`, e.g. {"fullname": "Contact"}') from None
    items, rows_of, skipped = searches_to_send(check_rows(table, found))
    return ListInput(source, table.header, table.rows, items, rows_of, skipped)


def read_addresses(
    emails: Sequence[str] | None, path: str | None, column: str | None = None
) -> ListInput:
    """Addresses to verify, inline or from a file (an email column, or one a line)."""
    _one(emails, path, "emails")
    rows: Sequence[list[str]]
    if emails is not None:
        header, rows, given, source = ["email"], [[e] for e in emails], list(emails), "emails"
    else:
        assert path is not None
        try:
            listed = read_emails(Path(path).expanduser(), column)
        except TableError as exc:
            raise _renamed(exc, "name it in `email_column`") from None
        given = listed.emails
        source = str(path)
        if listed.table is None:
            header, rows = ["email"], [[e] for e in given]
        else:
            header, rows = listed.table.header, listed.table.rows
    items, rows_of, skipped = addresses_to_send(given)
    return ListInput(source, header, rows, items, rows_of, skipped)
