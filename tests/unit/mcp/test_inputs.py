"""Reading lists: inline rows and addresses, CSV files with their columns found by name,
every row checked before anything is paid."""

from __future__ import annotations

from pathlib import Path

import pytest

from enrow_async import EmailSearch, TableError
from enrow_async.mcp._inputs import Lead, read_addresses, read_leads

from .session import write_csv


def test_inline_rows_become_a_table_and_cleaned_searches() -> None:
    rows = [
        Lead(first_name="Ada", last_name="Lovelace", company_domain="https://www.ae.com/x"),
        Lead(fullname="Dr. Alan Turing, PhD", company_name="Bletchley", custom="7"),
        Lead(fullname="Cher", company_domain="cher.com"),
    ]
    listed = read_leads(rows, None)
    assert listed.header == ["fullname", "first_name", "last_name", "company_domain",
                             "company_name", "custom"]  # fmt: skip
    assert listed.rows[0] == ["", "Ada", "Lovelace", "https://www.ae.com/x", "", ""]
    assert listed.items == [
        EmailSearch("Ada Lovelace", "ae.com"),
        EmailSearch("Alan Turing", None, "Bletchley", "7"),
    ]
    assert listed.rows_of == [0, 1]
    assert listed.skipped == {2: "one-word name"}
    assert listed.source == "rows"


def test_a_file_is_read_with_its_columns_found_by_name(tmp_path: Path) -> None:
    path = write_csv(
        tmp_path / "hubspot.csv",
        [
            ["First Name", "Last Name", "Website URL", "Company Domain Name", "Email"],
            ["Ada", "Lovelace", "", "ae.com", ""],
            ["Alan", "Turing", "bletchley.org", "", "alan@bletchley.org"],
        ],
    )
    listed = read_leads(None, str(path))
    assert listed.items == [EmailSearch("Ada Lovelace", "ae.com")]
    assert listed.skipped == {1: "email already present"}
    assert listed.source == str(path)


def test_a_column_is_named_when_its_name_is_not_known(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "c.csv", [["Who", "Where"], ["Ada Lovelace", "ae.com"]])
    with pytest.raises(TableError, match=r"missing column.*name them in `columns`"):
        read_leads(None, str(path))
    listed = read_leads(None, str(path), {"fullname": "Who", "domain": "Where"})
    assert listed.items == [EmailSearch("Ada Lovelace", "ae.com")]


@pytest.mark.parametrize(("rows", "path"), [(None, None), ([], "x.csv")])
def test_rows_or_a_path_not_both(rows: list[Lead] | None, path: str | None) -> None:
    with pytest.raises(ValueError, match="give either rows or path"):
        read_leads(rows, path)


def test_addresses_inline_and_from_files(tmp_path: Path) -> None:
    listed = read_addresses(["jim@dm.com", " ", "nope", " pam@dm.com "], None)
    assert listed.items == ["jim@dm.com", "pam@dm.com"]
    assert listed.rows_of == [0, 3]
    assert listed.skipped == {1: "no address", 2: "not an email address"}
    lines = tmp_path / "emails.txt"
    lines.write_text("jim@dm.com\npam@dm.com\n", encoding="utf-8")
    assert read_addresses(None, str(lines)).items == ["jim@dm.com", "pam@dm.com"]
    table = write_csv(tmp_path / "t.csv", [["Name", "Addr"], ["Jim", "jim@dm.com"]])
    with pytest.raises(TableError, match="name it in `email_column`"):
        read_addresses(None, str(table))
    listed = read_addresses(None, str(table), "Addr")
    assert (listed.header, listed.items) == (["Name", "Addr"], ["jim@dm.com"])
