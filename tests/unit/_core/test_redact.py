"""The key is blanked in any spelling a server may give it: as is, JSON-escaped, percent-encoded."""

from __future__ import annotations

import json

import orjson
from hypothesis import given
from hypothesis import strategies as st

from enrow_async._core.config import ApiConfig
from enrow_async._core.http import Request, Response
from enrow_async._core.jobs import EMAIL_BULK
from enrow_async._core.redact import KEY_MIN, REDACTED, redact, scrub
from enrow_async._core.requests import read_request

from ..spelling import spelled

KEY = 'sk_live/SECRET"é😀-123'


def request_with(key: str) -> Request:
    config = ApiConfig.create(key, "https://api.enrow.io")
    return read_request(config, EMAIL_BULK, "b1")


keys = st.text(
    st.characters(blacklist_categories=("Cc", "Cs", "Zs", "Zl", "Zp", "Cn", "Co")),
    min_size=KEY_MIN,
    max_size=24,
).filter(
    # none a part of REDACTED: no blanking could leave a text without it (hypothesis draws
    # strings from the code under test, and drew 'reda')
    lambda key: key not in REDACTED and not any(c.isspace() or not c.isprintable() for c in key)
)


@given(data=st.data(), key=keys, before=st.text(max_size=10), after=st.text(max_size=10))
def test_any_spelling_of_the_key_in_a_text_is_blanked(
    data: st.DataObject, key: str, before: str, after: str
) -> None:
    spelling = data.draw(spelled(key))
    text = redact(f"{before}{spelling}{after}", request_with(key))
    assert spelling not in text
    assert key not in text
    assert REDACTED in text


@given(data=st.data(), key=keys)
def test_any_spelling_of_the_key_in_a_body_is_gone_once_decoded(
    data: st.DataObject, key: str
) -> None:
    spelling = data.draw(spelled(key))
    raw = b'{"stats": {"finished": "' + spelling.encode() + b'"}, "custom": {"a": ["x"]}}'
    body = raw.replace(b'"x"', json.dumps(key).encode())  # and ensure_ascii's spelling
    headers = {"content-type": f"text/{spelling}", "x-echo": key, "retry-after": "2"}
    clean = scrub(Response(400, headers, body), request_with(key))
    assert key.encode() not in clean.body
    assert key not in clean.body.decode(errors="replace")
    if clean.body.startswith(b"{") and b"<redacted>" in clean.body:
        decoded = orjson.loads(clean.body)
        assert decoded["custom"] == {"a": [REDACTED]}
    assert clean.headers["x-echo"] == REDACTED
    assert key not in clean.headers["content-type"]
    assert clean.headers["retry-after"] == "2"
    assert clean.status == 400


def test_a_key_in_a_json_string_leaves_the_json_readable() -> None:
    body = orjson.dumps({"message": f"bad key {KEY}", "n": [json.dumps(KEY)]})
    clean = scrub(Response(400, {}, body), request_with(KEY))
    assert orjson.loads(clean.body) == {"message": f"bad key {REDACTED}", "n": [f'"{REDACTED}"']}


def test_an_answer_without_the_key_is_the_same_object() -> None:
    response = Response(200, {"content-type": "application/json"}, b'{"a": "\\u00e9 100%"}')
    assert scrub(response, request_with(KEY)) is response


def test_a_short_key_is_left_alone() -> None:
    """A test's "k" would blank the letter k everywhere."""
    response = Response(200, {}, b'{"name": "kkk"}')
    assert scrub(response, request_with("k")) is response
    assert redact("kkk", request_with("abc")) == "kkk"


def test_a_key_escaped_in_json_leaves_no_dangling_backslash() -> None:
    key = "/000"  # once found by hypothesis: the escaped slash used to stay behind
    body = b'{"stats": {"finished": "\\/000"}, "custom": {"a": ["\\/000"]}}'
    clean = scrub(Response(400, {}, body), request_with(key))
    assert orjson.loads(clean.body) == {
        "stats": {"finished": REDACTED},
        "custom": {"a": [REDACTED]},
    }
