"""Jobs are data: the job table, and every documented answer read through the pure path
``classify(read_request(...), response, spec.read)``."""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from functools import partial
from typing import Any, TypeVar

import orjson
import pytest
from helpers import CONFIG
from hypothesis import given
from hypothesis import strategies as st

from enrow_async import (
    AccountInfo,
    APIError,
    AuthenticationError,
    BatchNotFoundError,
    BatchStatus,
    BulkPhoneResults,
    BulkPhoneSearchFinished,
    BulkResults,
    BulkSearchFinished,
    BulkVerification,
    BulkVerificationFinished,
    EmailVerification,
    InsufficientCreditsError,
    PhoneQualification,
    PhoneResult,
    Qualification,
    ResponseError,
    ServerError,
    SingleAnswer,
    SingleEmailResult,
    SingleJob,
    SinglePhoneSearchFinished,
    SingleSearchFinished,
    VerificationFinished,
)
from enrow_async._core.classify import Fail, Retry, Success, classify
from enrow_async._core.convert import structure
from enrow_async._core.http import Response
from enrow_async._core.jobs import (
    EMAIL_BULK,
    EMAIL_SINGLE,
    JOBS,
    MAX_BATCH,
    PHONE_BULK,
    PHONE_SINGLE,
    VERIFY_BULK,
    VERIFY_SINGLE,
    JobSpec,
    decode,
)
from enrow_async._core.requests import (
    account_request,
    email_bulk_body,
    email_single_body,
    phone_bulk_body,
    phone_single_body,
    read_request,
    start_request,
    verify_bulk_body,
    verify_single_body,
)

T = TypeVar("T")
UUID = "3f1c8c7e-2a47-4c8e-9a53-0c5b1f3d9e11"
LINKEDIN = "https://www.linkedin.com/in/jim-halpert"


def answer(status: int, body: Any, **headers: str) -> Response:
    raw = body if isinstance(body, bytes) else orjson.dumps(body)
    return Response(status, {k.replace("_", "-"): v for k, v in headers.items()}, raw)


def read(
    kind: JobSpec[Any], status: int, body: Any, job_id: str | None = None, **headers: str
) -> Any:
    """One read of job ``job_id`` answered with ``status`` and ``body``, as the sender would
    see it on its last attempt: the verdict's error is raised unless it is a Success.

    ``job_id`` defaults to the body's own ``general.id`` (else ``j/1``)."""
    if job_id is None:
        general = body.get("general") if isinstance(body, dict) else None
        given = general.get("id") if isinstance(general, dict) else None
        job_id = given if isinstance(given, str) else "j/1"
    request = read_request(CONFIG, kind, job_id)
    return verdict(classify(request, answer(status, body, **headers), partial(kind.read, job_id)))


def verdict(judged: Success[T] | Retry | Fail) -> T:
    """The value read, or the verdict's error raised (as on the sender's last attempt)."""
    if not isinstance(judged, Success):
        raise judged.error
    return judged.value


def model(cls: type[T]) -> Callable[[Response], T]:
    return lambda response: structure(decode(response), cls, body=response.body)


def started(kind: JobSpec[Any], status: int, body: Any) -> SingleJob:
    """The answer to a start, as ``JobRunner.start`` structures it."""
    return verdict(
        classify(start_request(CONFIG, kind, {}), answer(status, body), model(SingleJob))
    )


def account(status: int, body: Any) -> AccountInfo:
    return verdict(classify(account_request(CONFIG), answer(status, body), model(AccountInfo)))


# -- the table -------------------------------------------------------------------------------


def test_one_row_per_job_kind() -> None:
    assert [spec.name for spec in JOBS] == [
        f"{family} {size}" for family in ("email", "verify", "phone") for size in ("bulk", "single")
    ]
    assert len({spec.path for spec in JOBS}) == len({spec.event for spec in JOBS}) == len(JOBS)


@pytest.mark.parametrize(
    ("spec", "path", "model", "event", "limit", "price", "build"),
    [
        (EMAIL_BULK, "/email/find/bulk", BulkResults, BulkSearchFinished, 5000, 1, email_bulk_body),
        (
            EMAIL_SINGLE,
            "/email/find/single",
            SingleEmailResult,
            SingleSearchFinished,
            1,
            1,
            email_single_body,
        ),
        (
            VERIFY_BULK,
            "/email/verify/bulk",
            BulkVerification,
            BulkVerificationFinished,
            5000,
            0.25,
            verify_bulk_body,
        ),
        (
            VERIFY_SINGLE,
            "/email/verify/single",
            EmailVerification,
            VerificationFinished,
            1,
            0.25,
            verify_single_body,
        ),
        (
            PHONE_BULK,
            "/phone/bulk",
            BulkPhoneResults,
            BulkPhoneSearchFinished,
            5000,
            40,
            phone_bulk_body,
        ),
        (
            PHONE_SINGLE,
            "/phone/single",
            PhoneResult,
            SinglePhoneSearchFinished,
            1,
            40,
            phone_single_body,
        ),
    ],
    ids=lambda value: value.name if isinstance(value, JobSpec) else None,
)
def test_each_row_is_as_documented(
    spec: JobSpec[Any], path: str, model: type, event: Any, limit: int, price: float, build: Any
) -> None:
    assert spec.path == path
    assert spec.model is model
    assert spec.event == event.event  # the webhook event the parser knows for it
    assert (spec.limit, spec.price) == (limit, price)
    assert spec.bulk is (limit > 1)
    assert spec.build is build


