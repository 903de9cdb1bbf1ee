"""The cells the commands write: named the same whatever the input, saying in words what
became of each row."""

from __future__ import annotations

from pathlib import Path

import pytest

from enrow_async import ContactInfo, EmailResult, Qualification, TableError
from enrow_async.tables import ADDED_COLUMNS, Table, added_cells, added_columns, added_header


def test_the_added_columns_do_not_depend_on_the_input() -> None:
    for header in (["email", "company"], ["Email", "Company", "x"], ["fullname"]):
        table = Table(Path("in.csv"), header, [])
        assert added_header(table, ADDED_COLUMNS) == [*header, *ADDED_COLUMNS]


def test_an_input_with_an_added_column_is_refused() -> None:
    table = Table(Path("found.csv"), ["fullname", "Enrow_Status "], [])
    with pytest.raises(TableError, match="already has the column\\(s\\) 'enrow_status'"):
        added_header(table, ADDED_COLUMNS)


def test_rows_say_what_became_of_them_in_words() -> None:
    assert added_cells(None, "pending", "still running") == [
        *["", "pending"],
        *["", "", "", ""],
        "still running",
    ]
    assert added_cells(None, reason="blank row")[1] == "skipped"
    assert len(added_cells(None)) == len(ADDED_COLUMNS)
    missed = EmailResult(0, Qualification.INVALID)
    assert added_cells(missed) == ["", "not found", "", "", "", "", ""]
    found = EmailResult(1, Qualification.VALID, "jim@dm.com", ContactInfo(firstname="Jim"))
    assert added_cells(found)[:3] == ["jim@dm.com", "found", "Jim"]


def test_the_frames_naming_prefixes_only_what_clashes() -> None:
    assert added_columns(["Email", "Company", "x"], ["email", "company", "gender"]) == [
        "enrow_email",
        "enrow_company",
        "gender",
    ]
