"""parse_webhook: every documented event shape, old and new, and every malformed body (pure)."""

from __future__ import annotations

from typing import Any

import orjson
import pytest
from hypothesis import given
from hypothesis import strategies as st

from enrow_async.errors import ResponseError, WebhookPayloadError
from enrow_async.models import (
    BulkPhoneSearchFinished,
    BulkSearchFinished,
    BulkVerificationFinished,
    ContactInfo,
    Qualification,
    SinglePhoneSearchFinished,
    SingleSearchFinished,
    VerificationFinished,
    WebhookCredits,
    WebhookPhoneResult,
    WebhookSearchResult,
)
from enrow_async.webhooks.events import parse_webhook


def dumps(data: Any) -> bytes:
    return orjson.dumps(data)


def test_single_search_finished() -> None:
    event = parse_webhook(
        dumps(
            {
                "event": "single_search_finished",
                "id": "s-1",
                "credits": {"cost": 1},
                "result": {
                    "email": "dwight.schrute@dundermifflin.com",
                    "qualification": "valid",
                    "custom": {"crm_id": 42},
                    "info": {
                        "company_domain": "dundermifflin.com",
                        "fullname": "Dwight Schrute",
                        "firstname": "Dwight",
                        "lastname": "Schrute",
                        "gender": "male",
                    },
                },
            }
        )
    )
    assert event == SingleSearchFinished(
        id="s-1",
        credits=WebhookCredits(cost=1),
        result=WebhookSearchResult(
            email="dwight.schrute@dundermifflin.com",
            qualification=Qualification.VALID,
            custom={"crm_id": 42},
            info=ContactInfo(
                domain="dundermifflin.com",
                fullname="Dwight Schrute",
                firstname="Dwight",
                lastname="Schrute",
                gender="male",
            ),
        ),
    )
    assert event.event == "single_search_finished"
    assert not event.is_bulk
    assert event.result is not None
    assert event.result.found


def test_single_search_finished_not_found() -> None:
    event = parse_webhook(
        b'{"event": "single_search_finished", "id": "s-2", "credits": {"cost": 0},'
        b' "result": {"email": null, "qualification": "invalid", "custom": "lead_7"}}'
    )
    assert isinstance(event, SingleSearchFinished)
    assert event.result == WebhookSearchResult(qualification=Qualification.INVALID, custom="lead_7")
    assert not event.result.found


def test_single_search_finished_before_march_2024() -> None:
    event = parse_webhook(
        b'{"event": "single_search_finished", "id": "s-old",'
        b' "credits": {"cost": 1, "balance": 3599}}'
    )
    assert event == SingleSearchFinished(
        id="s-old", credits=WebhookCredits(cost=1, balance=3599), result=None
    )


def test_verification_finished_is_flat() -> None:
    event = parse_webhook(
        b'{"event": "verification_finished", "id": "v-1", "email": "jim@dundermifflin.com",'
        b' "qualification": "valid", "custom": "row 3"}'
    )
    assert event == VerificationFinished(
        id="v-1",
        email="jim@dundermifflin.com",
        qualification=Qualification.VALID,
        custom="row 3",
    )
    assert event.credits is None
    assert not event.is_bulk
    assert event.valid


def test_single_phone_search_finished_nested_twice() -> None:
    event = parse_webhook(
        dumps(
            {
                "event": "single_phone_search_finished",
                "id": "p-1",
                "credits": {"cost": 50},
                "result": {
                    "event": "single_phone_search_finished",
                    "id": "p-1",
                    "result": {
                        "number": "+33612345678",
                        "params": {"linkedin_url": "https://linkedin.com/in/x"},
                        "qualification": "found",
                        "country": "FR",
                    },
                },
            }
        )
    )
    assert event == SinglePhoneSearchFinished(
        id="p-1",
        credits=WebhookCredits(cost=50),
        result=WebhookPhoneResult(
            number="+33612345678",
            params={"linkedin_url": "https://linkedin.com/in/x"},
            qualification="found",
            country="FR",
        ),
    )
    assert event.result is not None
    assert event.result.found


