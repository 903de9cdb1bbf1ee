"""One decision per answer: every status and transport failure -> one verdict, one error."""

from __future__ import annotations

import email.utils
from datetime import UTC, datetime
from typing import Any

import orjson
import pytest
from helpers import CONFIG, KEY
from hypothesis import given
from hypothesis import strategies as st

from enrow_async import (
    APIError,
    AuthenticationError,
    BatchNotFoundError,
    EnrowError,
    InsufficientCreditsError,
    OutcomeUnknownError,
    ProxyError,
    RateLimitError,
    ResponseError,
    ServerError,
    TLSError,
    TransportError,
)
from enrow_async._core.classify import (
    Fail,
    Retry,
    Success,
    retry_after,
)
from enrow_async._core.classify import classify as classify_with
from enrow_async._core.http import Request, Response
from enrow_async._core.jobs import EMAIL_BULK, JOBS, PHONE_SINGLE, JobSpec
from enrow_async._core.requests import account_request, read_request, start_request

NOW = 1_700_000_000.0

READ_BULK = read_request(CONFIG, EMAIL_BULK, "b1")
START_BULK = start_request(CONFIG, EMAIL_BULK, {"searches": []})
REFUSALS = {400, 401, 402, 422}
"""A start answered with one of these and the API's error body was certainly not acted on."""
SINGLE_KINDS = [spec for spec in JOBS if not spec.bulk]
BULK_KINDS = [spec for spec in JOBS if spec.bulk]


def classify(
    request: Request, answer: Response | Exception, **options: Any
) -> Success[Response] | Retry | Fail:
    """The verdict, a 2xx answer read as itself."""
    return classify_with(request, answer, lambda response: response, **options)  # type: ignore[arg-type]


def answer(status: int, body: Any = None, **headers: str) -> Response:
    raw = body if isinstance(body, bytes) else orjson.dumps(body)
    return Response(status, {k.replace("_", "-"): v for k, v in headers.items()}, raw)


def http_date(epoch: float) -> str:
    return email.utils.format_datetime(datetime.fromtimestamp(epoch, UTC), usegmt=True)


def read(kind: JobSpec[Any]) -> Request:
    return read_request(CONFIG, kind, "j1")


def start(kind: JobSpec[Any]) -> Request:
    return start_request(CONFIG, kind, {})


def error_text(error: BaseException) -> str:
    """Everything a user may print of an error: str, repr, the attributes, the chain."""
    parts = [str(error), repr(error), repr(vars(error))]
    if error.__cause__ is not None:
        parts.append(error_text(error.__cause__))
    return " ".join(parts)


# -- success ---------------------------------------------------------------------------------


@pytest.mark.parametrize("status", [200, 201, 202, 204, 299])
@pytest.mark.parametrize("request_", [READ_BULK, START_BULK, account_request(CONFIG)])
def test_2xx_is_success_carrying_the_response(status: int, request_: Request) -> None:
    response = answer(status, b"<html>whatever</html>")
    assert classify(request_, response) == Success(response)


def refuse(response: Response) -> object:
    raise ResponseError("not the model's shape", body=response.body)


def test_a_2xx_body_read_refuses_is_retried_for_a_read_and_unknown_for_a_start() -> None:
    response = answer(200, b"[]")
    read_verdict = classify_with(READ_BULK, response, refuse)
    assert isinstance(read_verdict, Retry)
    assert type(read_verdict.error) is ResponseError
    start_verdict = classify_with(START_BULK, response, refuse)
    assert isinstance(start_verdict, Fail)
    assert type(start_verdict.error) is OutcomeUnknownError
    assert type(start_verdict.error.__cause__) is ResponseError
    assert (start_verdict.error.status, start_verdict.error.body) == (200, b"[]")
    assert "HTTP 200 but not the model's shape; the job may have been created" in str(
        start_verdict.error
    )


# -- the error mapping table (a read by id) --------------------------------------------------


