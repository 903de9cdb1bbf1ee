"""Batch models have a short repr, whatever they hold."""

from __future__ import annotations

from enrow_async import (
    BatchStats,
    BatchStatus,
    BulkPhoneResults,
    BulkResults,
    BulkVerification,
    EmailResult,
    PhoneStats,
    Qualification,
    VerificationStats,
)


def test_a_5000_result_batch_has_a_one_line_repr() -> None:
    results = tuple(EmailResult(i, Qualification.INVALID, raw_params={"i": i}) for i in range(5000))
    batch = BulkResults("b1", BatchStatus.COMPLETED, BatchStats(5000, 5000, 0), results)
    text = repr(batch)
    assert text == "BulkResults(id='b1', status='completed', finished=5000/5000, results=5000)"
    assert batch.results[0] == results[0]  # the data is all there, just not in the repr


def test_every_bulk_model_shares_it() -> None:
    verify = BulkVerification("v1", BatchStatus.ONGOING, VerificationStats(1, 4))
    phone = BulkPhoneResults("p1", BatchStatus.FAILED, PhoneStats(2, 3))
    assert repr(verify) == "BulkVerification(id='v1', status='ongoing', finished=1/4, results=0)"
    assert repr(phone) == "BulkPhoneResults(id='p1', status='failed', finished=2/3, results=0)"


def test_to_dict_is_json_ready_with_wire_enum_values() -> None:
    import orjson

    from enrow_async import ContactInfo, to_dict

    result = EmailResult(
        0,
        Qualification.VALID,
        "jim@dm.com",
        ContactInfo(domain="dm.com", firstname="Jim"),
        raw_params={"fullname": "Jim Halpert"},
        custom={"row": 1},
    )
    batch = BulkResults("b1", BatchStatus.COMPLETED, BatchStats(1, 1, 1), (result,))
    data = to_dict(batch)
    assert data["status"] == "completed"
    assert data["results"][0]["qualification"] == "valid"
    assert data["results"][0]["info"]["firstname"] == "Jim"
    assert isinstance(data["results"], list)
    assert orjson.loads(orjson.dumps(data)) == data


def test_to_dict_refuses_what_is_not_a_model() -> None:
    import pytest

    from enrow_async import to_dict

    with pytest.raises(TypeError, match="takes an enrow_async model"):
        to_dict({"id": "b1"})  # type: ignore[arg-type]
