"""The pre-flight check of rows: junk is named and not paid for, what is sent is cleaned."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from enrow_async import Change, EmailSearch, SkipReason, check_row, normalize_domain
from enrow_async.tables import Table, check_rows, find_columns
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
        SkipReason.NO_NAME,
        SkipReason.TOTALS,
    ]
