"""Single email finder, account info and the single-job adapter."""

from __future__ import annotations

from typing import Any

import orjson
import pytest

from enrow_async import (
    AuthenticationError,
    BatchNotFoundError,
    BatchStatus,
    InsufficientCreditsError,
    Qualification,
    ResponseError,
    ServerError,
)
from enrow_async._core.protocol import ApiConfig, Response, get_request, parse
from enrow_async.models import AccountInfo, SingleJob
from enrow_async.singles import (
    FIND_SINGLE_PATH,
    account_request,
    find_single_request,
    parse_single_email,
)

CONFIG = ApiConfig.create("key", "https://api.enrow.io")


def answer(status: int, body: Any) -> Response:
    raw = body if isinstance(body, bytes) else orjson.dumps(body)
    return Response(status, {}, raw)


def read(status: int, body: Any) -> Any:
    request = get_request(CONFIG, FIND_SINGLE_PATH, "j/1")
    return parse_single_email(answer(status, body), request)


def sent(request: Any) -> Any:
    return orjson.loads(request.body)


# -- POST /email/find/single -----------------------------------------------------------------


def test_find_body_with_every_option() -> None:
    request = find_single_request(
        CONFIG,
        " Jim Halpert ",
        company_domain="https://www.dundermifflin.com",
        company_name="Dunder Mifflin",
        custom={"crm": 12},
        webhook="https://hooks.example/s",
        country_code="fr",
        retrieve_gender=True,
    )
    assert request.method == "POST"
    assert request.url == "https://api.enrow.io/email/find/single"
    assert sent(request) == {
        "fullname": "Jim Halpert",
        "company_domain": "https://www.dundermifflin.com",
        "company_name": "Dunder Mifflin",
        "custom": {"crm": 12},
        "settings": {
            "webhook": "https://hooks.example/s",
            "country_code": "FR",
            "retrieve_gender": True,
        },
    }


def test_find_minimal_body() -> None:
    request = find_single_request(CONFIG, "Jim Halpert", company_name="Dunder")
    assert sent(request) == {"fullname": "Jim Halpert", "company_name": "Dunder"}


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"fullname": " "}, ValueError, "fullname is required"),
        ({"company_domain": None}, ValueError, "company_domain or company_name is required"),
        ({"company_domain": "  "}, ValueError, "company_domain or company_name is required"),
        ({"country_code": "FRA"}, ValueError, "ISO 3166 alpha-2"),
        ({"webhook": "hooks.example"}, ValueError, "webhook must be an http"),
        ({"custom": 12}, TypeError, "custom must be a string or a mapping"),
        ({"fullname": 7}, TypeError, "fullname must be a string"),
    ],
)
def test_find_checks(kwargs: dict[str, Any], error: type[Exception], match: str) -> None:
    args: dict[str, Any] = {"fullname": "Jim Halpert", "company_domain": "d.com", **kwargs}
    fullname = args.pop("fullname")
    with pytest.raises(error, match=match):
        find_single_request(CONFIG, fullname, **args)


@pytest.mark.parametrize(
    "body",
    [
        {"id": "j1", "credits_used": 1, "message": "Single search operating"},
        {"id": "j1", "credits": {"amount": 0.25, "source": "sub"}},
    ],
)
def test_single_job(body: dict[str, Any]) -> None:
    request = find_single_request(CONFIG, "Jim", company_domain="d.com")
    job = parse(answer(200, body), request, SingleJob)
    assert job.id == "j1"
    assert job.credits_used == body.get("credits_used")


def test_single_402_reason_body() -> None:
    request = find_single_request(CONFIG, "Jim", company_domain="d.com")
    with pytest.raises(InsufficientCreditsError, match="Insufficient credits"):
        parse(answer(402, {"reason": "Insufficient credits", "success": False}), request, SingleJob)


# -- GET /email/find/single ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("status", "body"), [(202, {"qualification": "ongoing"}), (200, {"qualification": "ongoing"})]
)
def test_ongoing_is_an_answer(status: int, body: Any) -> None:
    single = read(status, body)
    assert single.id == "j/1"
    assert single.status is BatchStatus.ONGOING
    assert not single.done
    assert single.result is None
    assert (single.stats.finished, single.stats.requested) == (0, 1)


def test_202_body_is_not_read() -> None:
    assert read(202, b"").status is BatchStatus.ONGOING


def test_completed_valid_with_company_domain_info() -> None:
    single = read(
        200,
        {
            "email": "jim.halpert@dundermifflin.com",
            "qualification": "valid",
            "info": {
                "company_domain": "dundermifflin.com",
                "fullname": "Jim Halpert",
                "firstname": "Jim",
                "lastname": "Halpert",
                "gender": "male",
            },
            "custom": {"crm": 12},
        },
    )
    assert single.done
    assert (single.stats.finished, single.stats.requested) == (1, 1)
    result = single.result
    assert result.found
    assert result.email == "jim.halpert@dundermifflin.com"
    assert result.info.domain == "dundermifflin.com"
    assert result.info.gender == "male"
    assert result.custom == {"crm": 12}


def test_completed_invalid() -> None:
    result = read(200, {"email": None, "qualification": "invalid", "custom": "c"}).result
    assert result.qualification is Qualification.INVALID
    assert not result.found
    assert (result.email, result.info, result.custom) == (None, None, "c")


@pytest.mark.parametrize(
    ("status", "body", "error"),
    [
        (500, {"message": "Could not retrieve single search results"}, BatchNotFoundError),
        (500, {"message": "boom"}, ServerError),
        (404, {"message": "Single search not found"}, BatchNotFoundError),
        (401, {"message": "This apikey is not valid"}, AuthenticationError),
        (200, {"qualification": "maybe"}, ResponseError),
        (200, b"<html>", ResponseError),
    ],
)
def test_read_errors(status: int, body: Any, error: type[Exception]) -> None:
    with pytest.raises(error):
        read(status, body)


# -- GET /account/info -----------------------------------------------------------------------


def test_account_request() -> None:
    request = account_request(CONFIG)
    assert (request.method, request.url) == ("GET", "https://api.enrow.io/account/info")


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ({"credits": 36000}, AccountInfo(36000)),
        ({"credits": 12.75, "webhooks": None}, AccountInfo(12.75)),
        (
            {"credits": 1, "webhooks": [{"url": "https://h.example", "events": ["x"]}, "raw"]},
            AccountInfo(1, ({"url": "https://h.example", "events": ["x"]}, "raw")),
        ),
    ],
)
def test_account_info(body: Any, expected: AccountInfo) -> None:
    assert parse(answer(200, body), account_request(CONFIG), AccountInfo) == expected


@pytest.mark.parametrize(
    "body", [{"credits": "many"}, {"webhooks": []}, {"credits": 1, "webhooks": {}}]
)
def test_account_info_malformed(body: Any) -> None:
    with pytest.raises(ResponseError):
        parse(answer(200, body), account_request(CONFIG), AccountInfo)
