"""The pre-flight check of rows: junk is named and not paid for, what is sent is cleaned."""

from __future__ import annotations

from pathlib import Path

import exports
import pytest
from hypothesis import given
from hypothesis import strategies as st

from enrow_async import Change, EmailSearch, SkipReason, check_row, normalize_domain
from enrow_async.tables import Table, check_rows, find_columns, is_trailer, read_table
from enrow_async.tables.checks import MAX_NAME


@pytest.mark.parametrize(
    ("row", "skipped"),
    [
        (("Total", "3 leads"), SkipReason.TOTALS),
        (("Grand total:", "", "12"), SkipReason.TOTALS),
        (("Notes: exported from HubSpot", ""), SkipReason.TOTALS),
        (("", "acme.com"), SkipReason.NO_NAME),
        (("Madonna", "acme.com"), SkipReason.ONE_WORD),
        (("x" * 3000 + " y", "acme.com"), SkipReason.TOO_LONG),
        (("Jane Doe", "", ""), SkipReason.NO_COMPANY),
        (("Sam Poe", "linkedin.com/company/acme"), SkipReason.NOT_A_COMPANY),
        (("Sam Poe", "jane@gmail.com"), SkipReason.NOT_A_COMPANY),
        (("Sam Poe", "https://bit.ly/3xyz"), SkipReason.NOT_A_COMPANY),
        (("Sam Poe", "not a domain"), SkipReason.NOT_A_COMPANY),
    ],
)
def test_rows_not_worth_paying_for_are_named(row: tuple[str, ...], skipped: SkipReason) -> None:
    check = check_row(*row)
    assert check.search is None
    assert check.skipped is skipped
    assert not check.sent


def test_a_row_that_already_has_an_email_is_not_searched_again() -> None:
    assert check_row("Jane Doe", "acme.com", email="jane@acme.com").skipped is SkipReason.HAS_EMAIL
    assert check_row("Jane Doe", "acme.com", email="  ").sent


@pytest.mark.parametrize(
    ("row", "sent", "changes"),
    [
        (("Dr. Jane Doe, PhD", "acme.com"), ("Jane Doe", "acme.com", None), [Change.TITLE_REMOVED]),
        (
            ("Mr  John   Smith Jr.", "acme.com"),
            ("John Smith", "acme.com", None),
            [Change.TITLE_REMOVED],
        ),
        (("Jane Ma", "acme.com"), ("Jane Ma", "acme.com", None), []),
        (
            ("Jane Doe", "https://www.Acme.com/pricing?utm_source=x"),
            ("Jane Doe", "acme.com", None),
            [Change.DOMAIN_CLEANED],
        ),
        (("Jane Doe", "jane@acme.com"), ("Jane Doe", "acme.com", None), [Change.DOMAIN_FROM_EMAIL]),
        (
            ("Sam Poe", "linkedin.com/company/acme", "Acme"),
            ("Sam Poe", None, "Acme"),
            [Change.DOMAIN_CLEANED, Change.DOMAIN_DROPPED],
        ),
        (("Sam Poe", "", "Acme Inc"), ("Sam Poe", None, "Acme Inc"), []),
    ],
)
def test_what_is_sent_is_what_was_meant(
    row: tuple[str, ...], sent: tuple[str | None, ...], changes: list[Change]
) -> None:
    check = check_row(*row, custom="r1")
    assert check.search == EmailSearch(*sent, custom="r1")
    assert list(check.changes) == changes


CELLS = st.text(alphabet=st.characters(codec="utf-8"), max_size=60) | st.sampled_from(
    ["acme.com", "https://www.acme.com/x", "jane@acme.com", "gmail.com", "Dr. A B, PhD", "Total"]
)


@given(CELLS, CELLS, CELLS, st.none() | CELLS)
def test_every_row_gets_a_verdict_and_what_is_sent_is_clean(
    name: str, domain: str, company: str, email: str | None
) -> None:
    check = check_row(name, domain, company, email=email)
    assert (check.search is None) == (check.skipped is not None)
    search = check.search
    if search is None:
        return
    assert len(search.fullname.split()) >= 2
    assert len(search.fullname) <= MAX_NAME
    assert search.company_domain or search.company_name
    if search.company_domain is not None:
        assert normalize_domain(search.company_domain) == search.company_domain
        assert "." in search.company_domain


