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
