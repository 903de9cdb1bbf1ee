"""The sans-I/O protocol: request building, status mapping, redaction."""

from __future__ import annotations

import contextlib
import math
from typing import Any

import orjson
import pytest
from hypothesis import given
from hypothesis import strategies as st

from enrow_async import (
    APIError,
    AuthenticationError,
    BatchNotFoundError,
    BatchStatus,
    ConfigurationError,
    InsufficientCreditsError,
    RateLimitError,
    ResponseError,
    ServerError,
)
from enrow_async._core.protocol import (
    ApiConfig,
    Response,
    bulk_results_request,
    check_batch_id,
    check_timeout,
    error_for,
    parse_bulk_results,
    retry_after,
)

KEY = "sk_live_SECRET_123"
CONFIG = ApiConfig.create(KEY, "https://api.enrow.io")


def answer(status: int, body: Any = None, **headers: str) -> Response:
    raw = body if isinstance(body, bytes) else orjson.dumps(body)
    return Response(status, {k.replace("_", "-"): v for k, v in headers.items()}, raw)


def test_request_encodes_id_as_one_query_value() -> None:
    request = bulk_results_request(CONFIG, "a&id=b c/é")
    assert request.url == "https://api.enrow.io/email/find/bulk?id=a%26id%3Db%20c%2F%C3%A9"
    assert request.method == "GET"
    assert request.headers["x-api-key"] == KEY


def test_key_never_in_reprs() -> None:
    request = bulk_results_request(CONFIG, "b1")
    for text in (repr(CONFIG), repr(request), str(request), repr(answer(200, {}))):
        assert KEY not in text
    assert "redacted" in repr(request)


@pytest.mark.parametrize("bad", ["", "   "])
def test_empty_id_refused(bad: str) -> None:
    with pytest.raises(ValueError, match="non-empty"):
        check_batch_id(bad)


@pytest.mark.parametrize("bad", [None, 3, b"id", ["x"]])
def test_non_string_id_refused(bad: object) -> None:
    with pytest.raises(TypeError, match="must be a str"):
        check_batch_id(bad)


@pytest.mark.parametrize("bad", [-1, -0.001, math.nan])
def test_bad_timeouts(bad: float) -> None:
    with pytest.raises(ValueError, match="timeout"):
        check_timeout(bad)


@pytest.mark.parametrize("bad", ["10", True, [1]])
def test_timeout_types(bad: object) -> None:
    with pytest.raises(TypeError, match="timeout"):
        check_timeout(bad)


def test_timeout_values() -> None:
    assert check_timeout(None) is None
    assert check_timeout(0) == 0.0
    assert check_timeout(2.5) == 2.5
    assert check_timeout(math.inf) == math.inf


@pytest.mark.parametrize(
    ("url", "allow"),
    [("http://api.example.com", False), ("ftp://x", True), ("https://", False), ("nope", False)],
)
def test_unsafe_or_invalid_base_urls_refused(url: str, allow: bool) -> None:
    with pytest.raises(ConfigurationError):
        ApiConfig.create(KEY, url, allow_http=allow)


@pytest.mark.parametrize(
    "url", ["http://127.0.0.1:8080", "http://localhost:1", "http://[::1]:80", "http://127.0.0.2"]
)
def test_plain_http_allowed_on_loopback(url: str) -> None:
    assert ApiConfig.create(KEY, url).base_url == url


def test_plain_http_allowed_when_asked() -> None:
    assert ApiConfig.create(KEY, "http://proxy.internal/", allow_http=True).base_url == (
        "http://proxy.internal"
    )


@pytest.mark.parametrize("status", [200, 202])
def test_ongoing_with_200_or_202(status: int) -> None:
    request = bulk_results_request(CONFIG, "b1")
    body = {"general": {"id": "b1", "status": "ongoing"}, "stats": {"finished": 2, "requested": 9}}
    batch = parse_bulk_results(answer(status, body), request)
    assert batch.status is BatchStatus.ONGOING
    assert (batch.stats.finished, batch.stats.requested) == (2, 9)