@pytest.mark.parametrize(
    ("status", "body", "verdict", "error", "text"),
    [
        (
            400,
            {"message": "Could not retrieve bulk search results"},
            Fail,
            BatchNotFoundError,
            "retrieve",
        ),
        (404, {"message": "Bulk search not found"}, Fail, BatchNotFoundError, "not found"),
        (401, {"message": "This apikey is not valid"}, Fail, AuthenticationError, "not valid"),
        (
            402,
            {"reason": "Insufficient credits", "success": False},
            Fail,
            InsufficientCreditsError,
            "Insufficient",
        ),
        (422, {"message": "Insufficient balance"}, Fail, InsufficientCreditsError, "balance"),
        (429, {"message": "Rate limit exceeded"}, Retry, RateLimitError, "Rate limit"),
        (500, {"message": "boom"}, Retry, ServerError, "boom"),
        (503, b"<html>down</html>", Retry, ServerError, "non-JSON"),
        (400, {"message": "Missing id in the query params"}, Fail, APIError, "Missing id"),
        (418, {"message": "teapot"}, Fail, APIError, "unexpected status"),
        (302, b"", Fail, APIError, "redirect"),
        (400, {"error": "bad"}, Fail, APIError, "bad"),
        (400, [1, 2], Fail, APIError, "error body without a message"),
    ],
)
def test_error_mapping(
    status: int, body: Any, verdict: type, error: type[Exception], text: str
) -> None:
    result = classify(READ_BULK, answer(status, body))
    assert type(result) is verdict
    exc = result.error
    assert type(exc) is error
    assert isinstance(exc, APIError)
    assert exc.status == status
    assert (exc.method, exc.path) == ("GET", "/email/find/bulk")
    assert text in str(exc)
    assert "/email/find/bulk" in str(exc)
    assert KEY not in error_text(exc)


def test_non_json_error_body_names_its_type_and_size() -> None:
    result = classify(READ_BULK, answer(503, b"<html>down</html>", content_type="text/html"))
    assert isinstance(result, Retry)
    assert "non-JSON error body (text/html, 17 bytes)" in str(result.error)


@pytest.mark.parametrize("kind", list(JOBS))
def test_404_on_any_read_is_not_found(kind: JobSpec[Any]) -> None:
    result = classify(read(kind), answer(404, {"message": "not found"}))
    assert isinstance(result, Fail)
    assert type(result.error) is BatchNotFoundError
    assert result.error.path == kind.path


@pytest.mark.parametrize("status", [400, 404])
def test_not_found_only_for_reads_by_id(status: int) -> None:
    body = {"message": "Could not retrieve anything"}
    result = classify(account_request(CONFIG), answer(status, body))
    assert isinstance(result, Fail)
    assert type(result.error) is APIError
    # A start's 400 with the API's error body is a refusal; its 404 is not documented.
    expected = APIError if status == 400 else OutcomeUnknownError
    assert type(classify(START_BULK, answer(status, body)).error) is expected  # type: ignore[union-attr]


@pytest.mark.parametrize("kind", list(JOBS))
def test_a_start_refused_for_credits_is_final(kind: JobSpec[Any]) -> None:
    body = {"reason": "Insufficient credits", "success": False}
    result = classify(start(kind), answer(402, body))
    assert isinstance(result, Fail)
    assert isinstance(result.error, InsufficientCreditsError)
    assert "Insufficient credits" in str(result.error)
    assert result.error.method == "POST"


# -- error bodies are never relied on --------------------------------------------------------


@pytest.mark.parametrize("body", [b"", b"[]", b'{"error": 5}', b'"text"', b"\xff\xfe", b"null"])
def test_error_body_shape_is_never_relied_on(body: bytes) -> None:
    result = classify(READ_BULK, answer(500, body))
    assert isinstance(result, Retry)
    assert isinstance(result.error, ServerError)
    result = classify(READ_BULK, answer(401, body))
    assert isinstance(result, Fail)
    assert isinstance(result.error, AuthenticationError)