def test_email_batch_limit() -> None:
    assert MAX_BATCH == EMAIL_BULK.limit == 5000


# -- decode ----------------------------------------------------------------------------------


def test_decode_keeps_the_raw_body_of_a_non_json_answer() -> None:
    body = b"<html><body>Gateway</body></html>"
    with pytest.raises(ResponseError, match=r"^HTTP 200 body is not JSON \(text/html, 33 bytes\)"):
        decode(answer(200, body, content_type="text/html"))
    with pytest.raises(ResponseError, match=r"\(unknown type, 0 bytes\)") as info:
        decode(answer(201, b""))
    assert (info.value.body, info.value.status) == (b"", 201)


# -- GET /email/find/bulk --------------------------------------------------------------------


@pytest.mark.parametrize("status", [200, 202])
def test_ongoing_with_200_or_202(status: int) -> None:
    body = {"general": {"id": "b1", "status": "ongoing"}, "stats": {"finished": 2, "requested": 9}}
    batch = read(EMAIL_BULK, status, body, "b1")
    assert isinstance(batch, BulkResults)
    assert batch.status is BatchStatus.ONGOING
    assert (batch.stats.finished, batch.stats.requested) == (2, 9)
    assert batch.results == ()


def test_completed_email_bulk_is_the_seed_example(seed_body: bytes) -> None:
    batch = read(EMAIL_BULK, 200, seed_body, "3d4cb64e-i64d-41e8-a686-736751004a32")
    assert batch.status is BatchStatus.COMPLETED
    assert batch.done
    assert (batch.stats.finished, batch.stats.requested, batch.stats.valid) == (3, 3, 2)
    assert [r.index for r in batch.results] == [0, 1, 2]
    assert batch.results[0].email == "dwight.schrute@dundermifflin.com"


def test_html_200_is_a_response_error() -> None:
    body = b"<html><body>Gateway</body></html>"
    with pytest.raises(ResponseError, match="not JSON") as info:
        read(EMAIL_BULK, 200, body, content_type="text/html")
    assert info.value.body == body
    assert info.value.status == 200


def test_malformed_large_body_names_the_result() -> None:
    size = 2000
    data = {
        "general": {"id": "b1", "status": "completed"},
        "stats": {"finished": size, "requested": size},
        "results": [
            {"index": i, "qualification": "invalid", "email": None, "custom": "x" * 40}
            for i in range(size)
        ],
    }
    assert len(read(EMAIL_BULK, 200, data).results) == size
    data["results"][1500]["qualification"] = "maybe"
    with pytest.raises(ResponseError, match=r"results.*1500"):
        read(EMAIL_BULK, 200, data)


# -- POST /email/find/single and GET /account/info ------------------------------------------


@pytest.mark.parametrize(
    "body",
    [
        {"id": "j1", "credits_used": 1, "message": "Single search operating"},
        {"id": "j1", "credits": {"amount": 0.25, "source": "sub"}},
    ],
)
def test_single_job(body: dict[str, Any]) -> None:
    job = started(EMAIL_SINGLE, 200, body)
    assert job.id == "j1"
    assert job.credits_used == body.get("credits_used")


def test_single_402_reason_body() -> None:
    body = {"reason": "Insufficient credits", "success": False}
    with pytest.raises(InsufficientCreditsError, match="Insufficient credits"):
        started(EMAIL_SINGLE, 402, body)


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
    assert account(200, body) == expected


@pytest.mark.parametrize(
    "body", [{"credits": "many"}, {"webhooks": []}, {"credits": 1, "webhooks": {}}]
)
def test_account_info_malformed(body: Any) -> None:
    with pytest.raises(ResponseError):
        account(200, body)


