"""The email verifier: one address checked, and a bulk of them."""

from __future__ import annotations

from typing import ClassVar

import attrs

from .common import BulkBase, Custom, Qualification

__all__ = ["BulkVerification", "EmailVerification", "VerificationStats"]


@attrs.frozen
class EmailVerification:
    """One address checked: ``valid`` (deliverable) or ``invalid``.

    ``index`` is the API's own id of the check in a bulk (a UUID string), ``None`` for a
    single verification.
    """

    email: str
    qualification: Qualification
    index: str | None = None
    custom: Custom = attrs.field(default=None, hash=False)

    @property
    def valid(self) -> bool:
        return self.qualification is Qualification.VALID


@attrs.frozen
class VerificationStats:
    """Counts of a bulk verification; ``valid`` and ``credits_cost`` once it is done.

    ``finished`` is not always sent: it is then ``requested`` once completed and 0 before.
    """

    finished: int
    requested: int
    valid: int | None = None
    credits_cost: float | None = None


@attrs.frozen(repr=False)  # BulkBase's short repr
class BulkVerification(BulkBase[VerificationStats, EmailVerification]):
    """A bulk verification as read from ``GET /email/verify/bulk``; ``results`` keep the
    order the API sent (their ``index`` is an id, not a position)."""

    by_index: ClassVar[bool] = False
