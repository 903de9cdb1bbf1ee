"""Typed asyncio client for the Enrow email-finder API.

>>> async with EnrowClient() as client:                        # doctest: +SKIP
...     batch = await client.wait_for_batch(batch_id, timeout=600)

Every public name is here; each class and function says ``__module__ == "enrow_async"``,
wherever it is defined inside the package.
"""

import inspect
from typing import TYPE_CHECKING

import attrs

from ._core.jobs import MAX_BATCH as MAX_BATCH_SIZE
from ._core.policy import PollPolicy
from ._core.requests import check_batch_id
from ._core.retry import Backoff, RetryBudget, RetryPolicy
from ._io.transport import AiohttpTransport
from ._io.waiting import BatchStream, ProgressCallback, WebhookSource
from ._version import __version__
from .client import DEFAULT_TIMEOUT, EnrowClient
from .errors import (
    APIError,
    AuthenticationError,
    BatchErrors,
    BatchFailedError,
    BatchNotFoundError,
    BatchTimeoutError,
    ClientClosedError,
    ConfigurationError,
    EnrowError,
    FindEmailsTimeoutError,
    IncompleteResultsError,
    InconsistentAnswerError,
    InsufficientCreditsError,
    OutcomeUnknownError,
    ProxyError,
    RateLimitError,
    RecordError,
    ResponseError,
    RetryBudgetExhaustedError,
    ServerError,
    SpendingRefusedError,
    TableError,
    TLSError,
    TransportError,
    UnreadableBodyError,
    WebhookPayloadError,
    WrongEventLoopError,
)
from .lists import (
    BatchMatch,
    Estimate,
    FinishedBatch,
    Gap,
    GapReason,
    JournalFile,
    ListJob,
    ListProgress,
    ListReport,
    MemoryRecord,
    Record,
    WaitOutcome,
    credits_line,
    credits_text,
    gap_lines,
    percent,
    plan_lines,
    report_lines,
    wait_batches,
)
from .models import (
    AccountInfo,
    BatchRecord,
    BatchStats,
    BatchStatus,
    BulkJob,
    BulkPhoneResults,
    BulkPhoneSearchFinished,
    BulkResults,
    BulkSearchFinished,
    BulkVerification,
    BulkVerificationFinished,
    CompanyInfo,
    ContactInfo,
    CreditsCost,
    Custom,
    EmailResult,
    EmailSearch,
    EmailSearchDict,
    EmailVerification,
    JobProgress,
    PhoneQualification,
    PhoneResult,
    PhoneSearch,
    PhoneSearchDict,
    PhoneStats,
    Progress,
    Qualification,
    RecordState,
    SingleAnswer,
    SingleEmailResult,
    SingleJob,
    SinglePhoneSearchFinished,
    SingleSearchFinished,
    StartedBatch,
    VerificationFinished,
    VerificationItemDict,
    VerificationStats,
    WebhookCredits,
    WebhookEvent,
    WebhookPhoneResult,
    WebhookSearchResult,
    email_identity,
    latest_records,
    normalize_domain,
    search_identity,
    to_dict,
)
from .resources.email import JobProgressCallback, StartedCallback
from .tables.checks import Change, RowCheck, SkipReason, check_row
from .webhooks.events import parse_webhook

if TYPE_CHECKING:
    from .webhooks.receiver import WebhookCallback, WebhookReceiver


def __getattr__(name: str) -> object:
    """``WebhookReceiver`` loads aiohttp's web server (some 5,000 objects that every full
    garbage collection of the program walks), so only when it is first asked for."""
    if name in ("WebhookCallback", "WebhookReceiver"):
        from .webhooks import receiver

        return _public(getattr(receiver, name))
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))


__all__ = [
    "DEFAULT_TIMEOUT",
    "MAX_BATCH_SIZE",
    "APIError",
    "AccountInfo",
    "AiohttpTransport",
    "AuthenticationError",
    "Backoff",
    "BatchErrors",
    "BatchFailedError",
    "BatchMatch",
    "BatchNotFoundError",
    "BatchRecord",
    "BatchStats",
    "BatchStatus",
    "BatchStream",
    "BatchTimeoutError",
    "BulkJob",
    "BulkPhoneResults",
    "BulkPhoneSearchFinished",
    "BulkResults",
    "BulkSearchFinished",
    "BulkVerification",
    "BulkVerificationFinished",
    "Change",
    "ClientClosedError",
    "CompanyInfo",
    "ConfigurationError",
    "ContactInfo",
    "CreditsCost",
    "Custom",
    "EmailResult",
    "EmailSearch",
    "EmailSearchDict",
    "EmailVerification",
    "EnrowClient",
    "EnrowError",
    "Estimate",
    "FindEmailsTimeoutError",
    "FinishedBatch",
    "Gap",
    "GapReason",
    "IncompleteResultsError",
    "InconsistentAnswerError",
    "InsufficientCreditsError",
    "JobProgress",
    "JobProgressCallback",
    "JournalFile",
    "ListJob",
    "ListProgress",
    "ListReport",
    "MemoryRecord",
    "OutcomeUnknownError",
    "PhoneQualification",
    "PhoneResult",
    "PhoneSearch",
    "PhoneSearchDict",
    "PhoneStats",
    "PollPolicy",
    "Progress",
    "ProgressCallback",
    "ProxyError",
    "Qualification",
    "RateLimitError",
    "Record",
    "RecordError",
    "RecordState",
    "ResponseError",
    "RetryBudget",
    "RetryBudgetExhaustedError",
    "RetryPolicy",
    "RowCheck",
    "ServerError",
    "SingleAnswer",
    "SingleEmailResult",
    "SingleJob",
    "SinglePhoneSearchFinished",
    "SingleSearchFinished",
    "SkipReason",
    "SpendingRefusedError",
    "StartedBatch",
    "StartedCallback",
    "TLSError",
    "TableError",
    "TransportError",
    "UnreadableBodyError",
    "VerificationFinished",
    "VerificationItemDict",
    "VerificationStats",
    "WaitOutcome",
    "WebhookCallback",
    "WebhookCredits",
    "WebhookEvent",
    "WebhookPayloadError",
    "WebhookPhoneResult",
    "WebhookReceiver",
    "WebhookSearchResult",
    "WebhookSource",
    "WrongEventLoopError",
    "__version__",
    "check_batch_id",
    "check_row",
    "credits_line",
    "credits_text",
    "email_identity",
    "gap_lines",
    "latest_records",
    "normalize_domain",
    "parse_webhook",
    "percent",
    "plan_lines",
    "report_lines",
    "search_identity",
    "to_dict",
    "wait_batches",
]


def _public(obj: object) -> object:
    """Name ``obj`` (a class or function of the public API) as ``enrow_async``'s own.

    An attrs class's annotations are resolved first, in the module that defines them (the
    converter reads them later, by the class's ``__module__``)."""
    if inspect.isclass(obj) and attrs.has(obj):
        attrs.resolve_types(obj)
    if inspect.isclass(obj) or inspect.isfunction(obj):
        obj.__module__ = __name__
    return obj


for _name in __all__:
    if _name in globals():
        _public(globals()[_name])
del _name
