"""Wire variants -> models: every documented shape parses, every broken one names its path."""

from __future__ import annotations

import copy
from typing import Any, TypeVar

import attrs
import orjson
import pytest
from hypothesis import given
from hypothesis import strategies as st

from enrow_async import (
    BatchStatus,
    BulkJob,
    BulkPhoneResults,
    BulkResults,
    BulkVerification,
    CompanyInfo,
    ContactInfo,
    CreditsCost,
    EmailResult,
    Qualification,
    ResponseError,
)
from enrow_async._core.convert import _raise_malformed, detailed, fast, structure
from enrow_async.models.common import BulkBase

T = TypeVar("T")


def read(data: Any, cls: type[T]) -> T:
    """``structure`` as the readers call it, on a copy of ``data`` (taken, and emptied as it
    is read) and the body it comes from."""
    return structure(copy.deepcopy(data), cls, body=orjson.dumps(data))


def test_seed_example_parses_field_for_field(seed_json: Any) -> None:
    batch = read(seed_json, BulkResults)
    assert batch.id == "3d4cb64e-i64d-41e8-a686-736751004a32"
    assert batch.status is BatchStatus.COMPLETED
    assert batch.custom == "campaign_q2"
    assert batch.stats.finished == 3
    assert batch.stats.requested == 3
    assert batch.stats.valid == 2
    assert batch.stats.credits_cost == CreditsCost(initial=3, refunded=1, final=2)
    assert batch.results == (
        EmailResult(
            index=0,
            qualification=Qualification.VALID,
            email="dwight.schrute@dundermifflin.com",
            info=ContactInfo(
                domain="dundermifflin.com",
                firstname="Dwight",
                lastname="Schrute",
                company_info=CompanyInfo(name="Dunder Mifflin"),
            ),
            raw_params={"company_domain": "dundermifflin.com", "fullname": "Dwight Schrute"},
            custom="lead_001",
        ),
        EmailResult(
            index=1,
            qualification=Qualification.VALID,
            email="jim.halpert@dundermifflin.com",
            info=ContactInfo(
                domain="dundermifflin.com",
                firstname="Jim",
                lastname="Halpert",
                company_info=CompanyInfo(name="Dunder Mifflin"),
            ),
            raw_params={"company_domain": "dundermifflin.com", "fullname": "Jim Halpert"},
            custom="lead_002",
        ),
        EmailResult(
            index=2,
            qualification=Qualification.INVALID,
            email=None,
            info=None,
            raw_params={"company_domain": "dundermifflin.com", "fullname": "Ryan Howard"},
            custom="lead_003",
        ),
    )
    assert [r.found for r in batch.results] == [True, True, False]
    assert batch.done


def test_ongoing_reduced_body() -> None:
    batch = read(
        {"general": {"id": "b1", "status": "ongoing"}, "stats": {"finished": 1, "requested": 3}},
        BulkResults,
    )
    assert batch.status is BatchStatus.ONGOING
    assert not batch.done
    assert batch.results == ()
    assert batch.stats.valid is None
    assert batch.stats.credits_cost is None
    assert batch.custom is None


def test_failed_status() -> None:
    batch = read(
        {"general": {"id": "b1", "status": "failed"}, "stats": {"finished": 1, "requested": 3}},
        BulkResults,
    )
    assert batch.status is BatchStatus.FAILED
    assert batch.done


@pytest.mark.parametrize("index", ["7", 7, 7.0])
def test_index_as_string_or_int(seed_json: Any, index: object) -> None:
    seed_json["results"][0]["index"] = index
    assert read(seed_json, BulkResults).results[-1].index == 7  # sorted last


@pytest.mark.parametrize(
    "custom", ["lead", {"crm_id": 42, "tags": ["a"]}, None, ["kept", "as", "is"]]
)
def test_custom_kept_exactly_as_sent(seed_json: Any, custom: object) -> None:
    seed_json["results"][0]["custom"] = custom
    seed_json["general"]["custom"] = custom
    batch = read(seed_json, BulkResults)
    assert batch.results[0].custom == custom
    assert batch.custom == custom


def test_missing_optional_fields_become_none(seed_json: Any) -> None:
    result = seed_json["results"][0]
    del result["info"]["companyInfo"], result["custom"], result["raw_params"], result["email"]
    del seed_json["general"]["custom"]
    batch = read(seed_json, BulkResults)
    first = batch.results[0]
    assert first.info is not None
    assert first.info.company_info is None
    assert first.custom is None
    assert first.email is None
    assert first.raw_params == {}
    assert batch.custom is None


