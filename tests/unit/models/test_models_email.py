"""Email-finder models: ``found``, ``done``, hashing with object-valued fields."""

from __future__ import annotations

import attrs
import pytest

from enrow_async.models import (
    BatchStats,
    BatchStatus,
    BulkResults,
    CompanyInfo,
    ContactInfo,
    EmailResult,
    Qualification,
    SingleEmailResult,
    WebhookSearchResult,
)


def result(qualification: Qualification, custom: object = None) -> EmailResult:
    info = ContactInfo("acme.com", "Ada", company_info=CompanyInfo("Acme"))
    return EmailResult(0, qualification, "ada@acme.com", info, {"fullname": "Ada"}, custom)


def test_found_means_valid() -> None:
    assert result(Qualification.VALID).found
    assert not result(Qualification.INVALID).found


def test_evolve_makes_a_changed_copy() -> None:
    first = result(Qualification.VALID)
    with pytest.raises(attrs.exceptions.FrozenInstanceError):
        first.email = "x"  # type: ignore[misc]
    second = attrs.evolve(first, email="x")
    assert (first.email, second.email) == ("ada@acme.com", "x")


@pytest.mark.parametrize("status", list(BatchStatus))
def test_bulk_done_follows_its_status(status: BatchStatus) -> None:
    batch = BulkResults("b", status, BatchStats(0, 1))
    assert batch.done is (status is not BatchStatus.ONGOING)
    assert batch.results == ()


def test_a_batch_with_dict_customs_hashes() -> None:
    batch = BulkResults(
        "b",
        BatchStatus.COMPLETED,
        BatchStats(1, 1),
        (result(Qualification.VALID, {"row": 1}),),
        {"list": "q2"},
    )
    assert hash(batch) == hash(attrs.evolve(batch))


def test_single_and_webhook_results_share_found() -> None:
    single = SingleEmailResult(qualification=Qualification.VALID, custom={"row": 1})
    assert single.found
    assert hash(single) == hash(SingleEmailResult(qualification=Qualification.VALID))
    assert not WebhookSearchResult().found  # the webhook may leave qualification out
    assert WebhookSearchResult(qualification=Qualification.VALID).found
    with pytest.raises(TypeError):
        SingleEmailResult()  # type: ignore[call-arg]
