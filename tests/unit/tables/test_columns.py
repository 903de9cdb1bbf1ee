"""Reading the input table: column spellings, unusable rows, addresses for ``verify``, and
what the rows send."""

from __future__ import annotations

from pathlib import Path

import exports
import pytest

from enrow_async import EmailSearch, TableError
from enrow_async.tables import (
    Table,
    addresses_to_send,
    check_rows,
    describe,
    describe_checks,
    find_columns,
    find_email_column,
    is_email,
    read_emails,
    read_table,
    searches_of,
    searches_to_send,
)


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
    assert rows == [3]  # the blank line stays a row: output row N is input row N
    assert table.rows[2] == ["", "", ""]


def test_emails_one_per_line_or_in_a_column(tmp_path: Path) -> None:
    (tmp_path / "a.txt").write_text("ada@x.io\n\n bob@y.io \n")
    assert read_emails(tmp_path / "a.txt").emails == ["ada@x.io", "bob@y.io"]
    (tmp_path / "b.csv").write_text("Name;E-Mail Address\nAda;ada@x.io\n")
    listed = read_emails(tmp_path / "b.csv")
    assert listed.emails == ["ada@x.io"]
    assert listed.table is not None
    (tmp_path / "c.csv").write_text("Name,Phone\nAda,1\n")
    with pytest.raises(TableError, match="missing column: email"):
        read_emails(tmp_path / "c.csv")


@pytest.mark.parametrize(
    ("text", "expected"),
    [("ada@x.io", True), ("a.b+c@mail.x.io", True), ("ada@x", False), ("a da@x.io", False)],
)
def test_is_email(text: str, expected: bool) -> None:
    assert is_email(text) is expected


@pytest.mark.parametrize(
    ("name", "mapping", "first"),
    [
        (
            "hubspot.csv",
            "columns: name <- 'First Name' + 'Last Name'; domain <- 'Website URL', else"
            " 'Company Domain Name'; company <- 'Company Name'",
            EmailSearch("Jim Halpert", "https://www.dundermifflin.com", "Dunder Mifflin"),
        ),
        (
            "salesforce.csv",
            "columns: name <- 'First Name' + 'Last Name'; domain <- 'Website'; company <-"
            " 'Account Name'",
            EmailSearch("Peter Gibbons", "www.initech.com", "Initech"),
        ),
        (
            "apollo.csv",
            "columns: name <- 'First Name' + 'Last Name'; domain <- 'Website'; company <-"
            " 'Company'",
            EmailSearch("Hank Scorpio", "http://globex.com", "Globex Corporation"),
        ),
        (
            "salesnav.csv",
            "columns: name <- 'First Name' + 'Last Name'; domain <- 'Company Website';"
            " company <- 'Company'",
            EmailSearch("Richard Hendricks", "piedpiper.com", "Pied Piper"),
        ),
        (
            "pipedrive.csv",
            "columns: name <- 'Person - Name'; domain <- 'Organization - Website'; company <-"
            " 'Organization - Name'",
            EmailSearch("Michael Scott", "https://dundermifflin.com/scranton", "Dunder Mifflin"),
        ),
        (
            "excel.csv",
            "columns: name <- 'Name'; domain <- 'Domain'; company <- 'Company'",
            EmailSearch("Pam Beesly", "dundermifflin.com", "Dunder Mifflin"),
        ),
    ],
)
def test_common_exports_are_recognised(name: str, mapping: str, first: EmailSearch) -> None:
    table = read_table(exports.EXPORTS / name)
    columns = find_columns(table)
    lines = describe(table, columns)
    assert lines[0] == mapping
    searches, rows = searches_of(table, columns)
    assert searches[0] == first
    assert rows == list(range(len(table.rows)))  # each row has a name and a company


def test_a_role_filled_in_part_is_reported_with_counts() -> None:
    table = read_table(exports.EXPORTS / "hubspot.csv")
    columns = find_columns(table)
    assert describe(table, columns)[1:] == [
        "columns: 'Website URL' and 'Company Domain Name' (domain) empty in 1 of 3 row(s)"
    ]
    searches, _ = searches_of(table, columns)
    assert searches[1].company_domain == "pawneeindiana.com"  # the second domain column
    assert searches[2].company_domain is None
    assert searches[2].company_name == "Very Good Building Co."


def test_columns_named_on_the_command_line_win() -> None:
    table = read_table(exports.EXPORTS / "hubspot.csv")
    columns = find_columns(table, {"domain": "company domain name", "fullname": "Last Name"})
    assert describe(table, columns)[0] == (
        "columns: name <- 'Last Name'; domain <- 'Company Domain Name'; company <- 'Company Name'"
    )
    with pytest.raises(TableError, match="no column 'Site' for the domain"):
        find_columns(table, {"domain": "Site"})


def test_the_address_column_is_named_or_found_by_name() -> None:
    table = Table(Path("in.csv"), ["id", "Work E-mail", "other"], [])
    assert find_email_column(table) == 1
    assert find_email_column(table, "OTHER") == 2  # a name as typed, any case
    with pytest.raises(TableError, match="no column 'nope' for the email"):
        find_email_column(table, "nope")
    with pytest.raises(TableError, match=r"in\.csv: missing column: email \(found: 'id'"):
        find_email_column(Table(Path("in.csv"), ["id", "phone"], []))


def test_what_rows_send_and_why_the_others_do_not() -> None:
    table = Table(
        Path("in.csv"),
        ["fullname", "company_domain"],
        [["Ada Lovelace", "https://www.x.io/about"], ["", ""], ["Bob", "y.io"], ["Total", "3"]],
    )
    checks = check_rows(table, find_columns(table))
    assert searches_to_send(checks) == (
        [EmailSearch("Ada Lovelace", "x.io")],
        [0],
        {1: "blank row", 2: "one-word name", 3: "totals or notes row"},
    )
    assert describe_checks(checks) == [
        "rows: 4 in the table, 1 to search, 3 skipped (1 blank row, 1 one-word name,"
        " 1 totals or notes row)",
        "rows: cleaned in what is sent (the file keeps its cells): 1 domain reduced to its host",
    ]
    addresses = [" ada@x.io ", "", "not one", "bob@y.io"]
    assert addresses_to_send(addresses) == (
        ["ada@x.io", "bob@y.io"],
        [0, 3],
        {1: "no address", 2: "not an email address"},
    )