def test_unknown_fields_are_ignored(seed_json: Any) -> None:
    expected = read(copy.deepcopy(seed_json), BulkResults)
    seed_json["brand_new"] = {"x": 1}
    seed_json["general"]["region"] = "eu"
    seed_json["stats"]["duration_ms"] = 1234
    seed_json["results"][0]["score"] = 0.98
    seed_json["results"][0]["info"]["linkedin"] = "https://linkedin.example/in/dwight"
    seed_json["results"][0]["info"]["companyInfo"]["size"] = "51-200"
    assert read(seed_json, BulkResults) == expected


def test_info_company_domain_and_gender_and_fullname(seed_json: Any) -> None:
    info = seed_json["results"][0]["info"]
    info["company_domain"] = info.pop("domain")
    info["fullname"] = "Dwight Schrute"
    info["gender"] = "male"
    parsed = read(seed_json, BulkResults).results[0].info
    assert parsed is not None
    assert (parsed.domain, parsed.fullname, parsed.gender) == (
        "dundermifflin.com",
        "Dwight Schrute",
        "male",
    )


def test_fractional_credits() -> None:
    stats = {
        "finished": 4,
        "requested": 4,
        "valid": 1,
        "credits_cost": {"initial": 1.0, "refunded": 0.75, "final": 0.25},
    }
    batch = read({"general": {"id": "x", "status": "completed"}, "stats": stats}, BulkResults)
    assert batch.stats.credits_cost == CreditsCost(1.0, 0.75, 0.25)


def test_bulk_job() -> None:
    job = read(
        {
            "message": "Bulk search operating",
            "id": "j1",
            "credits_used": 3,
            "estimated_duration": 1,
        },
        BulkJob,
    )
    assert job == BulkJob(
        id="j1", credits_used=3, estimated_duration=1, message="Bulk search operating"
    )


BROKEN: list[tuple[str, Any, str, str]] = [
    ("array", [1, 2], "JSON object", ""),
    ("missing general", {"stats": {"finished": 0, "requested": 1}}, "missing", "$.general"),
    (
        "non-numeric finished",
        {"general": {"id": "b", "status": "ongoing"}, "stats": {"finished": "a", "requested": 1}},
        "expected an integer",
        "$.stats.finished",
    ),
    (
        "unknown status",
        {"general": {"id": "b", "status": "paused"}, "stats": {"finished": 0, "requested": 1}},
        "expected one of ongoing, completed, failed",
        "$.general.status",
    ),
    (
        "results not a list",
        {
            "general": {"id": "b", "status": "completed"},
            "stats": {"finished": 1, "requested": 1},
            "results": {"0": {}},
        },
        "expected a list",
        "$.results",
    ),
    (
        "id not a string",
        {"general": {"id": 5, "status": "ongoing"}, "stats": {"finished": 0, "requested": 1}},
        "expected a string",
        "$.general.id",
    ),
    (
        "bool is not a count",
        {"general": {"id": "b", "status": "ongoing"}, "stats": {"finished": True, "requested": 1}},
        "expected an integer",
        "$.stats.finished",
    ),
]


@pytest.mark.parametrize(("name", "data", "message", "path"), BROKEN, ids=[b[0] for b in BROKEN])
def test_broken_shapes_name_the_field(name: str, data: Any, message: str, path: str) -> None:
    raw = orjson.dumps(data)
    with pytest.raises(ResponseError, match=message) as info:
        structure(data, BulkResults, body=raw)
    assert info.value.body == raw
    if path:
        assert info.value.path == path
        assert path in str(info.value)


def test_non_numeric_index_names_its_position(seed_json: Any) -> None:
    seed_json["results"][2]["index"] = "third"
    with pytest.raises(ResponseError) as info:
        read(seed_json, BulkResults)
    assert info.value.path == "$.results[2].index"
    assert "'third'" in str(info.value)


@pytest.mark.parametrize(("field", "value"), [("info", [1]), ("info", "x")])
def test_info_must_be_an_object(seed_json: Any, field: str, value: object) -> None:
    seed_json["results"][0][field] = value
    with pytest.raises(ResponseError, match="expected an object") as info:
        read(seed_json, BulkResults)
    assert info.value.path == "$.results[0].info"


