"""Typed asyncio client for the Enrow email-finder API.

>>> async with EnrowClient() as client:                        # doctest: +SKIP
...     batch = await client.wait_for_batch(batch_id, timeout=600)
"""

from ._retry import RetryBudget, RetryPolicy
from ._schedule import Backoff, PollPolicy
from ._waiting import BatchStream, ProgressCallback
from .client import DEFAULT_TIMEOUT, EnrowClient
from .errors import (
    APIError,
    AuthenticationError,
    BatchErrors,
    BatchFailedError,
    BatchNotFoundError,
    BatchTimeoutError,
    ConfigurationError,
    EnrowError,
    InsufficientCreditsError,
    OutcomeUnknownError,
    RateLimitError,
    ResponseError,
    RetryBudgetExhaustedError,
    ServerError,
    TransportError,
    WebhookPayloadError,
)
from .models import (
    BatchStats,
    BatchStatus,
    BulkJob,
    BulkResults,
    CompanyInfo,
    ContactInfo,
    CreditsCost,
    Custom,
    EmailResult,
    EmailSearch,
    Progress,
    Qualification,
)

__all__ = [
    "DEFAULT_TIMEOUT",
    "APIError",
    "AuthenticationError",
    "Backoff",
    "BatchErrors",
    "BatchFailedError",
    "BatchNotFoundError",
    "BatchStats",
    "BatchStatus",
    "BatchStream",
    "BatchTimeoutError",
    "BulkJob",
    "BulkResults",
    "CompanyInfo",
    "ConfigurationError",
    "ContactInfo",
    "CreditsCost",
    "Custom",
    "EmailResult",
    "EmailSearch",
    "EnrowClient",
    "EnrowError",
    "InsufficientCreditsError",
    "OutcomeUnknownError",
    "PollPolicy",
    "Progress",
    "ProgressCallback",
    "Qualification",
    "RateLimitError",
    "ResponseError",
    "RetryBudget",
    "RetryBudgetExhaustedError",
    "RetryPolicy",
    "ServerError",
    "TransportError",
    "WebhookPayloadError",
]
