"""Phone finder: bulk and single request bodies, checks, and every documented answer."""

from __future__ import annotations

from typing import Any

import orjson
import pytest

from enrow_async import BatchNotFoundError, BatchStatus, ServerError
from enrow_async._core.protocol import ApiConfig, Response, get_request
from enrow_async.models import BulkPhoneResults, PhoneQualification, PhoneResult, PhoneSearch
from enrow_async.phone import (
    PHONE_BULK_PATH,
    PHONE_SINGLE_PATH,
    bulk_phone_request,
    parse_bulk_phone,
    parse_single_phone,
    single_phone_request,
)

CONFIG = ApiConfig.create("key", "https://api.enrow.io")
LINKEDIN = "https://www.linkedin.com/in/jim-halpert"


def answer(status: int, body: Any) -> Response:
    return Response(status, {}, orjson.dumps(body))


def read_bulk(status: int, body: Any) -> BulkPhoneResults:
    return parse_bulk_phone(answer(status, body), get_request(CONFIG, PHONE_BULK_PATH, "p1"))


def sent(request: Any) -> Any:
    return orjson.loads(request.body)


# -- POST bodies and checks ------------------------------------------------------------------


def test_bulk_body() -> None:
    request = bulk_phone_request(
        CONFIG,
        [
            {"linkedin_url": LINKEDIN, "custom": "r0"},
            PhoneSearch(firstname=" Jim ", lastname="Halpert", company_domain="dunder.com"),
            {"firstname": "Pam", "lastname": "Beesly", "company_name": "Dunder", "custom": {}},
        ],
        custom={"campaign": 7},
        webhook="https://hooks.example/p",
    )
    assert request.method == "POST"
    assert request.url == "https://api.enrow.io/phone/bulk"
    assert sent(request) == {
        "searches": [
            {"linkedin_url": LINKEDIN, "custom": "r0"},
            {"firstname": "Jim", "lastname": "Halpert", "company_domain": "dunder.com"},
            {"firstname": "Pam", "lastname": "Beesly", "company_name": "Dunder", "custom": {}},
        ],
        "custom": {"campaign": 7},
        "settings": {"webhook": "https://hooks.example/p"},
    }


def test_limit_is_5000() -> None:
    searches = [{"linkedin_url": f"{LINKEDIN}-{i}"} for i in range(5001)]
    assert len(sent(bulk_phone_request(CONFIG, searches[:5000]))["searches"]) == 5000
    with pytest.raises(ValueError, match="1 to 5000 searches, got 5001"):
        bulk_phone_request(CONFIG, searches)
    with pytest.raises(ValueError, match="got 0"):
        bulk_phone_request(CONFIG, [])


@pytest.mark.parametrize(
    ("item", "match"),
    [
        ({}, "search 1: linkedin_url, or firstname and lastname, is required"),
        ({"linkedin_url": "  "}, "search 1: linkedin_url, or firstname and lastname"),
        ({"firstname": "Jim", "company_domain": "d.com"}, "search 1: linkedin_url, or first"),
        ({"firstname": "Jim", "lastname": "H"}, "search 1: company_domain or company_name"),
        ({"first_name": "Jim"}, r"search 1: unknown field\(s\) first_name"),
    ],
)
def test_bad_search_names_its_position(item: Any, match: str) -> None:
    with pytest.raises(ValueError, match=match):
        bulk_phone_request(CONFIG, [{"linkedin_url": LINKEDIN}, item])


@pytest.mark.parametrize(
    ("searches", "match"),
    [
        ([{"linkedin_url": 5}], "search 0: linkedin_url must be a string"),
        (["jim"], "search 0: expected a PhoneSearch or a mapping"),
        ([{"linkedin_url": LINKEDIN, "custom": 1.5}], "search 0: custom must be"),
        ({"linkedin_url": LINKEDIN}, "not a single value"),
        (PhoneSearch(LINKEDIN), "not a single value"),
    ],
)
def test_wrong_types_refused(searches: Any, match: str) -> None:
    with pytest.raises(TypeError, match=match):
        bulk_phone_request(CONFIG, searches)


