"""The cells the commands write: named the same whatever the input, saying in words what
became of each row."""

from __future__ import annotations

from pathlib import Path

import pytest

from enrow_async import (
    ContactInfo,
    EmailResult,
    FinishedBatch,
    Gap,
    GapReason,
    ListReport,
    Qualification,
    TableError,
)
from enrow_async.tables import (
    ADDED_COLUMNS,
    RowCells,
    Table,
    added_cells,
    added_columns,
    added_header,
)


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


def test_row_cells_place_results_by_position_and_say_why_the_others_have_none() -> None:
    """Items 0-2 were sent from rows 0, 2 and 3 (row 1 skipped); item 1's batch failed."""
    cells = RowCells[EmailResult](
        4,
        [0, 2, 3],
        lambda position, result: [result.email or "", str(position)],
        lambda status, reason: [status, reason],
        skipped={1: "no name"},
        sample=1,
        wanted=lambda result: result.found,
    )
    assert cells.rows == [["unsent", ""], ["skipped", "no name"], ["unsent", ""], ["unsent", ""]]
    missed, found = (
        EmailResult(0, Qualification.INVALID),
        EmailResult(2, Qualification.VALID, "a@b.io"),
    )
    cells.add(FinishedBatch("b1", 0, [(0, missed), (2, found)]))
    cells.finish(
        ListReport(
            3,
            3,
            0,
            2,
            (),
            3.0,
            0.0,
            3.0,
            0,
            gaps=(Gap(GapReason.FAILED, (1,), "b2", "the batch failed"),),
        )
    )
    assert cells.rows == [
        ["", "0"],
        ["skipped", "no name"],
        ["failed", "the batch failed"],
        ["a@b.io", "2"],
    ]
    assert cells.shown == [2]  # the first found one, as it arrived
    assert cells.counts(0) == {"": 1, "skipped": 1, "failed": 1, "a@b.io": 1}
