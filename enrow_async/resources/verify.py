"""``client.verify``: the email verifier, bulk and single."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import attrs

from .._core.collect import place_verifications
from .._core.jobs import MAX_BATCH, VERIFY_BULK, VERIFY_SINGLE
from .._core.requests import to_addresses
from .._io.jobs import JobRunner
from ..lists import ListJob, ListKind, Record
from ..models import (
    BulkJob,
    BulkVerification,
    Custom,
    EmailVerification,
    SingleJob,
    VerificationItemDict,
    email_identity,
)
from .base import BulkJobs, SingleJobs

__all__ = ["VerifyBulk", "VerifyResource", "VerifySingle"]


class VerifyBulk(BulkJobs[BulkVerification]):
    """Bulk verifications: 1 to 5,000 addresses."""

    async def start(
        self,
        emails: Iterable[str | VerificationItemDict],
        *,
        custom: Custom = None,
        webhook: str | None = None,
    ) -> BulkJob:
        """Start verifying addresses (strings or ``{"email", "custom"}`` mappings). Checked
        before anything is sent; never resent if the outcome is unknown."""
        return await self._runner.start(self._spec, BulkJob, emails, custom=custom, webhook=webhook)


class VerifySingle(SingleJobs[EmailVerification]):
    """Single verifications: one address."""

    async def start(
        self, email: str, *, custom: Custom = None, webhook: str | None = None
    ) -> SingleJob:
        """Start verifying one address."""
        return await self._runner.start(
            self._spec, SingleJob, email, custom=custom, webhook=webhook
        )


class VerifyResource:
    """``client.verify``: ``bulk`` and ``single`` verifications, ``list_job`` for lists."""

    def __init__(self, runner: JobRunner) -> None:
        self._runner = runner
        self.bulk: VerifyBulk = VerifyBulk(runner, VERIFY_BULK)
        self.single: VerifySingle = VerifySingle(runner, VERIFY_SINGLE)

    def list_job(
        self,
        emails: Iterable[str],
        *,
        record: Record | None = None,
        resend_unknown: bool = False,
        batch_size: int = MAX_BATCH,
    ) -> ListJob[str, EmailVerification, BulkVerification]:
        """A [ListJob][enrow_async.ListJob] verifying any number of addresses, checked
        before anything is sent. Identical addresses
        ([email_identity][enrow_async.email_identity]) are verified, and paid for, once;
        each result comes back at every input position that asked for it (its ``index``
        is the API's own id of the check; ``custom`` is the job's and is cleared)."""
        checked = to_addresses(emails)
        if not 1 <= batch_size <= MAX_BATCH:
            raise ValueError(f"batch_size must be between 1 and {MAX_BATCH}, got {batch_size}")
        runner = self._runner

        async def start(items: Sequence[str]) -> BulkJob:
            sent = [{"email": email, "custom": str(i)} for i, email in enumerate(items)]
            return await runner.start(VERIFY_BULK, BulkJob, sent)

        kind = ListKind(
            noun="address",
            cost=VERIFY_BULK.price,
            identity=lambda email: (email_identity(email),),
            start=start,
            wait_many=self.bulk.wait_many,
            place=lambda batch, items: place_verifications(
                batch.results, [item or "" for item in items]
            ),
            relabel=_relabel,
            settled=_settled,
            balance=runner.balance,
        )
        return ListJob(
            kind,
            checked,
            batch_size=batch_size,
            settings="verify",
            record=record,
            resend_unknown=resend_unknown,
        )


def _relabel(result: EmailVerification, position: int, email: str) -> EmailVerification:
    return result if result.custom is None else attrs.evolve(result, custom=None)


def _settled(batch: BulkVerification) -> tuple[float, float] | None:
    cost = batch.stats.credits_cost
    return None if cost is None else (0.0, cost)