@given(
    status=st.integers(100, 599).filter(lambda s: s != 400),
    body=st.binary(max_size=64) | st.builds(orjson.dumps, st.dictionaries(st.text(), st.text())),
    kind=st.sampled_from(list(JOBS)),
)
def test_only_400_and_single_500_read_the_body(
    status: int, body: bytes, kind: JobSpec[Any]
) -> None:
    """Outside the documented "Could not retrieve" quirks (and a start's refusals, which
    need the API's error body), the verdict and the error type depend on the status and the
    request only."""
    requests = [read(kind)] + ([] if status in REFUSALS else [start(kind)])
    for request in requests:
        with_body = classify(request, answer(status, body), now_epoch=NOW)
        without = classify(request, answer(status, b""), now_epoch=NOW)
        assert type(with_body) is type(without)
        if isinstance(with_body, Success) or (status == 500 and not kind.bulk):
            continue
        assert type(with_body.error) is type(without.error)  # type: ignore[union-attr]


# -- 429 -------------------------------------------------------------------------------------


@pytest.mark.parametrize("request_", [READ_BULK, START_BULK, account_request(CONFIG)])
def test_429_pauses_everyone_with_the_hint(request_: Request) -> None:
    result = classify(request_, answer(429, {"message": "slow down"}, retry_after="2"))
    assert isinstance(result, Retry)
    assert result.pause_all
    assert result.delay == 2.0
    assert isinstance(result.error, RateLimitError)
    assert result.error.retry_after == 2.0
    assert result.error.status == 429


def test_429_without_a_hint() -> None:
    result = classify(READ_BULK, answer(429, {}))
    assert result == Retry(result.error, None, pause_all=True)  # type: ignore[union-attr]
    assert result.error.retry_after is None  # type: ignore[union-attr]


def test_429_reads_an_http_date_hint_when_given_the_time() -> None:
    date = http_date(NOW + 3)
    result = classify(READ_BULK, answer(429, {}, retry_after=date), now_epoch=NOW)
    assert isinstance(result, Retry)
    assert result.delay == pytest.approx(3.0)
    assert classify(READ_BULK, answer(429, {}, retry_after=date)).delay is None  # type: ignore[union-attr]


# -- Retry-After -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("2", 2.0),
        ("0.25", 0.25),
        ("0", 0.0),
        ("soon", None),
        ("-1", None),
        ("nan", None),
        ("inf", None),
        ("1e400", None),
        ("", None),
    ],
)
def test_retry_after_seconds(header: str, expected: float | None) -> None:
    assert retry_after(answer(429, {}, retry_after=header)) == expected
    assert retry_after(answer(429, {}, retry_after=header), now_epoch=NOW) == expected
    assert retry_after(answer(429, {})) is None


def test_retry_after_http_date_in_the_future() -> None:
    assert retry_after(answer(429, {}, retry_after=http_date(NOW + 3)), NOW) == pytest.approx(3.0)
    assert retry_after(answer(429, {}, retry_after=http_date(NOW + 120)), NOW) == pytest.approx(
        120.0
    )


def test_retry_after_http_date_with_a_numeric_offset() -> None:
    header = "Tue, 14 Nov 2023 23:13:23 +0100"  # NOW + 3 s, written in UTC+1
    assert retry_after(answer(429, {}, retry_after=header), NOW) == pytest.approx(3.0)


def test_retry_after_http_date_in_the_past_is_zero() -> None:
    assert retry_after(answer(429, {}, retry_after=http_date(NOW - 60)), NOW) == 0.0


def test_retry_after_http_date_needs_the_time() -> None:
    assert retry_after(answer(429, {}, retry_after=http_date(NOW + 3))) is None


@pytest.mark.parametrize(
    "header",
    [
        "Mon, 32 Jan 2020 00:00:00 GMT",
        "Mon, 01 Jan 2020 25:00:00 GMT",
        "Mon, 01 Jan 99999 00:00:00 GMT",
        "Mon, 01 Jan 2020 00:00:00 +99999",
        "tomorrow",
        "  ",
    ],
)
def test_retry_after_garbage_is_no_hint(header: str) -> None:
    assert retry_after(answer(429, {}, retry_after=header), NOW) is None


@given(st.text(max_size=40), st.floats(0, 4e9))
def test_retry_after_is_none_or_a_finite_non_negative_number(header: str, now: float) -> None:
    value = retry_after(answer(429, {}, retry_after=header), now)
    assert value is None or (0.0 <= value < float("inf"))