@pytest.mark.parametrize(
    ("result", "expected"),
    [
        (
            {"number": None, "qualification": "not_found"},
            WebhookPhoneResult(qualification="not_found"),
        ),
        ({"event": "x", "id": "p-2", "result": None}, None),
        (None, None),
    ],
)
def test_single_phone_search_finished_other_nestings(
    result: Any, expected: WebhookPhoneResult | None
) -> None:
    event = parse_webhook(
        dumps({"event": "single_phone_search_finished", "id": "p-2", "result": result})
    )
    assert isinstance(event, SinglePhoneSearchFinished)
    assert event.result == expected
    assert event.credits is None


@pytest.mark.parametrize(
    ("name", "cls"),
    [
        ("bulk_search_finished", BulkSearchFinished),
        ("bulk_verification_finished", BulkVerificationFinished),
    ],
)
@pytest.mark.parametrize("cost", [2284, 571.25, 0])
def test_bulk_notifications(name: str, cls: type[Any], cost: float) -> None:
    event = parse_webhook(dumps({"event": name, "id": "b-1", "credits": {"cost": cost}}))
    assert type(event) is cls
    assert event == cls(id="b-1", credits=WebhookCredits(cost=cost))
    assert event.event == name
    assert event.is_bulk


def test_bulk_phone_search_finished_has_no_credits() -> None:
    event = parse_webhook(b'{"event": "bulk_phone_search_finished", "id": "bp-1"}')
    assert event == BulkPhoneSearchFinished(id="bp-1", credits=None)
    assert event.is_bulk


def test_unknown_keys_are_ignored_and_missing_optionals_are_none() -> None:
    event = parse_webhook(
        dumps(
            {
                "event": "single_search_finished",
                "id": "s-3",
                "new_top_level": [1, 2],
                "credits": {"cost": 1, "currency": "credits"},
                "result": {"qualification": "valid", "info": {"company_domain": "a.io", "x": 1}},
            }
        )
    )
    assert event == SingleSearchFinished(
        id="s-3",
        credits=WebhookCredits(cost=1),
        result=WebhookSearchResult(
            qualification=Qualification.VALID, info=ContactInfo(domain="a.io")
        ),
    )
    assert parse_webhook(b'{"event": "verification_finished", "id": "v"}') == (
        VerificationFinished(id="v")
    )


