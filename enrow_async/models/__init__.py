"""The typed answers of the API: frozen, slotted ``attrs`` classes with snake_case fields.

Wire names such as ``companyInfo`` are mapped in the converter (``_core/convert.py``),
never in user code. Unknown fields from the API are ignored and missing optional fields
are ``None``. Assigning to a field raises ``attrs.exceptions.FrozenInstanceError``; change
a copy with ``attrs.evolve``. Results hash: their ``custom`` and raw parameters (objects on
the wire) are compared but left out of the hash.

This package is a leaf: it imports nothing else of ``enrow_async``.
"""

from .account import AccountInfo
from .common import BatchStatus, BulkJob, Custom, Qualification, SingleJob, to_dict
from .email import (
    BatchStats,
    BulkResults,
    CompanyInfo,
    ContactInfo,
    CreditsCost,
    EmailResult,
    EmailSearch,
    SingleEmailResult,
    StartedBatch,
)
from .identity import email_identity, normalize_domain, search_identity
from .mappings import EmailSearchDict, PhoneSearchDict, VerificationItemDict
from .phone import BulkPhoneResults, PhoneQualification, PhoneResult, PhoneSearch, PhoneStats
from .progress import JobProgress, Progress, SingleAnswer
from .record import BatchRecord, RecordState, latest_records
from .verify import BulkVerification, EmailVerification, VerificationStats
from .webhooks import (
    BulkPhoneSearchFinished,
    BulkSearchFinished,
    BulkVerificationFinished,
    SinglePhoneSearchFinished,
    SingleSearchFinished,
    VerificationFinished,
    WebhookCredits,
    WebhookEvent,
    WebhookPhoneResult,
    WebhookSearchResult,
)

__all__ = [
    "AccountInfo",
    "BatchRecord",
    "BatchStats",
    "BatchStatus",
    "BulkJob",
    "BulkPhoneResults",
    "BulkPhoneSearchFinished",
    "BulkResults",
    "BulkSearchFinished",
    "BulkVerification",
    "BulkVerificationFinished",
    "CompanyInfo",
    "ContactInfo",
    "CreditsCost",
    "Custom",
    "EmailResult",
    "EmailSearch",
    "EmailSearchDict",
    "EmailVerification",
    "JobProgress",
    "PhoneQualification",
    "PhoneResult",
    "PhoneSearch",
    "PhoneSearchDict",
    "PhoneStats",
    "Progress",
    "Qualification",
    "RecordState",
    "SingleAnswer",
    "SingleEmailResult",
    "SingleJob",
    "SinglePhoneSearchFinished",
    "SingleSearchFinished",
    "StartedBatch",
    "VerificationFinished",
    "VerificationItemDict",
    "VerificationStats",
    "WebhookCredits",
    "WebhookEvent",
    "WebhookPhoneResult",
    "WebhookSearchResult",
    "email_identity",
    "latest_records",
    "normalize_domain",
    "search_identity",
    "to_dict",
]