# -- 5xx -------------------------------------------------------------------------------------


@pytest.mark.parametrize("status", [500, 501, 502, 503, 504, 599])
@pytest.mark.parametrize("request_", [READ_BULK, read(PHONE_SINGLE), account_request(CONFIG)])
def test_5xx_on_a_get_is_retried(status: int, request_: Request) -> None:
    result = classify(request_, answer(status, {"message": "Internal error"}))
    assert isinstance(result, Retry)
    assert type(result.error) is ServerError
    assert result.error.status == status
    assert (result.delay, result.pause_all) == (None, False)


@pytest.mark.parametrize("kind", SINGLE_KINDS)
def test_single_unknown_id_as_500_is_retried_then_not_found(kind: JobSpec[Any]) -> None:
    body = {"message": f"Could not retrieve {kind.name} results"}
    result = classify(read(kind), answer(500, body))
    assert isinstance(result, Retry)
    assert type(result.error) is BatchNotFoundError
    assert result.error.status == 500
    assert "Could not retrieve" in str(result.error)


@pytest.mark.parametrize("kind", BULK_KINDS)
def test_bulk_500_could_not_retrieve_is_an_outage(kind: JobSpec[Any]) -> None:
    result = classify(read(kind), answer(500, {"message": "Could not retrieve results"}))
    assert isinstance(result, Retry)
    assert type(result.error) is ServerError


@pytest.mark.parametrize("status", [500, 501, 502, 503, 504, 507, 599])
@pytest.mark.parametrize("kind", list(JOBS))
def test_every_5xx_on_a_post_is_an_unknown_outcome(status: int, kind: JobSpec[Any]) -> None:
    """Even a gateway's 502/504 says nothing of whether the API acted behind it."""
    body = {"message": "Could not retrieve single search results"}  # no not-found on a POST
    result = classify(start(kind), answer(status, body))
    assert isinstance(result, Fail)
    assert type(result.error) is OutcomeUnknownError
    assert result.error.request_sent
    assert result.error.status == status
    assert result.error.body == orjson.dumps(body)
    text = str(result.error)
    assert f"POST {kind.path}: HTTP {status}" in text
    assert "not sent again" in text
    assert KEY not in error_text(result.error)


def test_an_idempotent_post_is_retried_on_500() -> None:
    request = Request(
        "POST", CONFIG.base_url, "/x", CONFIG.headers, START_BULK.action, idempotent=True
    )
    assert isinstance(classify(request, answer(500, {})), Retry)


# -- a start: only a certain refusal is a refusal --------------------------------------------


@pytest.mark.parametrize(
    ("status", "body", "error"),
    [
        (400, {"message": "Missing mandatory property on search n°8 of 50"}, APIError),
        (400, {"error": "Invalid JSON input"}, APIError),
        (401, {"message": "This apikey is not valid"}, AuthenticationError),
        (402, {"reason": "Insufficient credits", "success": False}, InsufficientCreditsError),
        (422, {"message": "Insufficient balance"}, InsufficientCreditsError),
    ],
)
@pytest.mark.parametrize("kind", list(JOBS))
def test_a_start_refused_in_the_api_error_body_is_final(
    status: int, body: Any, error: type[APIError], kind: JobSpec[Any]
) -> None:
    result = classify(start(kind), answer(status, body))
    assert isinstance(result, Fail)
    assert type(result.error) is error
    assert (result.error.status, result.error.method) == (status, "POST")


@pytest.mark.parametrize("status", sorted(REFUSALS))
@pytest.mark.parametrize(
    "body", [b"", b"<html>Bad Request</html>", b"[]", b"null", b'{"message": 5}', b'{"id": "x"}']
)
def test_a_refusal_status_without_the_api_error_body_is_an_unknown_outcome(
    status: int, body: bytes
) -> None:
    """A proxy's page, or a body the API never sends: nothing proves the job was not made."""
    result = classify(START_BULK, answer(status, body))
    assert isinstance(result, Fail)
    assert type(result.error) is OutcomeUnknownError
    assert (result.error.status, result.error.body) == (status, body)
    assert "not sent again" in str(result.error)