def test_company_info_must_be_an_object(seed_json: Any) -> None:
    seed_json["results"][0]["info"]["companyInfo"] = "Dunder"
    with pytest.raises(ResponseError, match="expected an object"):
        read(seed_json, BulkResults)


_text_or_none = st.none() | st.text(max_size=6)
_result_dicts = st.fixed_dictionaries(
    {
        "index": st.integers(0, 10_000) | st.integers(0, 10_000).map(str),
        "qualification": st.sampled_from(["valid", "invalid"]),
    },
    optional={
        "email": _text_or_none,
        "info": st.none()
        | st.fixed_dictionaries(
            {},
            optional={
                "domain": _text_or_none,
                "company_domain": _text_or_none,
                "firstname": _text_or_none,
                "lastname": _text_or_none,
                "fullname": _text_or_none,
                "gender": _text_or_none,
                "companyInfo": st.none()
                | st.fixed_dictionaries(
                    {}, optional={"name": _text_or_none, "size": st.integers()}
                ),
                "extra": st.integers(),
            },
        ),
        "raw_params": st.none()
        | st.dictionaries(st.text(max_size=4), st.text(max_size=4), max_size=3),
        "custom": st.none()
        | st.text(max_size=4)
        | st.dictionaries(st.text(max_size=3), st.integers(), max_size=2),
        "score": st.floats(allow_nan=False),
    },
)


@given(st.lists(_result_dicts, max_size=6))
def test_fast_and_detailed_converters_agree_on_results(results: list[Any]) -> None:
    body = {
        "general": {"id": "b", "status": "completed"},
        "stats": {"finished": len(results), "requested": len(results)},
        "results": results,
    }
    expected = detailed.structure(body, BulkResults)
    assert fast.structure(copy.deepcopy(body), BulkResults) == expected
    # Taken, so the body is never decoded again: any bytes do (orjson refuses big ints).
    assert (
        structure(body, BulkResults, body=b"{}") == expected
    )  # Taken, so the body is never decoded again: any bytes do (orjson refuses big ints).


def test_the_results_are_released_as_they_are_read(seed_json: Any) -> None:
    raw = orjson.dumps(seed_json)
    expected = read(orjson.loads(raw), BulkResults)
    data = orjson.loads(raw)
    assert structure(data, BulkResults, body=raw) == expected
    assert data["results"] == [None] * len(expected.results)


def test_a_refusal_after_consuming_names_the_field_from_the_body(seed_json: Any) -> None:
    seed_json["results"][2]["index"] = "third"
    raw = orjson.dumps(seed_json)
    with pytest.raises(ResponseError) as info:
        structure(orjson.loads(raw), BulkResults, body=raw)
    assert info.value.path == "$.results[2].index"
    assert info.value.body == raw


def test_results_of_one_company_share_its_record() -> None:
    def found(index: int, company: object) -> dict[str, Any]:
        info = {"domain": "acme.com", "fullname": f"P{index}", "companyInfo": company}
        return {"index": index, "qualification": "valid", "email": "p@acme.com", "info": info}

    results = [found(0, {"name": "Acme"}), found(1, {"name": "Acme"}), found(2, {"name": "Bolt"})]
    results += [found(3, {}), found(4, {"name": None})]
    body = {"general": {"id": "x", "status": "completed"}, "stats": {"finished": 5, "requested": 5}}
    batch = read({**body, "results": results}, BulkResults)
    companies = [r.info.company_info for r in batch.results if r.info is not None]
    assert companies == [CompanyInfo("Acme")] * 2 + [CompanyInfo("Bolt")] + [CompanyInfo()] * 2
    assert companies[0] is companies[1]
    assert companies[3] is companies[4]
    assert batch == detailed.structure({**body, "results": results}, BulkResults)
    with pytest.raises(ResponseError, match=r"info\.company_info\.name"):
        read({**body, "results": [found(0, {"name": ["Acme"]})]}, BulkResults)


def test_results_hash_though_raw_params_and_custom_are_dicts() -> None:
    def make(custom: object) -> EmailResult:
        info = ContactInfo("acme.com", "Ada", company_info=CompanyInfo("Acme"))
        return EmailResult(3, Qualification.VALID, "ada@acme.com", info, {"a": "b"}, custom)

    assert hash(make({"row": 1})) == hash(make({"row": 1}))
    assert make({"row": 1}) == make({"row": 1})
    assert make({"row": 1}) != make({"row": 2})
    assert len({make({"row": 1}), make({"row": 1}), make("x")}) == 2