# -- GET /email/find/single ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("status", "body"), [(202, {"qualification": "ongoing"}), (200, {"qualification": "ongoing"})]
)
def test_ongoing_is_an_answer(status: int, body: Any) -> None:
    single = read(EMAIL_SINGLE, status, body)
    assert isinstance(single, SingleAnswer)
    assert single.id == "j/1"
    assert single.status is BatchStatus.ONGOING
    assert not single.done
    assert single.result is None
    assert (single.stats.finished, single.stats.requested) == (0, 1)


@pytest.mark.parametrize("kind", [EMAIL_SINGLE, VERIFY_SINGLE, PHONE_SINGLE])
def test_202_body_is_not_read(kind: JobSpec[Any]) -> None:
    assert read(kind, 202, b"").status is BatchStatus.ONGOING
    assert read(kind, 202, b"<html>").status is BatchStatus.ONGOING


def test_completed_valid_with_company_domain_info() -> None:
    single = read(
        EMAIL_SINGLE,
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
    assert isinstance(result, SingleEmailResult)
    assert result.found
    assert result.email == "jim.halpert@dundermifflin.com"
    assert result.info.domain == "dundermifflin.com"
    assert result.info.gender == "male"
    assert result.custom == {"crm": 12}


def test_completed_invalid() -> None:
    body = {"email": None, "qualification": "invalid", "custom": "c"}
    result = read(EMAIL_SINGLE, 200, body).result
    assert result.qualification is Qualification.INVALID
    assert not result.found
    assert (result.email, result.info, result.custom) == (None, None, "c")


# -- GET /email/verify/bulk ------------------------------------------------------------------


def test_completed_verify_bulk() -> None:
    batch = read(
        VERIFY_BULK,
        200,
        {
            "general": {"id": "v1", "status": "completed", "custom": "batch-1", "extra": 1},
            "results": [
                {"email": "a@x.com", "index": UUID, "qualification": "valid", "custom": {"r": 1}},
                {"email": "b@y.com", "index": "7e0c", "qualification": "invalid"},
            ],
            "stats": {"requested": 2, "valid": 1, "credits_cost": 0.5, "finished": 2},
        },
        "v1",
    )
    assert isinstance(batch, BulkVerification)
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


def test_completed_verify_bulk_without_finished_counts_all_requested() -> None:
    batch = read(
        VERIFY_BULK,
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
def test_verify_bulk_ongoing(stats: dict[str, int], finished: int) -> None:
    body = {"general": {"id": "v1", "status": "ongoing"}, "stats": stats}
    batch = read(VERIFY_BULK, 200, body)
    assert batch.status is BatchStatus.ONGOING
    assert not batch.done
    assert (batch.stats.finished, batch.stats.requested) == (finished, 9)
    assert batch.results == ()
    assert batch.stats.valid is None


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
def test_malformed_verify_bulk_names_the_field(body: Any, path: str) -> None:
    with pytest.raises(ResponseError) as info:
        read(VERIFY_BULK, 200, body)
    assert info.value.path == path


# -- GET /email/verify/single ----------------------------------------------------------------


@pytest.mark.parametrize("status", [200, 202])
def test_verify_single_ongoing(status: int) -> None:
    single = read(VERIFY_SINGLE, status, {"qualification": "ongoing"}, "s 1")
    assert (single.id, single.status, single.result) == ("s 1", BatchStatus.ONGOING, None)
    assert (single.stats.finished, single.stats.requested) == (0, 1)


def test_verify_single_completed() -> None:
    body = {"email": "a@x.com", "qualification": "invalid", "custom": "c"}
    single = read(VERIFY_SINGLE, 200, body)
    assert single.done
    assert (single.stats.finished, single.stats.requested) == (1, 1)
    assert single.result == EmailVerification("a@x.com", Qualification.INVALID, custom="c")


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


def test_phone_bulk_completed_newest_stats() -> None:
    batch = read(
        PHONE_BULK,
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
        "p1",
    )
    assert isinstance(batch, BulkPhoneResults)
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


def test_phone_bulk_completed_older_stats_read_valid_as_found() -> None:
    batch = read(
        PHONE_BULK,
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
def test_phone_bulk_ongoing(status: int) -> None:
    body = {"general": {"id": "p1", "status": "ongoing"}, "stats": {"finished": 3, "requested": 8}}
    batch = read(PHONE_BULK, status, body)
    assert batch.status is BatchStatus.ONGOING
    assert (batch.stats.finished, batch.stats.requested, batch.stats.found) == (3, 8, None)
    assert batch.results == ()


def test_phone_bulk_failed_status() -> None:
    body = {"general": {"id": "p1", "status": "failed"}, "stats": {"requested": 8}}
    batch = read(PHONE_BULK, 200, body)
    assert batch.status is BatchStatus.FAILED
    assert batch.done
    assert batch.stats.finished == 0


# -- GET /phone/single -----------------------------------------------------------------------


def test_phone_single_ongoing_and_completed() -> None:
    ongoing = read(PHONE_SINGLE, 202, {"qualification": "ongoing"})
    assert ongoing.status is BatchStatus.ONGOING
    single = read(
        PHONE_SINGLE,
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


# -- error answers of every row ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("kind", "status", "message", "error"),
    [
        (EMAIL_BULK, 400, "Could not retrieve bulk search results", BatchNotFoundError),
        (EMAIL_BULK, 404, "Bulk search not found", BatchNotFoundError),
        (EMAIL_BULK, 500, "Could not retrieve bulk search results", ServerError),
        (EMAIL_BULK, 401, "This apikey is not valid", AuthenticationError),
        (EMAIL_SINGLE, 500, "Could not retrieve single search results", BatchNotFoundError),
        (EMAIL_SINGLE, 500, "boom", ServerError),
        (EMAIL_SINGLE, 404, "Single search not found", BatchNotFoundError),
        (EMAIL_SINGLE, 401, "This apikey is not valid", AuthenticationError),
        (VERIFY_BULK, 400, "Could not retrieve bulk verification results", BatchNotFoundError),
        (VERIFY_SINGLE, 500, "Could not retrieve single verification results", BatchNotFoundError),
        (PHONE_BULK, 400, "Could not retrieve bulk phone results", BatchNotFoundError),
        (PHONE_BULK, 404, "Bulk search not found", BatchNotFoundError),
        (PHONE_SINGLE, 500, "Could not retrieve single phone results", BatchNotFoundError),
        (PHONE_SINGLE, 500, "Internal error", ServerError),
    ],
    ids=lambda value: value.name if isinstance(value, JobSpec) else None,
)
def test_an_error_answer_is_its_error_with_the_status_and_message(
    kind: JobSpec[Any], status: int, message: str, error: type[APIError]
) -> None:
    with pytest.raises(error) as info:
        read(kind, status, {"message": message})
    assert info.value.status == status
    assert message in str(info.value)


@pytest.mark.parametrize(
    "body", [{"qualification": "maybe"}, b"<html>", [{"qualification": "valid"}]]
)
def test_a_single_answer_that_is_not_one_is_a_response_error(body: Any) -> None:
    with pytest.raises(ResponseError):
        read(EMAIL_SINGLE, 200, body)


# -- properties: any body gives a model or a ResponseError -----------------------------------

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
RESULT_KEYS = {
    EMAIL_BULK: ["index", "qualification", "email", "info", "raw_params", "custom"],
    VERIFY_BULK: ["index", "qualification", "email", "custom"],
    PHONE_BULK: ["index", "qualification", "number", "country", "params", "custom"],
}
STAT_KEYS = ["finished", "requested", "valid", "found", "credits_cost", "credits_to_refund"]


def plausible_bulk(kind: JobSpec[Any]) -> st.SearchStrategy[Any]:
    return st.fixed_dictionaries(
        {
            "general": st.fixed_dictionaries(
                {
                    "id": json_values | st.text(),
                    "status": json_values | st.sampled_from([s.value for s in BatchStatus]),
                }
            ),
            "stats": st.dictionaries(st.sampled_from(STAT_KEYS), json_values),
            "results": json_values
            | st.lists(st.dictionaries(st.sampled_from(RESULT_KEYS[kind]), json_values)),
        }
    )


plausible_single = st.dictionaries(
    st.sampled_from(["qualification", "email", "info", "custom", "number", "country", "params"]),
    json_values | st.sampled_from(["ongoing", "valid", "invalid", "found", "not_found"]),
)
documents = st.one_of(
    json_values,
    plausible_single,
    *(plausible_bulk(kind) for kind in RESULT_KEYS),
)


def expected_model(kind: JobSpec[Any]) -> type:
    bulk = {
        EMAIL_BULK: BulkResults,
        VERIFY_BULK: BulkVerification,
        PHONE_BULK: BulkPhoneResults,
    }
    return bulk.get(kind, SingleAnswer)


def read_any(kind: JobSpec[Any], status: int, body: bytes) -> None:
    with contextlib.suppress(ResponseError):
        model = kind.read("j1", Response(status, {}, body))
        assert isinstance(model, expected_model(kind))


@given(st.sampled_from(list(JOBS)), st.sampled_from([200, 201, 202]), st.binary(max_size=300))
def test_any_bytes_give_a_model_or_response_error(
    kind: JobSpec[Any], status: int, body: bytes
) -> None:
    read_any(kind, status, body)


@given(st.sampled_from(list(JOBS)), st.sampled_from([200, 202]), documents)
def test_any_json_gives_a_model_or_response_error(
    kind: JobSpec[Any], status: int, data: Any
) -> None:
    read_any(kind, status, orjson.dumps(data))