@pytest.mark.parametrize("status", [404, 405, 408, 409, 410, 413, 415, 418, 451, 499])
def test_a_status_the_api_does_not_document_for_a_start_is_an_unknown_outcome(
    status: int,
) -> None:
    result = classify(START_BULK, answer(status, {"message": "nope"}))
    assert isinstance(result, Fail)
    assert type(result.error) is OutcomeUnknownError
    assert str(result.error).startswith(f"POST /email/find/bulk: HTTP {status} (nope); ")


@given(
    status=st.integers(100, 999).filter(lambda s: not 200 <= s < 300),
    body=st.binary(max_size=64)
    | st.builds(
        orjson.dumps,
        st.dictionaries(
            st.sampled_from(["message", "reason", "error", "id"]),
            st.text(max_size=20) | st.integers(-(2**63), 2**63 - 1) | st.none(),
        ),
    ),
    kind=st.sampled_from(list(JOBS)),
)
def test_a_start_is_refused_only_when_the_answer_proves_it(
    status: int, body: bytes, kind: JobSpec[Any]
) -> None:
    """Retried only after a 429; final only for a documented refusal in the API's error
    body; every other answer is an unknown outcome, never resent."""
    result = classify(start(kind), answer(status, body), now_epoch=NOW)
    if status == 429:
        assert isinstance(result, Retry)
        assert isinstance(result.error, RateLimitError)
        return
    try:
        data = orjson.loads(body)
    except orjson.JSONDecodeError:
        data = None
    documented = isinstance(data, dict) and any(
        isinstance(data.get(name), str) for name in ("message", "reason", "error")
    )
    if status in REFUSALS and documented:
        assert isinstance(result, Fail)
        assert isinstance(result.error, APIError)
    else:
        assert isinstance(result, Fail)
        assert type(result.error) is OutcomeUnknownError
        assert result.error.status == status


# -- transport failures ----------------------------------------------------------------------


@pytest.mark.parametrize("sent", [True, False])
@pytest.mark.parametrize("request_", [READ_BULK, account_request(CONFIG)])
def test_transport_error_on_a_get_is_retried(sent: bool, request_: Request) -> None:
    error = TransportError("connection reset", request_sent=sent)
    assert classify(request_, error) == Retry(error)


@pytest.mark.parametrize("kind", list(JOBS))
def test_transport_error_before_sending_a_post_is_retried(kind: JobSpec[Any]) -> None:
    error = TransportError("connection refused", request_sent=False)
    assert classify(start(kind), error) == Retry(error)


@pytest.mark.parametrize("kind", list(JOBS))
def test_transport_error_after_sending_a_post_is_an_unknown_outcome(kind: JobSpec[Any]) -> None:
    error = TransportError("read timeout", request_sent=True)
    result = classify(start(kind), error)
    assert isinstance(result, Fail)
    assert type(result.error) is OutcomeUnknownError
    assert result.error.__cause__ is error
    assert result.error.request_sent
    assert str(result.error) == (
        "read timeout; the job may have been created, so it is not sent again"
    )


FINAL_TRANSPORT_ERRORS = [
    TLSError("the TLS certificate of api.enrow.io:443 is refused", request_sent=False),
    ProxyError("the proxy refused the tunnel: 407", status=407),
]


@pytest.mark.parametrize("error", FINAL_TRANSPORT_ERRORS, ids=lambda e: type(e).__name__)
@pytest.mark.parametrize("request_", [READ_BULK, START_BULK, account_request(CONFIG)])
def test_a_transport_failure_retrying_cannot_fix_is_final(
    error: TransportError, request_: Request
) -> None:
    assert not error.transient
    assert classify(request_, error) == Fail(error)


# -- redirects -------------------------------------------------------------------------------


@pytest.mark.parametrize("status", range(300, 309))
@pytest.mark.parametrize("request_", [READ_BULK, account_request(CONFIG)])
def test_a_read_redirect_is_final_and_names_the_target_origin_only(
    status: int, request_: Request
) -> None:
    response = answer(status, b"", location="https://evil.example:8443/steal?k=1")
    result = classify(request_, response)
    assert isinstance(result, Fail)
    assert type(result.error) is APIError
    assert result.error.status == status
    assert "https://evil.example:8443" in str(result.error)
    assert "steal" not in str(result.error)
    assert "k=1" not in str(result.error)


