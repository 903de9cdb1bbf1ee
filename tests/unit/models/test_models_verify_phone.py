"""Verifier and phone models: ``valid``, ``found``, ``done``."""

from __future__ import annotations

from enrow_async.models import (
    BatchStatus,
    BulkPhoneResults,
    BulkVerification,
    EmailVerification,
    PhoneQualification,
    PhoneResult,
    PhoneStats,
    Qualification,
    VerificationStats,
    WebhookPhoneResult,
)


def test_verification_valid() -> None:
    assert EmailVerification("a@x.com", Qualification.VALID).valid
    assert not EmailVerification("a@x.com", Qualification.INVALID, custom={"r": 1}).valid


def test_phone_found() -> None:
    assert PhoneResult(PhoneQualification.FOUND, "+33").found
    assert not PhoneResult(PhoneQualification.NOT_FOUND, params={"a": "b"}).found
    assert WebhookPhoneResult(qualification="found").found
    assert not WebhookPhoneResult().found


def test_bulks_are_done_once_finished_and_hash() -> None:
    verify = BulkVerification("v", BatchStatus.FAILED, VerificationStats(1, 2), custom={"k": 1})
    phone = BulkPhoneResults(
        "p",
        BatchStatus.ONGOING,
        PhoneStats(0, 1),
        (PhoneResult(PhoneQualification.FOUND, params={"a": "b"}),),
    )
    assert verify.done
    assert not phone.done
    assert len({verify, phone, verify}) == 2
