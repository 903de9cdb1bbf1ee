"""Reading the input table: column spellings, unusable rows, addresses for ``verify``."""

from __future__ import annotations

from pathlib import Path

import pytest

from enrow_async import EmailSearch
from enrow_async.cli.csvio import read_table
from enrow_async.cli.errors import CliError
from enrow_async.cli.inputs import find_columns, is_email, read_emails, searches_of


@pytest.mark.parametrize(
    ("header", "row", "expected"),
    [
        ("fullname,company_domain", "Ada Lovelace,x.io", ("Ada Lovelace", "x.io", None)),
        ("Full Name;Website", "Ada Lovelace;x.io", ("Ada Lovelace", "x.io", None)),
        ("Prénom,Nom,Société", "Zoë,Ramírez,ACME", ("Zoë Ramírez", None, "ACME")),
        ("FIRSTNAME\tLast-Name\tCompany", "Ada\tLovelace\tACME", ("Ada Lovelace", None, "ACME")),
        ("given name|surname|domain", "Ada|Lovelace|x.io", ("Ada Lovelace", "x.io", None)),
        (
            "First_Name,Family Name,Company Name",
            "Ada,Lovelace,ACME",
            ("Ada Lovelace", None, "ACME"),
        ),
        ("name,company,url", '"Ada\n Lovelace",ACME,', ("Ada Lovelace", None, "ACME")),
    ],
)
def test_column_spellings(
    tmp_path: Path, header: str, row: str, expected: tuple[str, str | None, str | None]
) -> None:
    path = tmp_path / "in.csv"
    path.write_text(f"\ufeff{header}\n{row}\n", encoding="utf-8")
    table = read_table(path)
    searches, rows = searches_of(table, find_columns(table))
    assert searches == [EmailSearch(*expected)]
    assert rows == [0]


def test_unusable_rows_are_left_out(tmp_path: Path) -> None:
    path = tmp_path / "in.csv"
    path.write_text("fullname,company_domain,company_name\nAda,,\n,x.io,\n\nJim, x.io ,\n")
    table = read_table(path)
    searches, rows = searches_of(table, find_columns(table))
    assert searches == [EmailSearch("Jim", "x.io")]
    assert rows == [2]  # the blank line is no row


def test_emails_one_per_line_or_in_a_column(tmp_path: Path) -> None:
    (tmp_path / "a.txt").write_text("ada@x.io\n\n bob@y.io \n")
    assert read_emails(tmp_path / "a.txt").emails == ["ada@x.io", "bob@y.io"]
    (tmp_path / "b.csv").write_text("Name;E-Mail Address\nAda;ada@x.io\n")
    listed = read_emails(tmp_path / "b.csv")
    assert listed.emails == ["ada@x.io"]
    assert listed.table is not None
    (tmp_path / "c.csv").write_text("Name,Phone\nAda,1\n")
    with pytest.raises(CliError, match="missing column: email") as caught:
        read_emails(tmp_path / "c.csv")
    assert caught.value.code == 2


@pytest.mark.parametrize(
    ("text", "expected"),
    [("ada@x.io", True), ("a.b+c@mail.x.io", True), ("ada@x", False), ("a da@x.io", False)],
)
def test_is_email(text: str, expected: bool) -> None:
    assert is_email(text) is expected