@pytest.mark.parametrize(
    ("body", "path", "words"),
    [
        (b"", None, "not JSON"),
        (b"not json", None, "not JSON"),
        (b'{"event": "bulk_search_finished", "id": "b"', None, "not JSON"),
        (b"\xff\xfe", None, "not JSON"),
        (b"[]", None, "expected a JSON object, got list"),
        (b'"bulk_search_finished"', None, "expected a JSON object, got str"),
        (b"null", None, "expected a JSON object, got NoneType"),
        (b'{"id": "b"}', "$.event", "missing 'event'"),
        (b'{"event": null, "id": "b"}', "$.event", "missing 'event'"),
        (b'{"event": "reverse_email_finished", "id": "b"}', "$.event", "unknown event"),
        (b'{"event": 3, "id": "b"}', "$.event", "unknown event 3"),
        (b'{"event": "bulk_search_finished"}', "$.id", "missing 'id'"),
        (b'{"event": "bulk_search_finished", "id": 7}', "$.id", "non-empty string, got 7"),
        (b'{"event": "bulk_search_finished", "id": ""}', "$.id", "non-empty string"),
        (
            b'{"event": "bulk_search_finished", "id": "b", "credits": {"cost": "2284"}}',
            "$.credits.cost",
            "expected a number",
        ),
        (
            b'{"event": "bulk_search_finished", "id": "b", "credits": [1]}',
            "$.credits",
            "expected an object, got list",
        ),
        (
            b'{"event": "bulk_search_finished", "id": "b", "credits": "cost"}',
            "$.credits",
            "expected an object, got str",
        ),
        (
            b'{"event": "single_search_finished", "id": "s", "result": "valid"}',
            "$.result",
            "expected an object, got str",
        ),
        (
            b'{"event": "single_search_finished", "id": "s", "result": {"info": "company_domain"}}',
            "$.result.info",
            "expected an object, got str",
        ),
        (
            b'{"event": "single_phone_search_finished", "id": "p", "result": [1]}',
            "$.result",
            "expected an object, got list",
        ),
        (
            b'{"event": "single_search_finished", "id": "s", "result": {"email": 5}}',
            "$.result.email",
            "expected a string",
        ),
        (
            b'{"event": "single_search_finished", "id": "s", "result": {"qualification": "maybe"}}',
            "$.result.qualification",
            "expected one of valid, invalid",
        ),
        (
            b'{"event": "verification_finished", "id": "v", "email": ["a@b.c"]}',
            "$.email",
            "expected a string",
        ),
        (
            b'{"event": "single_phone_search_finished", "id": "p",'
            b' "result": {"event": "x", "id": "p", "result": {"number": 33}}}',
            "$.result.result.number",
            "expected a string",
        ),
        (
            b'{"event": "single_phone_search_finished", "id": "p",'
            b' "result": {"result": {"params": "a=b"}}}',
            "$.result.result.params",
            "expected an object",
        ),
    ],
)
def test_malformed_bodies_name_what_is_wrong(body: bytes, path: str | None, words: str) -> None:
    with pytest.raises(WebhookPayloadError) as info:
        parse_webhook(body)
    error = info.value
    assert isinstance(error, ResponseError)
    assert words in str(error)
    assert str(error).startswith("invalid webhook payload: ")
    assert error.path == path
    assert error.body == body


def test_malformed_message_names_the_event_and_path() -> None:
    with pytest.raises(WebhookPayloadError) as info:
        parse_webhook(b'{"event": "bulk_search_finished", "id": "b", "credits": {"cost": true}}')
    assert str(info.value) == (
        "invalid webhook payload: bulk_search_finished: expected a number, got True"
        " @ $.credits.cost"
    )


_json = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**63), max_value=2**63 - 1)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(), inner, max_size=4),
    max_leaves=12,
)
_event_names = st.sampled_from(
    [
        "single_search_finished",
        "verification_finished",
        "single_phone_search_finished",
        "bulk_search_finished",
        "bulk_verification_finished",
        "bulk_phone_search_finished",
    ]
)
_keys = st.sampled_from(
    [
        "id",
        "credits",
        "cost",
        "balance",
        "result",
        "email",
        "qualification",
        "custom",
        "info",
        "number",
        "params",
        "country",
        "company_domain",
        "fullname",
        "gender",
        "event",
    ]
)
_shaped = st.recursive(
    _json,
    lambda inner: st.dictionaries(_keys, inner, max_size=5),
    max_leaves=16,
)
_near_events = st.builds(
    lambda name, rest, id_: {**rest, "event": name, "id": id_},
    _event_names,
    st.dictionaries(_keys, _shaped, max_size=4),
    st.one_of(st.text(min_size=1), _json),
)


def _outcome_is_clean(body: bytes) -> None:
    try:
        event = parse_webhook(body)
    except WebhookPayloadError as exc:
        error: WebhookPayloadError | None = exc
    else:
        error = None
        assert event.id
        assert isinstance(event.event, str)
    if error is not None:
        assert error.body == body
        assert str(error).startswith("invalid webhook payload: ")


@given(st.binary(max_size=300))
def test_any_bytes_give_an_event_or_a_payload_error(body: bytes) -> None:
    _outcome_is_clean(body)


@given(st.one_of(_json, _near_events))
def test_any_json_gives_an_event_or_a_payload_error(data: Any) -> None:
    _outcome_is_clean(orjson.dumps(data))