_payloads = st.fixed_dictionaries(
    {
        "general": st.fixed_dictionaries(
            {
                "id": st.text(min_size=1, max_size=8),
                "status": st.sampled_from(["completed", "failed"]),
            },
            optional={
                "custom": st.none()
                | st.text(max_size=5)
                | st.dictionaries(st.text(max_size=3), st.integers(), max_size=2)
            },
        ),
        "stats": st.fixed_dictionaries(
            {"finished": st.integers(0, 5000), "requested": st.integers(0, 5000)},
            optional={
                "valid": st.integers(0, 5000),
                "credits_cost": st.fixed_dictionaries(
                    {
                        "initial": st.integers(0, 99),
                        "refunded": st.integers(0, 99),
                        "final": st.floats(0, 99),
                    }
                ),
            },
        ),
        "results": st.lists(_result_dicts, max_size=5),
    }
)


@given(_payloads)
def test_generated_valid_payloads_come_back_field_for_field(payload: Any) -> None:
    # Taken, so the body is never decoded again: any bytes do (orjson refuses big ints).
    batch = structure(copy.deepcopy(payload), BulkResults, body=b"{}")
    general, stats = payload["general"], payload["stats"]
    assert (batch.id, batch.status.value, batch.custom) == (
        general["id"],
        general["status"],
        general.get("custom"),
    )
    assert (batch.stats.finished, batch.stats.requested, batch.stats.valid) == (
        stats["finished"],
        stats["requested"],
        stats.get("valid"),
    )
    cost = stats.get("credits_cost")
    if cost is None:
        assert batch.stats.credits_cost is None
    else:
        assert batch.stats.credits_cost == CreditsCost(
            cost["initial"], cost["refunded"], cost["final"]
        )
    assert len(batch.results) == len(payload["results"])
    in_order = sorted(payload["results"], key=lambda r: int(r["index"]))  # stable
    for got, sent in zip(batch.results, in_order, strict=True):
        assert got.index == int(sent["index"])
        assert got.qualification.value == sent["qualification"]
        assert got.email == sent.get("email")
        assert got.raw_params == (sent.get("raw_params") or {})
        assert got.custom == sent.get("custom")
        info = sent.get("info")
        if info is None:
            assert got.info is None
            continue
        assert got.info is not None
        domain = info["domain"] if "domain" in info else info.get("company_domain")
        assert (got.info.domain, got.info.firstname, got.info.lastname) == (
            domain,
            info.get("firstname"),
            info.get("lastname"),
        )
        assert (got.info.fullname, got.info.gender) == (info.get("fullname"), info.get("gender"))
        company = info.get("companyInfo")
        if company is None:
            assert got.info.company_info is None
        else:
            assert got.info.company_info == CompanyInfo(company.get("name"))


@pytest.mark.parametrize("order", [[2, 0, 1], [1, 0], ["10", "9", "0"]])
def test_results_come_back_sorted_by_index(order: list[Any]) -> None:
    body = {
        "general": {"id": "b", "status": "completed"},
        "stats": {"finished": len(order), "requested": len(order)},
        "results": [
            {"index": i, "qualification": "invalid", "email": None, "custom": str(i)} for i in order
        ],
    }
    expected = sorted(int(i) for i in order)
    for parsed in (read(body, BulkResults), detailed.structure(body, BulkResults)):
        assert [r.index for r in parsed.results] == expected
        assert [r.custom for r in parsed.results] == [str(i) for i in expected]


