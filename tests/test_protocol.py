"""The sans-I/O protocol: request building, status mapping, redaction."""

from __future__ import annotations

import contextlib
from typing import Any

import orjson
import pytest
from hypothesis import given
from hypothesis import strategies as st

from enrow_async import (
    BatchStatus,
    ResponseError,
)
from enrow_async._core.protocol import (
    ApiConfig,
    Response,
    bulk_results_request,
    parse_bulk_results,
)

KEY = "sk_live_SECRET_123"
CONFIG = ApiConfig.create(KEY, "https://api.enrow.io")


def answer(status: int, body: Any = None, **headers: str) -> Response:
    raw = body if isinstance(body, bytes) else orjson.dumps(body)
    return Response(status, {k.replace("_", "-"): v for k, v in headers.items()}, raw)


@pytest.mark.parametrize("status", [200, 202])
def test_ongoing_with_200_or_202(status: int) -> None:
    request = bulk_results_request(CONFIG, "b1")
    body = {"general": {"id": "b1", "status": "ongoing"}, "stats": {"finished": 2, "requested": 9}}
    batch = parse_bulk_results(answer(status, body), request)
    assert batch.status is BatchStatus.ONGOING
    assert (batch.stats.finished, batch.stats.requested) == (2, 9)


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