def test_every_row_of_a_table_is_checked_with_its_columns() -> None:
    header = ["First Name", "Last Name", "Website", "Company", "Email"]
    rows = [
        ["Jane", "Doe", "https://acme.com/about", "Acme", ""],
        ["Jim", "Halpert", "dm.com", "", "jim@dm.com"],
        ["", "", "", "", ""],
        ["Total", "", "3 leads", "", ""],
    ]
    table = Table(Path("leads.csv"), header, rows)
    checks = check_rows(table, find_columns(table))
    assert checks[0].search == EmailSearch("Jane Doe", "acme.com", "Acme")
    assert [c.skipped for c in checks[1:]] == [
        SkipReason.HAS_EMAIL,
        SkipReason.BLANK,
        SkipReason.TOTALS,
    ]


def test_every_verdict_on_a_real_layout() -> None:
    """The Google Sheets report: each row of the fixture gets the verdict it was made for."""
    table = read_table(exports.EXPORTS / "sheets_report.csv")
    checks = check_rows(table, find_columns(table))
    assert [(c.skipped, c.changes) for c in checks] == [
        (None, (Change.TITLE_REMOVED, Change.DOMAIN_CLEANED)),
        (None, (Change.DOMAIN_CLEANED, Change.DOMAIN_DROPPED)),
        (None, (Change.DOMAIN_FROM_EMAIL,)),
        (SkipReason.NOT_A_COMPANY, (Change.DOMAIN_CLEANED, Change.DOMAIN_DROPPED)),
        (SkipReason.ONE_WORD, ()),
        (SkipReason.TOO_LONG, ()),
        (SkipReason.NO_COMPANY, ()),
        (SkipReason.NO_NAME, ()),
        (SkipReason.HAS_EMAIL, ()),
        (SkipReason.BLANK, ()),
        (None, ()),
        (SkipReason.TOTALS, ()),
        (SkipReason.TOTALS, ()),
    ]
    assert [c.search for c in checks if c.search is not None] == [
        EmailSearch("Jane Doe", "acme.com", "Acme"),
        EmailSearch("Sam Poe", None, "Acme"),
        EmailSearch("Ann Lee", "initech.com", None),
        EmailSearch("Mia Chen", None, "Initech"),
    ]
    with_email = check_rows(table, find_columns(table), skip_with_email=False)
    assert with_email[8].search == EmailSearch("Leo Park", "globex.com", "Globex")


def test_as_typed_sends_every_row_with_a_name_and_a_company() -> None:
    table = read_table(exports.EXPORTS / "sheets_report.csv")
    checks = check_rows(table, find_columns(table), as_typed=True)
    assert checks[0].search == EmailSearch(
        "Dr. Jane Doe, PhD", "https://www.Acme.com/pricing?utm_source=x", "Acme"
    )
    assert checks[4].search == EmailSearch("Madonna", "universal.com", "Universal")
    assert checks[11].search == EmailSearch("Total", None, "3 leads")  # as typed: sent
    assert [c.skipped for c in checks[6:10]] == [
        SkipReason.NO_COMPANY,
        SkipReason.NO_NAME,
        SkipReason.HAS_EMAIL,
        SkipReason.BLANK,
    ]


def test_totals_and_notes_rows_at_the_end_are_known_by_their_first_cell() -> None:
    header = ["Record ID", "Name", "Company"]
    rows = [
        ["1", "Jane Doe", "Acme"],
        ["Total leads", "Sum Wong", "2"],  # a person's name, but a totals row's first cell
        ["", "", ""],
        ["Confidential Information - Do Not Distribute", "", ""],
        ["Generated By: Kim 7/1/2024", "", ""],
    ]
    checks = check_rows(
        Table(Path("report.csv"), header, rows),
        find_columns(Table(Path("report.csv"), header, rows)),
    )
    assert [c.skipped for c in checks] == [
        None,
        SkipReason.TOTALS,
        SkipReason.BLANK,
        SkipReason.TOTALS,
        SkipReason.TOTALS,
    ]
    # the same rows before the end are people
    middle = check_rows(
        Table(Path("r.csv"), header, [rows[1], rows[0]]),
        find_columns(Table(Path("r.csv"), header, [])),
    )
    assert middle[0].search == EmailSearch("Sum Wong", None, "2")


@pytest.mark.parametrize(
    ("cell", "trailer"),
    [
        ("Total", True),
        ("TOTAL (3)", True),
        ("Grand total: 12", True),
        ("Summe", True),
        ("Sum: 12", True),
        ("Count 3", True),
        ("Generated by HubSpot on 2024-07-01", True),
        ("Copyright (c) 2024 salesforce.com", True),
        ("© Acme", True),
        ("Sum Wong", False),
        ("Count Basie", False),
        ("Totally Legit", False),
        ("Jane Doe", False),
    ],
)
def test_trailer_cells(cell: str, trailer: bool) -> None:
    assert is_trailer(cell) is trailer
