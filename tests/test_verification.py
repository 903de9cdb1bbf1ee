"""Email verifier: bulk and single request bodies, checks, and every documented answer."""

from __future__ import annotations

from typing import Any

import orjson
import pytest

from enrow_async import BatchNotFoundError, BatchStatus, Qualification, ResponseError
from enrow_async._core.protocol import ApiConfig, Response, get_request
from enrow_async.models import BulkVerification, EmailVerification
from enrow_async.verification import (
    VERIFY_BULK_PATH,
    VERIFY_SINGLE_PATH,
    bulk_verification_request,
    parse_bulk_verification,
    parse_single_verification,
    single_verification_request,
)

CONFIG = ApiConfig.create("key", "https://api.enrow.io")
UUID = "3f1c8c7e-2a47-4c8e-9a53-0c5b1f3d9e11"


def answer(status: int, body: Any) -> Response:
    return Response(status, {"content-type": "application/json"}, orjson.dumps(body))


def read_bulk(status: int, body: Any) -> BulkVerification:
    return parse_bulk_verification(
        answer(status, body), get_request(CONFIG, VERIFY_BULK_PATH, "v1")
    )


def sent(request: Any) -> Any:
    return orjson.loads(request.body)


# -- POST bodies and checks ------------------------------------------------------------------


def test_bulk_body_sends_objects_under_verifications() -> None:
    request = bulk_verification_request(
        CONFIG,
        ["a@x.com", {"email": " b@y.com ", "custom": {"row": 2}}, {"email": "c@z.com"}],
        custom="batch-1",
        webhook="https://hooks.example/v",
    )
    assert request.method == "POST"
    assert request.url == "https://api.enrow.io/email/verify/bulk"
    assert request.headers["content-type"] == "application/json"
    assert sent(request) == {
        "verifications": [
            {"email": "a@x.com"},
            {"email": "b@y.com", "custom": {"row": 2}},
            {"email": "c@z.com"},
        ],
        "custom": "batch-1",
        "settings": {"webhook": "https://hooks.example/v"},
    }


def test_plain_strings_and_mappings_give_the_same_body() -> None:
    plain = bulk_verification_request(CONFIG, ["a@x.com", "b@y.com"])
    mapped = bulk_verification_request(CONFIG, [{"email": "a@x.com"}, {"email": "b@y.com"}])
    assert plain.body == mapped.body
    assert "emails" not in sent(plain)
    assert sent(plain) == {"verifications": [{"email": "a@x.com"}, {"email": "b@y.com"}]}


def test_generator_input_and_the_5000_limit() -> None:
    request = bulk_verification_request(CONFIG, (f"u{i}@x.com" for i in range(5000)))
    assert len(sent(request)["verifications"]) == 5000
    with pytest.raises(ValueError, match="1 to 5000 emails, got 5001"):
        bulk_verification_request(CONFIG, [f"u{i}@x.com" for i in range(5001)])
    with pytest.raises(ValueError, match="1 to 5000 emails, got 0"):
        bulk_verification_request(CONFIG, [])


@pytest.mark.parametrize(
    ("item", "match"),
    [
        ("", "email 1: expected an email address"),
        ("   ", "email 1: expected an email address"),
        ("no-at-sign", "email 1: expected an email address containing '@'"),
        ({"email": None}, "email 1: expected an email address"),
        ({"mail": "a@x.com"}, r"email 1: unknown field\(s\) mail"),
    ],
)
def test_bad_address_names_its_position(item: Any, match: str) -> None:
    with pytest.raises(ValueError, match=match):
        bulk_verification_request(CONFIG, ["ok@x.com", item])


@pytest.mark.parametrize(
    ("emails", "match"),
    [
        (["ok@x.com", 42], "email 1: email must be a string"),
        (["ok@x.com", {"email": "a@x.com", "custom": 3}], "email 1: custom must be"),
        ("a@x.com", "not a single value"),
    ],
)
def test_wrong_types_refused(emails: Any, match: str) -> None:
    with pytest.raises(TypeError, match=match):
        bulk_verification_request(CONFIG, emails)


@pytest.mark.parametrize("webhook", ["ftp://x", "not a url", 3])
def test_bad_webhook_refused(webhook: Any) -> None:
    with pytest.raises(ValueError, match="webhook must be an http"):
        bulk_verification_request(CONFIG, ["a@x.com"], webhook=webhook)


