"""Checking and encoding bulk searches, before anything is sent."""

from __future__ import annotations

import orjson
import pytest

from enrow_async import EmailSearch
from enrow_async._core.protocol import ApiConfig
from enrow_async._core.searches import MAX_BATCH, bulk_search_request, chunk, to_searches

CONFIG = ApiConfig.create("key", "https://api.enrow.io")


def test_mappings_and_objects_normalise_alike() -> None:
    searches = to_searches(
        [
            {"fullname": " Dwight Schrute ", "company_domain": "dundermifflin.com"},
            EmailSearch("Jim Halpert", company_name="Dunder Mifflin", custom={"crm": 7}),
            {"fullname": "Pam", "company_domain": "", "company_name": "DM", "custom": "x"},
        ]
    )
    assert searches == [
        EmailSearch("Dwight Schrute", "dundermifflin.com"),
        EmailSearch("Jim Halpert", None, "Dunder Mifflin", {"crm": 7}),
        EmailSearch("Pam", None, "DM", "x"),
    ]


@pytest.mark.parametrize(
    ("search", "error", "message"),
    [
        ({"company_domain": "x.com"}, ValueError, "search 1: fullname is required"),
        ({"fullname": "  ", "company_domain": "x.com"}, ValueError, "fullname is required"),
        ({"fullname": "A B"}, ValueError, "search 1: company_domain or company_name is required"),
        ({"fullname": "A B", "company_domain": " "}, ValueError, "company_domain or company_name"),
        ({"fullname": "A B", "domain": "x.com"}, ValueError, "unknown field"),
        ({"fullname": 5, "company_domain": "x.com"}, TypeError, "fullname must be a string"),
        ({"fullname": "A", "company_domain": "x", "custom": 3}, TypeError, "custom must be"),
        ("A B", TypeError, "expected an EmailSearch or a mapping"),
    ],
)
def test_bad_search_names_position_and_problem(
    search: object, error: type[Exception], message: str
) -> None:
    good = {"fullname": "Ok", "company_domain": "ok.com"}
    with pytest.raises(error, match=message):
        to_searches([good, search])  # type: ignore[list-item]


def test_single_string_is_not_a_list_of_searches() -> None:
    with pytest.raises(TypeError):
        to_searches("Dwight")  # type: ignore[arg-type]


def test_batch_size_bounds() -> None:
    one = to_searches([{"fullname": "A", "company_domain": "a.com"}])
    with pytest.raises(ValueError, match="1 to 5000"):
        bulk_search_request(CONFIG, [])
    with pytest.raises(ValueError, match="1 to 5000"):
        bulk_search_request(CONFIG, one * (MAX_BATCH + 1))
    assert bulk_search_request(CONFIG, one * MAX_BATCH).method == "POST"


def test_body_carries_settings_and_custom() -> None:
    searches = to_searches([{"fullname": "A B", "company_name": "Acme", "custom": {"k": 1}}])
    request = bulk_search_request(
        CONFIG,
        searches,
        custom="campaign",
        webhook="https://hooks.example/x",
        country_code="fr",
        retrieve_gender=True,
    )
    assert request.url == "https://api.enrow.io/email/find/bulk"
    assert request.headers["content-type"] == "application/json"
    assert request.body is not None
    assert orjson.loads(request.body) == {
        "searches": [{"fullname": "A B", "company_name": "Acme", "custom": {"k": 1}}],
        "custom": "campaign",
        "settings": {
            "webhook": "https://hooks.example/x",
            "country_code": "FR",
            "retrieve_gender": True,
        },
    }
    assert "key" not in repr(request)


@pytest.mark.parametrize(("option", "value"), [("webhook", "ftp://x"), ("country_code", "USA")])
def test_bad_settings(option: str, value: str) -> None:
    searches = to_searches([{"fullname": "A B", "company_name": "Acme"}])
    with pytest.raises(ValueError, match=option):
        bulk_search_request(CONFIG, searches, **{option: value})  # type: ignore[arg-type]


def test_chunk_keeps_order_and_bounds() -> None:
    items = to_searches([{"fullname": f"P {i}", "company_domain": "x.com"} for i in range(12)])
    parts = chunk(items, 5)
    assert [len(p) for p in parts] == [5, 5, 2]
    assert [s for p in parts for s in p] == items
