"""Requests and responses as plain data: the API config, URL encoding, redaction."""

from __future__ import annotations

import attrs
import pytest

from enrow_async import ConfigurationError
from enrow_async._core.http import DEFAULT_BASE_URL, Action, ApiConfig, JobKind, Request, Response

KEY = "sk_live_SECRET_123"
CONFIG = ApiConfig.create(KEY, "https://api.enrow.io")


def get(path: str = "/email/find/bulk", **params: str) -> Request:
    return Request(
        "GET", CONFIG.base_url, path, CONFIG.headers, Action.READ, JobKind.EMAIL_BULK, params
    )


# -- ApiConfig -------------------------------------------------------------------------------


def test_config_headers_carry_the_key_and_accept_json() -> None:
    assert dict(CONFIG.headers) == {"x-api-key": KEY, "accept": "application/json"}
    assert ApiConfig(KEY).base_url == DEFAULT_BASE_URL == "https://api.enrow.io"


@pytest.mark.parametrize(
    ("url", "allow"),
    [("http://api.example.com", False), ("ftp://x", True), ("https://", False), ("nope", False)],
)
def test_unsafe_or_invalid_base_urls_refused(url: str, allow: bool) -> None:
    with pytest.raises(ConfigurationError):
        ApiConfig.create(KEY, url, allow_http=allow)


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("https://api.enrow.io/?x=1", "must not carry a query or fragment"),
        ("https://api.enrow.io/#top", "must not carry a query or fragment"),
        ("http://api.example.com", "refusing plain-http base_url"),
    ],
)
def test_base_url_messages(url: str, message: str) -> None:
    with pytest.raises(ConfigurationError, match=message) as info:
        ApiConfig.create(KEY, url)
    assert KEY not in str(info.value)


def test_base_url_must_be_a_string() -> None:
    with pytest.raises(ConfigurationError, match="base_url must be a string"):
        ApiConfig.create(KEY, b"https://api.enrow.io")  # type: ignore[arg-type]


@pytest.mark.parametrize("key", ["", "   ", None, 42])
def test_key_must_be_a_non_empty_string(key: object) -> None:
    with pytest.raises(ConfigurationError, match="non-empty string"):
        ApiConfig.create(key, "https://api.enrow.io")  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "url", ["http://127.0.0.1:8080", "http://localhost:1", "http://[::1]:80", "http://127.0.0.2"]
)
def test_plain_http_allowed_on_loopback(url: str) -> None:
    assert ApiConfig.create(KEY, url).base_url == url


def test_plain_http_allowed_when_asked() -> None:
    assert ApiConfig.create(KEY, "http://proxy.internal/", allow_http=True).base_url == (
        "http://proxy.internal"
    )


def test_trailing_slashes_dropped() -> None:
    assert (
        ApiConfig.create(KEY, "https://gw.example/enrow//").base_url == "https://gw.example/enrow"
    )


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