def test_single_body() -> None:
    request = single_verification_request(
        CONFIG, " a@x.com", custom={"k": 1}, webhook="https://h.example"
    )
    assert request.url.endswith(VERIFY_SINGLE_PATH)
    assert sent(request) == {
        "email": "a@x.com",
        "custom": {"k": 1},
        "settings": {"webhook": "https://h.example"},
    }
    assert sent(single_verification_request(CONFIG, "a@x.com")) == {"email": "a@x.com"}
    with pytest.raises(ValueError, match="email: expected an email address"):
        single_verification_request(CONFIG, "nobody")


# -- GET /email/verify/bulk ------------------------------------------------------------------


def test_completed_bulk() -> None:
    batch = read_bulk(
        200,
        {
            "general": {"id": "v1", "status": "completed", "custom": "batch-1", "extra": 1},
            "results": [
                {"email": "a@x.com", "index": UUID, "qualification": "valid", "custom": {"r": 1}},
                {"email": "b@y.com", "index": "7e0c", "qualification": "invalid"},
            ],
            "stats": {"requested": 2, "valid": 1, "credits_cost": 0.5, "finished": 2},
        },
    )
    assert batch.id == "v1"
    assert batch.done
    assert batch.status is BatchStatus.COMPLETED
    assert batch.custom == "batch-1"
    assert (batch.stats.finished, batch.stats.requested) == (2, 2)
    assert (batch.stats.valid, batch.stats.credits_cost) == (1, 0.5)
    assert batch.results == (
        EmailVerification("a@x.com", Qualification.VALID, UUID, {"r": 1}),
        EmailVerification("b@y.com", Qualification.INVALID, "7e0c"),
    )
    assert [r.valid for r in batch.results] == [True, False]


def test_completed_without_finished_counts_all_requested() -> None:
    batch = read_bulk(
        200,
        {
            "general": {"id": "v1", "status": "completed"},
            "results": [{"email": "a@x.com", "index": UUID, "qualification": "valid"}],
            "stats": {"requested": 1, "valid": 1, "credits_cost": 0.25},
        },
    )
    assert (batch.stats.finished, batch.stats.requested) == (1, 1)


@pytest.mark.parametrize(
    ("stats", "finished"), [({"requested": 9}, 0), ({"requested": 9, "finished": 4}, 4)]
)
def test_ongoing(stats: dict[str, int], finished: int) -> None:
    batch = read_bulk(200, {"general": {"id": "v1", "status": "ongoing"}, "stats": stats})
    assert batch.status is BatchStatus.ONGOING
    assert not batch.done
    assert (batch.stats.finished, batch.stats.requested) == (finished, 9)
    assert batch.results == ()
    assert batch.stats.valid is None


def test_unknown_bulk_id() -> None:
    with pytest.raises(BatchNotFoundError, match="Could not retrieve bulk verification"):
        read_bulk(400, {"message": "Could not retrieve bulk verification results"})


@pytest.mark.parametrize(
    ("body", "path"),
    [
        (
            {"general": {"id": "v1", "status": "done"}, "stats": {"requested": 1}},
            "$.general.status",
        ),
        (
            {
                "general": {"id": "v1", "status": "completed"},
                "stats": {"requested": 1, "credits_cost": {"final": 1}},
            },
            "$.stats.credits_cost",
        ),
        (
            {
                "general": {"id": "v1", "status": "completed"},
                "stats": {"requested": 1},
                "results": [{"email": "a@x.com", "index": 0, "qualification": "valid"}],
            },
            "$.results[0].index",
        ),
    ],
)
def test_malformed_bulk_names_the_field(body: Any, path: str) -> None:
    with pytest.raises(ResponseError) as info:
        read_bulk(200, body)
    assert info.value.path == path


# -- GET /email/verify/single ----------------------------------------------------------------


def read_single(status: int, body: Any) -> Any:
    request = get_request(CONFIG, VERIFY_SINGLE_PATH, "s 1")
    return parse_single_verification(answer(status, body), request)


@pytest.mark.parametrize("status", [200, 202])
def test_single_ongoing(status: int) -> None:
    single = read_single(status, {"qualification": "ongoing"})
    assert (single.id, single.status, single.result) == ("s 1", BatchStatus.ONGOING, None)
    assert (single.stats.finished, single.stats.requested) == (0, 1)


def test_single_completed() -> None:
    single = read_single(200, {"email": "a@x.com", "qualification": "invalid", "custom": "c"})
    assert single.done
    assert (single.stats.finished, single.stats.requested) == (1, 1)
    assert single.result == EmailVerification("a@x.com", Qualification.INVALID, custom="c")


def test_single_unknown_id_as_500() -> None:
    with pytest.raises(BatchNotFoundError) as info:
        read_single(500, {"message": "Could not retrieve single verification results"})
    assert info.value.status == 500
