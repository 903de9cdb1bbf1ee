"""The public surface, pinned: ``enrow_async.__all__``, where its names say they live, the
client's calls (the design card's email-bulk calls with today's signatures) and resources.

Renaming or removing a public name must change this file, and the CHANGELOG with it.
"""

from __future__ import annotations

import inspect
import subprocess
import sys
from typing import Any

import pytest

import enrow_async
from enrow_async import BatchStream, EnrowClient

EXPECTED = [
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
    "DEFAULT_TIMEOUT",
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
    "MAX_BATCH_SIZE",
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
"""Every public name, sorted (106)."""

DESIGN_CARD = {
    "start_bulk_search": [
        ("searches", "POSITIONAL_OR_KEYWORD", inspect.Parameter.empty),
        ("custom", "KEYWORD_ONLY", None),
        ("webhook", "KEYWORD_ONLY", None),
        ("country_code", "KEYWORD_ONLY", None),
        ("retrieve_gender", "KEYWORD_ONLY", False),
    ],
    "get_bulk_results": [("batch_id", "POSITIONAL_OR_KEYWORD", inspect.Parameter.empty)],
    "watch_batch": [
        ("batch_id", "POSITIONAL_OR_KEYWORD", inspect.Parameter.empty),
        ("timeout", "KEYWORD_ONLY", 3600.0),
    ],
    "wait_for_batch": [
        ("batch_id", "POSITIONAL_OR_KEYWORD", inspect.Parameter.empty),
        ("timeout", "KEYWORD_ONLY", 3600.0),
        ("on_progress", "KEYWORD_ONLY", None),
        ("estimated_minutes", "KEYWORD_ONLY", None),
        ("webhook", "KEYWORD_ONLY", None),
    ],
    "wait_for_batches": [
        ("batch_ids", "POSITIONAL_OR_KEYWORD", inspect.Parameter.empty),
        ("timeout", "KEYWORD_ONLY", 3600.0),
        ("on_progress", "KEYWORD_ONLY", None),
        ("estimated_minutes", "KEYWORD_ONLY", None),
        ("webhook", "KEYWORD_ONLY", None),
    ],
    "find_emails": [
        ("searches", "POSITIONAL_OR_KEYWORD", inspect.Parameter.empty),
        ("timeout", "KEYWORD_ONLY", 3600.0),
        ("on_progress", "KEYWORD_ONLY", None),
        ("on_started", "KEYWORD_ONLY", None),
        ("resume", "KEYWORD_ONLY", ()),
        ("record", "KEYWORD_ONLY", None),
        ("retry_failed", "KEYWORD_ONLY", False),
        ("max_credits", "KEYWORD_ONLY", None),
        ("custom", "KEYWORD_ONLY", None),
        ("country_code", "KEYWORD_ONLY", None),
        ("retrieve_gender", "KEYWORD_ONLY", False),
        ("batch_size", "KEYWORD_ONLY", 5000),
    ],
}
"""The email-bulk calls kept on the client, each parameter as (name, kind, default)."""

CONSTRUCTOR = {
    "api_key": None,
    "base_url": None,  # ENROW_BASE_URL, else https://api.enrow.io
    "max_in_flight": 64,
    "max_connections": 100,
    "poll_policy": None,
    "retry": None,
    "retry_budget": None,
    "connect_timeout": 10.0,
    "read_timeout": 60.0,
    "call_timeout": 120.0,
    "max_response_bytes": 32 * 1024 * 1024,
    "allow_http": False,
    "trust_env": True,
    "posts_per_second": 10,
    "webhook_poll_interval": 60.0,
    "transport": None,
}
"""Every constructor option, with its default: what users set (key, base URL, timeouts,
limits, policies, transport) and nothing else. A caller's aiohttp session goes to
``AiohttpTransport(session=...)``; the jitter's random source is a policy's ``rand``."""

PROPERTIES = {"base_url", "retry_budget"}
RESOURCES = {
    "email": {"bulk", "single", "find", "list_job"},
    "verify": {"bulk", "single", "list_job"},
    "phone": {"bulk", "single"},
    "account": {"info"},
}
BULK_VERBS = {"start", "get", "watch", "wait", "wait_many"}
SINGLE_VERBS = {"start", "get", "wait"}


def public(obj: object) -> set[str]:
    return {name for name in dir(obj) if not name.startswith("_")}


def isort_style(name: str) -> tuple[int, str]:
    """How ruff's RUF022 sorts ``__all__``: CONSTANTS, then Classes, then functions."""
    return (0 if name.isupper() else 1 if name[0].isupper() else 2, name)


# -- enrow_async.__all__ ---------------------------------------------------------------------


def test_all_is_pinned() -> None:
    assert sorted(enrow_async.__all__) == EXPECTED
    assert len(set(enrow_async.__all__)) == len(enrow_async.__all__)
    assert list(enrow_async.__all__) == sorted(enrow_async.__all__, key=isort_style)


@pytest.mark.parametrize("name", EXPECTED)
def test_every_public_name_is_importable(name: str) -> None:
    assert getattr(enrow_async, name) is not None
    assert name in dir(enrow_async)


def test_star_import_gives_exactly_all() -> None:
    code = (
        "import enrow_async\n"
        "names = {}\n"
        "exec('from enrow_async import *', names)\n"
        "names.pop('__builtins__')\n"
        "assert sorted(names) == sorted(enrow_async.__all__), sorted(names)\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True, timeout=60)


def test_public_classes_and_functions_say_they_live_in_enrow_async() -> None:
    elsewhere = {
        name: obj.__module__
        for name in EXPECTED
        if inspect.isclass(obj := getattr(enrow_async, name)) or inspect.isfunction(obj)
        if obj.__module__ != "enrow_async"
    }
    assert elsewhere == {}


# -- the client ------------------------------------------------------------------------------


def test_the_client_has_exactly_the_design_card_calls_and_properties() -> None:
    assert public(EnrowClient) == set(DESIGN_CARD) | PROPERTIES | {"aclose"}
    for name in PROPERTIES:
        assert isinstance(inspect.getattr_static(EnrowClient, name), property)
    for name in ("__aenter__", "__aexit__", "aclose"):
        assert inspect.iscoroutinefunction(vars(EnrowClient)[name])


@pytest.mark.parametrize("name", sorted(DESIGN_CARD))
def test_the_design_card_calls_keep_their_signatures(name: str) -> None:
    method = getattr(EnrowClient, name)
    parameters = list(inspect.signature(method).parameters.values())
    assert parameters[0].name == "self"
    assert [(p.name, p.kind.name, p.default) for p in parameters[1:]] == DESIGN_CARD[name]
    streams = {"watch_batch", "wait_for_batches"}
    assert inspect.iscoroutinefunction(method) is (name not in streams)
    if name in streams:
        assert inspect.signature(method).return_annotation.startswith(BatchStream.__name__)


def test_the_constructor_takes_exactly_what_users_set() -> None:
    parameters = inspect.signature(EnrowClient).parameters
    assert {name: p.default for name, p in parameters.items()} == CONSTRUCTOR
    assert all(
        parameters[name].kind.name == "KEYWORD_ONLY" for name in set(CONSTRUCTOR) - {"api_key"}
    )


@pytest.mark.parametrize("resource", sorted(RESOURCES))
def test_the_resources_and_their_verbs(resource: str) -> None:
    client = EnrowClient("key")  # nothing is opened before `async with`
    namespace: Any = getattr(client, resource)
    assert public(namespace) == RESOURCES[resource]
    for part in {"bulk", "single"} & RESOURCES[resource]:
        jobs = getattr(namespace, part)
        assert public(jobs) == (BULK_VERBS if part == "bulk" else SINGLE_VERBS)
        for verb in public(jobs):
            streams = verb in ("watch", "wait_many")
            assert inspect.iscoroutinefunction(getattr(jobs, verb)) is not streams


def test_the_version_is_the_installed_distributions() -> None:
    from importlib.metadata import version

    assert enrow_async.__version__ == version("enrow-async")


def test_base_url_comes_from_the_environment_when_not_given(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("ENROW_BASE_URL", "http://127.0.0.1:8765/")
    assert enrow_async.EnrowClient("key").base_url == "http://127.0.0.1:8765"
    monkeypatch.delenv("ENROW_BASE_URL")
    assert enrow_async.EnrowClient("key").base_url == "https://api.enrow.io"
    assert enrow_async.EnrowClient("key", base_url="https://x.test").base_url == "https://x.test"


def test_every_public_name_is_in_the_api_reference() -> None:
    """The reference lists each public name under ``enrow_async.NAME`` (so that docstrings'
    ``[X][enrow_async.X]`` links resolve), grouped by page, the client first."""
    from pathlib import Path

    reference = Path(__file__).parents[2] / "docs" / "reference"
    pages = {
        name: (reference / f"{name}.md").read_text() for name in ("client", "models", "errors")
    }
    listed = {
        line.removeprefix("::: enrow_async.").strip()
        for text in pages.values()
        for line in text.splitlines()
        if line.startswith("::: enrow_async.")
    }
    assert set(EXPECTED) - {"__version__"} <= listed
    first = next(line for line in pages["client"].splitlines() if line.startswith(":::"))
    assert first == "::: enrow_async.EnrowClient"
