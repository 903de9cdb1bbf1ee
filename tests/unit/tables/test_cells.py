"""The cells the commands write."""

from __future__ import annotations

from enrow_async.tables import FOUND_COLUMNS, added_columns, found_cells


def test_new_columns_never_shadow_input_columns() -> None:
    assert added_columns(["Email", "Company", "x"], ["email", "company", "gender"]) == [
        "enrow_email",
        "enrow_company",
        "gender",
    ]


def test_rows_without_a_result_say_why() -> None:
    assert found_cells(None, "pending") == ["", "pending", "", "", "", ""]
    assert len(found_cells(None, "skipped")) == len(FOUND_COLUMNS)