@pytest.mark.parametrize("status", range(300, 309))
@pytest.mark.parametrize("kind", list(JOBS))
def test_a_start_redirect_is_an_unknown_outcome(status: int, kind: JobSpec[Any]) -> None:
    """303 See Other is how a server says "created, look there": never a refusal."""
    response = answer(status, b"", location=f"https://api.enrow.io{kind.path}?id=j1")
    result = classify(start(kind), response)
    assert isinstance(result, Fail)
    assert type(result.error) is OutcomeUnknownError
    assert result.error.status == status
    assert result.error.request_sent
    assert str(result.error) == (
        f"POST {kind.path}: HTTP {status} (redirect to https://api.enrow.io); the job may"
        " have been created, so it is not sent again"
    )


def test_redirect_without_an_absolute_location() -> None:
    for headers in ({}, {"location": "/elsewhere"}):
        result = classify(READ_BULK, Response(302, headers, b""))
        assert isinstance(result, Fail)
        assert "redirect to the same origin refused" in str(result.error)
        assert "elsewhere" not in str(result.error)


def test_redirect_origin_drops_userinfo() -> None:
    response = answer(302, b"", location=f"https://{KEY}:pw@evil.example/x")
    result = classify(READ_BULK, response)
    assert "https://evil.example" in str(result.error)  # type: ignore[union-attr]
    assert KEY not in str(result.error)  # type: ignore[union-attr]


# -- the key ---------------------------------------------------------------------------------


@pytest.mark.parametrize("status", [400, 401, 404, 429, 500, 418])
def test_a_key_echoed_by_the_server_is_not_in_the_error(status: int) -> None:
    result = classify(READ_BULK, answer(status, {"message": f"the key {KEY} is not valid"}))
    assert KEY not in error_text(result.error)  # type: ignore[union-attr]


# -- totality --------------------------------------------------------------------------------

statuses = st.integers(0, 999) | st.sampled_from([200, 202, 302, 400, 404, 429, 500, 503])
headers = st.dictionaries(
    st.sampled_from(["retry-after", "location", "content-type"]),
    st.text(max_size=40) | st.builds(http_date, st.floats(0, 4e9)),
)
bodies = st.binary(max_size=200) | st.builds(
    orjson.dumps,
    st.dictionaries(
        st.sampled_from(["message", "reason", "error"]),
        st.text(max_size=40) | st.integers(-(2**63), 2**63 - 1) | st.none(),
    ),
)
requests = st.sampled_from([account_request(CONFIG)] + [read(k) for k in JOBS]) | (
    st.sampled_from([start(k) for k in JOBS])
)


@given(
    request=requests,
    status=statuses,
    headers=headers,
    body=bodies,
    now=st.none() | st.floats(0, 4e9),
)
def test_any_answer_gets_exactly_one_verdict(
    request: Request, status: int, headers: dict[str, str], body: bytes, now: float | None
) -> None:
    result = classify(request, Response(status, headers, body), now_epoch=now)
    assert isinstance(result, Success | Retry | Fail)
    if isinstance(result, Success):
        assert 200 <= status < 300
        return
    assert isinstance(result.error, EnrowError)
    assert KEY not in error_text(result.error)
    if isinstance(result.error, OutcomeUnknownError):
        assert not request.idempotent
    if isinstance(result, Retry) and result.delay is not None:
        assert 0.0 <= result.delay < float("inf")
    if isinstance(result.error, BatchNotFoundError):
        assert request.job_id is not None


@given(request=requests, sent=st.booleans(), message=st.text(max_size=40))
def test_any_transport_failure_gets_exactly_one_verdict(
    request: Request, sent: bool, message: str
) -> None:
    result = classify(request, TransportError(message, request_sent=sent))
    if request.idempotent or not sent:
        assert isinstance(result, Retry)
    else:
        assert isinstance(result, Fail)
        assert type(result.error) is OutcomeUnknownError
