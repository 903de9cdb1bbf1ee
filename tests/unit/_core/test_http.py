"""Requests and responses as plain data: URL encoding, redaction."""

from __future__ import annotations

import attrs
import pytest
from helpers import CONFIG, KEY

from enrow_async._core.http import Action, Request, Response
from enrow_async._core.jobs import EMAIL_BULK


def get(path: str = "/email/find/bulk", **params: str) -> Request:
    return Request("GET", CONFIG.base_url, path, CONFIG.headers, Action.READ, EMAIL_BULK, params)


# -- Request ---------------------------------------------------------------------------------


def test_request_encodes_id_as_one_query_value() -> None:
    request = get(id="a&id=b c/é")
    assert request.url == "https://api.enrow.io/email/find/bulk?id=a%26id%3Db%20c%2F%C3%A9"
    assert request.job_id == "a&id=b c/é"
    assert request.method == "GET"
    assert request.headers["x-api-key"] == KEY


def test_every_query_name_and_value_is_encoded_in_order() -> None:
    request = get(id="1", **{"a b": "x=y"})
    assert request.url == "https://api.enrow.io/email/find/bulk?id=1&a%20b=x%3Dy"


def test_request_without_params_has_no_query() -> None:
    request = Request("GET", CONFIG.base_url, "/account/info", CONFIG.headers, Action.ACCOUNT)
    assert request.url == "https://api.enrow.io/account/info"
    assert request.job_id is None
    assert request.job is None


def test_idempotent_by_default_for_gets_only() -> None:
    assert get(id="b1").idempotent
    post = Request("POST", CONFIG.base_url, "/x", CONFIG.headers, Action.START, body=b"{}")
    assert not post.idempotent
    forced = Request("POST", CONFIG.base_url, "/x", CONFIG.headers, Action.START, idempotent=True)
    assert forced.idempotent


def test_request_and_response_are_frozen() -> None:
    request = get(id="b1")
    with pytest.raises(attrs.exceptions.FrozenInstanceError):
        request.path = "/other"  # type: ignore[misc]
    with pytest.raises(attrs.exceptions.FrozenInstanceError):
        Response(200, {}, b"").status = 500  # type: ignore[misc]
    with pytest.raises(attrs.exceptions.FrozenInstanceError):
        CONFIG.api_key = "other"  # type: ignore[misc]


# -- redaction -------------------------------------------------------------------------------


def test_key_never_in_reprs() -> None:
    request = get(id="b1")
    response = Response(401, {"x-api-key": KEY}, KEY.encode())
    for text in (repr(CONFIG), str(CONFIG), repr(request), str(request), repr(response)):
        assert KEY not in text
    assert "redacted" in repr(request)
    assert "redacted" in repr(CONFIG)
    assert repr(response) == f"Response(status=401, {len(KEY)} bytes)"
    assert repr(request) == (
        "Request(GET https://api.enrow.io/email/find/bulk?id=b1, headers=<redacted>)"
    )