_json_leaf = (
    st.none()
    | st.booleans()
    | st.integers(-(2**40), 2**40)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=4)
    | st.sampled_from(["7", "ongoing", "completed", "valid", "found", "not_found"])
)
_json = st.recursive(
    _json_leaf,
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=3), inner, max_size=3)
    ),
    max_leaves=8,
)
_stats_any = st.fixed_dictionaries(
    {"requested": st.integers(0, 9)},
    optional={
        "finished": st.none() | st.integers(0, 9),
        "valid": st.integers(0, 9),
        "found": st.none() | st.integers(0, 9),
        "credits_cost": st.floats(0, 9),
        "credits_to_refund": st.floats(0, 9),
    },
)
_BULK_BODIES = {
    BulkResults: _payloads,
    BulkVerification: st.fixed_dictionaries(
        {
            "general": st.fixed_dictionaries(
                {"id": st.just("v"), "status": st.sampled_from(["ongoing", "completed"])}
            ),
            "stats": _stats_any,
            "results": st.lists(
                st.fixed_dictionaries(
                    {
                        "email": st.text(max_size=4),
                        "qualification": st.sampled_from(["valid", "invalid"]),
                    },
                    optional={"index": st.text(max_size=4), "custom": st.text(max_size=3)},
                ),
                max_size=3,
            ),
        }
    ),
    BulkPhoneResults: st.fixed_dictionaries(
        {
            "general": st.fixed_dictionaries(
                {"id": st.just("p"), "status": st.sampled_from(["ongoing", "completed"])}
            ),
            "stats": _stats_any,
            "results": st.lists(
                st.fixed_dictionaries(
                    {"qualification": st.sampled_from(["found", "not_found"])},
                    optional={
                        "index": st.none() | st.integers(0, 9),
                        "number": st.text(max_size=4),
                        "params": st.dictionaries(st.text(max_size=2), st.text(max_size=2)),
                    },
                ),
                max_size=3,
            ),
        }
    ),
}


def _mutate(data: st.DataObject, value: Any) -> Any:
    """``value`` with one node (maybe the whole) replaced by arbitrary JSON."""
    if isinstance(value, dict) and value and data.draw(st.booleans()):
        key = data.draw(st.sampled_from(sorted(value)))
        return {**value, key: _mutate(data, value[key])}
    if isinstance(value, list) and value and data.draw(st.booleans()):
        at = data.draw(st.integers(0, len(value) - 1))
        return [*value[:at], _mutate(data, value[at]), *value[at + 1 :]]
    return data.draw(_json)


def _outcome(conv: Any, body: Any, cls: type) -> Any:
    try:
        return conv.structure(copy.deepcopy(body), cls)  # the fast one empties results
    except Exception:
        return "refused"


@pytest.mark.parametrize("cls", list(_BULK_BODIES), ids=lambda c: c.__name__)
@given(data=st.data())
def test_fast_and_detailed_converters_agree_on_any_body(cls: type, data: st.DataObject) -> None:
    """Both take the same bodies and build equal models: the detailed converter is only
    ever asked to explain a refusal, never to read what the fast one refused."""
    body = data.draw(_BULK_BODIES[cls])
    if data.draw(st.booleans()):
        body = _mutate(data, body)
    assert _outcome(fast, body, cls) == _outcome(detailed, body, cls)


@pytest.mark.parametrize("cls", list(_BULK_BODIES), ids=lambda c: c.__name__)
@given(data=st.data())
def test_valid_bulk_bodies_are_taken(cls: type, data: st.DataObject) -> None:
    body = data.draw(_BULK_BODIES[cls])
    # Taken, so the body is never decoded again: any bytes do (orjson refuses big ints).
    assert isinstance(structure(body, cls, body=b"{}"), cls)


def test_a_body_only_the_detailed_converter_takes_is_reported_as_a_bug() -> None:
    body = {"general": {"id": "b", "status": "ongoing"}, "stats": {"finished": 0, "requested": 1}}
    with pytest.raises(ResponseError, match="this is a bug in enrow_async") as info:
        _raise_malformed(body, BulkResults, b"raw", KeyError("x"))
    assert info.value.body == b"raw"
    assert isinstance(info.value.__cause__, KeyError)


# -- a new bulk is a model: the converter lists no endpoint -------------------------------------


@attrs.frozen
class _CountStats:
    requested: int
    finished: int = 0


@attrs.frozen
class _Count:
    index: int
    value: str


@attrs.frozen(repr=False)
class _BulkCounts(BulkBase[_CountStats, _Count]):
    """A bulk the package does not know: only its model."""


def test_a_new_bulk_model_is_read_with_nothing_listed_for_it() -> None:
    body = {
        "general": {"id": "c1", "status": "completed", "custom": "x"},
        "stats": {"requested": 2},  # ``finished`` left out: requested, once completed
        "results": [{"index": 1, "value": "b"}, {"index": "0", "value": "a"}],
    }
    batch = read(body, _BulkCounts)
    assert batch == _BulkCounts(
        "c1", BatchStatus.COMPLETED, _CountStats(2, 2), (_Count(0, "a"), _Count(1, "b")), "x"
    )
    with pytest.raises(ResponseError, match=r"\$\.results\[0\]\.value"):
        read({**body, "results": [{"index": 0, "value": 5}]}, _BulkCounts)