def test_single_body_puts_custom_top_level() -> None:
    request = single_phone_request(
        CONFIG, PhoneSearch(LINKEDIN, custom="lead-9"), webhook="https://h.example"
    )
    assert request.url.endswith(PHONE_SINGLE_PATH)
    assert sent(request) == {
        "linkedin_url": LINKEDIN,
        "custom": "lead-9",
        "settings": {"webhook": "https://h.example"},
    }
    with pytest.raises(ValueError, match=r"^search: linkedin_url, or firstname"):
        single_phone_request(CONFIG, PhoneSearch(firstname="Jim"))


# -- GET /phone/bulk -------------------------------------------------------------------------

RESULTS = [
    {
        "country": "US",
        "index": 1,
        "number": None,
        "params": {"firstname": "Pam"},
        "qualification": "not_found",
    },
    {
        "country": "US",
        "index": 0,
        "number": "+15705550100",
        "params": {"linkedin_url": LINKEDIN},
        "qualification": "found",
        "custom": "r0",
    },
]


def test_completed_newest_stats() -> None:
    batch = read_bulk(
        200,
        {
            "general": {"id": "p1", "status": "completed", "custom": {"campaign": 7}},
            "results": RESULTS,
            "stats": {
                "requested": 2,
                "finished": 2,
                "found": 1,
                "credits_cost": 80,
                "credits_to_refund": 40,
            },
        },
    )
    assert batch.done
    assert batch.custom == {"campaign": 7}
    stats = batch.stats
    assert (stats.finished, stats.requested, stats.found) == (2, 2, 1)
    assert (stats.credits_cost, stats.credits_to_refund) == (80, 40)
    assert [r.index for r in batch.results] == [0, 1]
    first, second = batch.results
    assert first == PhoneResult(
        PhoneQualification.FOUND, "+15705550100", "US", 0, {"linkedin_url": LINKEDIN}, "r0"
    )
    assert first.found
    assert not second.found
    assert second.number is None


def test_completed_older_stats_read_valid_as_found() -> None:
    batch = read_bulk(
        200,
        {
            "general": {"id": "p1", "status": "completed"},
            "results": RESULTS,
            "stats": {"requested": 2, "valid": 1, "credits_cost": 50.0},
        },
    )
    stats = batch.stats
    assert (stats.finished, stats.requested, stats.found) == (2, 2, 1)
    assert (stats.credits_cost, stats.credits_to_refund) == (50.0, None)


@pytest.mark.parametrize("status", [200, 202])
def test_ongoing(status: int) -> None:
    batch = read_bulk(
        status,
        {"general": {"id": "p1", "status": "ongoing"}, "stats": {"finished": 3, "requested": 8}},
    )
    assert batch.status is BatchStatus.ONGOING
    assert (batch.stats.finished, batch.stats.requested, batch.stats.found) == (3, 8, None)
    assert batch.results == ()


def test_failed_status() -> None:
    batch = read_bulk(200, {"general": {"id": "p1", "status": "failed"}, "stats": {"requested": 8}})
    assert batch.status is BatchStatus.FAILED
    assert batch.done
    assert batch.stats.finished == 0


def test_unknown_bulk_id() -> None:
    with pytest.raises(BatchNotFoundError):
        read_bulk(400, {"message": "Could not retrieve bulk phone results"})
    with pytest.raises(BatchNotFoundError):
        read_bulk(404, {"message": "Bulk search not found"})


# -- GET /phone/single -----------------------------------------------------------------------


def read_single(status: int, body: Any) -> Any:
    return parse_single_phone(answer(status, body), get_request(CONFIG, PHONE_SINGLE_PATH, "s1"))


def test_single_ongoing_and_completed() -> None:
    assert read_single(202, {"qualification": "ongoing"}).status is BatchStatus.ONGOING
    single = read_single(
        200,
        {
            "params": {"linkedin_url": LINKEDIN},
            "custom": "lead-9",
            "number": "+33612345678",
            "country": "FR",
            "qualification": "found",
        },
    )
    assert single.status is BatchStatus.COMPLETED
    assert single.result == PhoneResult(
        PhoneQualification.FOUND, "+33612345678", "FR", None, {"linkedin_url": LINKEDIN}, "lead-9"
    )


def test_single_errors() -> None:
    with pytest.raises(BatchNotFoundError):
        read_single(500, {"message": "Could not retrieve single phone results"})
    with pytest.raises(ServerError):
        read_single(500, {"message": "Internal error"})