@pytest.mark.parametrize(
    ("status", "body", "error", "text"),
    [
        (
            400,
            {"message": "Could not retrieve bulk search results"},
            BatchNotFoundError,
            "retrieve",
        ),
        (404, {"message": "Bulk search not found"}, BatchNotFoundError, "not found"),
        (401, {"message": "This apikey is not valid"}, AuthenticationError, "not valid"),
        (
            402,
            {"reason": "Insufficient credits", "success": False},
            InsufficientCreditsError,
            "Insufficient",
        ),
        (422, {"message": "Insufficient balance"}, InsufficientCreditsError, "balance"),
        (429, {"message": "Rate limit exceeded"}, RateLimitError, "Rate limit"),
        (500, {"message": "boom"}, ServerError, "boom"),
        (503, b"<html>down</html>", ServerError, "non-JSON"),
        (400, {"message": "Missing id in the query params"}, APIError, "Missing id"),
        (418, {"message": "teapot"}, APIError, "unexpected status"),
        (302, b"", APIError, "redirect"),
    ],
)
def test_error_mapping(status: int, body: Any, error: type[Exception], text: str) -> None:
    request = bulk_results_request(CONFIG, "b1")
    exc = error_for(answer(status, body), request)
    assert type(exc) is error
    assert isinstance(exc, APIError)
    assert exc.status == status
    assert text in str(exc)
    assert "/email/find/bulk" in str(exc)
    assert KEY not in str(exc)
    with pytest.raises(error):
        parse_bulk_results(answer(status, body), request)


def test_error_body_shape_is_never_relied_on() -> None:
    request = bulk_results_request(CONFIG, "b1")
    for body in (b"", b"[]", b'{"error": 5}', b'"text"', b"\xff\xfe"):
        exc = error_for(answer(500, body), request)
        assert isinstance(exc, ServerError)


def test_redirect_names_target_origin_only() -> None:
    request = bulk_results_request(CONFIG, "b1")
    exc = error_for(answer(307, b"", location="https://evil.example:8443/steal?k=1"), request)
    assert "https://evil.example:8443" in str(exc)
    assert "steal" not in str(exc)


@pytest.mark.parametrize(
    ("header", "expected"),
    [("2", 2.0), ("0.25", 0.25), ("soon", None), ("-1", None), ("nan", None)],
)
def test_retry_after(header: str, expected: float | None) -> None:
    assert retry_after(answer(429, {}, retry_after=header)) == expected
    assert retry_after(answer(429, {})) is None


def test_html_200_is_a_response_error() -> None:
    request = bulk_results_request(CONFIG, "b1")
    body = b"<html><body>Gateway</body></html>"
    resp = Response(200, {"content-type": "text/html"}, body)
    with pytest.raises(ResponseError, match="not JSON") as info:
        parse_bulk_results(resp, request)
    assert info.value.body == body
    assert info.value.status == 200


@given(st.binary(max_size=300))
def test_any_bytes_give_a_model_or_response_error(body: bytes) -> None:
    request = bulk_results_request(CONFIG, "b1")
    with contextlib.suppress(ResponseError):
        parse_bulk_results(Response(200, {}, body), request)


json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-(2**63), 2**63 - 1)
    | st.floats(allow_nan=False)
    | st.text(max_size=8),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=20,
)
plausible = st.fixed_dictionaries(
    {
        "general": st.fixed_dictionaries(
            {
                "id": json_values | st.text(),
                "status": json_values | st.sampled_from(list(BatchStatus)),
            }
        ),
        "stats": st.dictionaries(
            st.sampled_from(["finished", "requested", "valid", "credits_cost"]), json_values
        ),
        "results": json_values
        | st.lists(
            st.dictionaries(
                st.sampled_from(
                    ["index", "qualification", "email", "info", "raw_params", "custom"]
                ),
                json_values,
            )
        ),
    }
)


@given(json_values | plausible)
def test_any_json_gives_a_model_or_response_error(data: Any) -> None:
    request = bulk_results_request(CONFIG, "b1")
    with contextlib.suppress(ResponseError):
        parse_bulk_results(Response(200, {}, orjson.dumps(data)), request)
