"""The keys that say when two searches (or two addresses) are the same one."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from enrow_async import EmailSearch, email_identity, normalize_domain, search_identity


@pytest.mark.parametrize(
    "given_domain",
    [
        "acme.com",
        "ACME.com",
        " acme.com ",
        "www.acme.com",
        "https://www.acme.com/about",
        "http://acme.com:8080/?q=1",
        "//acme.com#top",
        "acme.com.",
        "mailto:jim@acme.com",
    ],
)
def test_domain_forms_reduce_to_the_host(given_domain: str) -> None:
    assert normalize_domain(given_domain) == "acme.com"


def test_other_hosts_stay_apart() -> None:
    assert normalize_domain("acme.co.uk") == "acme.co.uk"
    assert normalize_domain("eu.acme.com") == "eu.acme.com"
    assert normalize_domain(None) == normalize_domain("") == ""


@given(st.text())
def test_normalising_twice_changes_nothing(text: str) -> None:
    once = normalize_domain(text)
    assert normalize_domain(once) == once


def test_searches_differing_in_case_spacing_and_domain_form_are_the_same() -> None:
    one = EmailSearch("Jim  Halpert", company_domain="https://www.dunder.com/about")
    two = EmailSearch(" jim halpert ", company_domain="DUNDER.com", custom={"row": 2})
    assert search_identity(one) == search_identity(two)


def test_searches_of_different_people_or_companies_differ() -> None:
    jim = EmailSearch("Jim Halpert", company_domain="dunder.com")
    assert search_identity(jim) != search_identity(EmailSearch("Pam Beesly", "dunder.com"))
    assert search_identity(jim) != search_identity(EmailSearch("Jim Halpert", "athlead.com"))
    by_name = EmailSearch("Jim Halpert", company_name="Dunder  Mifflin")
    assert search_identity(by_name) == search_identity(
        EmailSearch("jim halpert", company_name="dunder mifflin")
    )
    assert search_identity(by_name) != search_identity(jim)


def test_addresses_compare_without_case_or_outer_spaces() -> None:
    assert email_identity(" JIM@Dunder.com") == email_identity("jim@dunder.com")
    assert email_identity("jim@dunder.com") != email_identity("pam@dunder.com")
