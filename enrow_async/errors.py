"""Every exception enrow_async raises, in one tree rooted at [EnrowError][enrow_async.EnrowError].

::

    EnrowError
    ├── ConfigurationError          no API key, an unsafe base_url, a bad option
    │   └── WrongEventLoopError     used from another event loop than its own: one client per loop
    ├── ClientClosedError           the client was closed: its waits end, it takes no new call
    ├── APIError                    the API answered with an error status (.status, .message)
    │   ├── AuthenticationError     401: missing or invalid API key
    │   ├── InsufficientCreditsError  402 / 422: not enough credits
    │   ├── BatchNotFoundError      400 "Could not retrieve ..." or 404: no such batch or job
    │   ├── RateLimitError          429, once retries are spent (.retry_after)
    │   └── ServerError             5xx, once retries are spent
    ├── ResponseError               a body that is not what the API documents (.path, .body)
    │   ├── UnreadableBodyError     not JSON at all (cut short, an HTML page): read again
    │   ├── InconsistentAnswerError a completed answer that contradicts itself (.problem)
    │   └── WebhookPayloadError     a webhook body that is not a documented event
    ├── TransportError              connection failure, dropped or truncated answer, read timeout
    │   ├── OutcomeUnknownError     a POST that may have started a (paid) job: never resent
    │   ├── TLSError                certificate refused (untrusted, another host), no TLS: final
    │   └── ProxyError              the proxy refused the tunnel (407, 403, ...): final
    ├── RetryBudgetExhaustedError   the client-wide retry budget is spent: failing fast
    ├── BatchFailedError            the batch ended with status ``failed`` (.progress)
    ├── BatchTimeoutError           deadline passed first (.progress, .pending); a TimeoutError
    │   └── FindEmailsTimeoutError  find_emails' deadline: also an IncompleteResultsError
    ├── BatchErrors                 wait_for_batches: some batches could not be read (.errors)
    ├── IncompleteResultsError      find_emails: some searches have no result (.results,
    │                               .missing, .started, .stopped_by)
    ├── SpendingRefusedError        a list job's cost guard said no, before any POST (.credits)
    ├── TableError                  a table cannot be read or written, is over a limit, or
    │                               lacks a column (also a ValueError)
    └── RecordError                 a list job's record cannot be read or written, or is
                                    another job's

Two class attributes say how waits treat an error: ``transient`` (a later attempt may
succeed: an outage, a rate limit) and ``concerns_one_job`` (an unknown id or a malformed
answer: a multi-batch wait goes on with the other batches).

Input mistakes that are plainly the caller's (an empty batch id, a negative timeout,
an invalid search) raise the built-in ``ValueError`` or ``TypeError`` before any request.
No exception text ever contains the API key.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, ClassVar, Literal

if TYPE_CHECKING:
    from .models import EmailResult, Progress, StartedBatch

__all__ = [
    "APIError",
    "AuthenticationError",
    "BatchErrors",
    "BatchFailedError",
    "BatchNotFoundError",
    "BatchTimeoutError",
    "ClientClosedError",
    "ConfigurationError",
    "EnrowError",
    "FindEmailsTimeoutError",
    "IncompleteResultsError",
    "InconsistentAnswerError",
    "InsufficientCreditsError",
    "OutcomeUnknownError",
    "ProxyError",
    "RateLimitError",
    "ResponseError",
    "RetryBudgetExhaustedError",
    "RecordError",
    "ServerError",
    "SpendingRefusedError",
    "TableError",
    "TLSError",
    "TransportError",
    "UnreadableBodyError",
    "WebhookPayloadError",
    "WrongEventLoopError",
]


class EnrowError(Exception):
    """Base class of every error raised by enrow_async."""

    transient: ClassVar[bool] = False
    """A later attempt may succeed (an outage, a rate limit)."""
    concerns_one_job: ClassVar[bool] = False
    """The error is about one job only; waits on other jobs go on."""


class ConfigurationError(EnrowError):
    """The client cannot be used as configured (no API key, unsafe base_url, ...)."""


class WrongEventLoopError(ConfigurationError, RuntimeError):
    """The client was used from an event loop other than the one it is bound to.

    A client binds to the event loop it is first used on (its connections and its polling
    belong to that loop) and refuses any other before sending anything: create one client
    per event loop (per thread that runs its own ``asyncio.run``)."""


class ClientClosedError(EnrowError, RuntimeError):
    """The client was closed (``aclose()`` or the end of ``async with``).

    Waits still running when it closes end with this error; a call made afterwards is
    refused before anything is sent. A closed client is not reopened: create a new one."""


class APIError(EnrowError):
    """The API answered with an error status.

    ``message`` is the server's own ``message`` (or ``reason``) when it sent one.
    """

    concerns_one_job = True

    def __init__(self, message: str, *, status: int, method: str = "", path: str = "") -> None:
        where = f" for {method} {path}" if method else ""
        super().__init__(f"HTTP {status}{where}: {message}")
        self.message = message
        self.status = status
        self.method = method
        self.path = path


class AuthenticationError(APIError):
    """401: the API key is missing or not valid."""

    concerns_one_job = False


class InsufficientCreditsError(APIError):
    """402 or 422: the account has not enough credits for this request."""

    concerns_one_job = False


class BatchNotFoundError(APIError):
    """The id names no batch or job (400 ``Could not retrieve ...`` or 404)."""


class RateLimitError(APIError):
    """429 that outlasted the retries; ``retry_after`` is the server's hint, if any."""

    transient = True

    def __init__(
        self,
        message: str,
        *,
        status: int = 429,
        method: str = "",
        path: str = "",
        retry_after: float | None = None,
    ) -> None:
        super().__init__(message, status=status, method=method, path=path)
        self.retry_after = retry_after


class ServerError(APIError):
    """A 5xx answer that outlasted the retries."""

    transient = True


class ResponseError(EnrowError):
    """A body that is not what the API documents: not JSON, truncated or the wrong shape.

    ``path`` names the offending field (``$.results[3].index``) when known and ``body``
    keeps the raw bytes for debugging.
    """

    concerns_one_job = True

    def __init__(
        self, message: str, *, body: bytes = b"", path: str | None = None, status: int | None = None
    ) -> None:
        super().__init__(message)
        self.body = body
        self.path = path
        self.status = status


class UnreadableBodyError(ResponseError):
    """A body that is not JSON at all: cut short inside valid framing, an HTML error page.

    Like a dropped connection, it is transient: a read is tried again."""

    transient = True


class InconsistentAnswerError(ResponseError):
    """A completed answer that contradicts itself or the request: results missing or
    repeated, an index outside the batch, counts out of range, another batch's id.

    It is read again a few times (it may be a passing glitch), then raised; ``problem``
    says what was wrong."""

    def __init__(self, problem: str, *, body: bytes = b"", status: int | None = None) -> None:
        super().__init__(f"inconsistent answer: {problem}", body=body, status=status)
        self.problem = problem


class WebhookPayloadError(ResponseError):
    """A webhook request whose body is not one of the documented events."""


class TransportError(EnrowError):
    """The request did not get a complete answer: connection refused or dropped, timeout.

    ``request_sent`` is False when the connection failed before anything was sent.
    """

    transient = True

    def __init__(self, message: str, *, request_sent: bool = True) -> None:
        super().__init__(message)
        self.request_sent = request_sent


class OutcomeUnknownError(TransportError):
    """A POST that starts a paid job got no clear answer: the job may have been created.

    Only a 429, a connection refused before sending, or 400/401/402/422 with the API's
    error body prove that it was not; anything else after sending lands here (a redirect,
    a 5xx, an undocumented status, a dropped connection, a timeout). It is never resent
    automatically; check your batches (or your journal) before retrying. ``status`` and
    ``body`` keep the answer when there was one (a redirect, a 5xx, or a 2xx whose body is
    unreadable or has no id).
    """

    transient = False

    def __init__(
        self,
        message: str,
        *,
        request_sent: bool = True,
        status: int | None = None,
        body: bytes = b"",
    ) -> None:
        super().__init__(message, request_sent=request_sent)
        self.status = status
        self.body = body


class TLSError(TransportError):
    """No TLS connection can be made to the server: its certificate is refused (not signed
    by a trusted authority, expired, or issued for another host), or the handshake fails
    (no TLS on that port). Retrying cannot fix it, so calls and waits end at once; the
    message names the host and the cause."""

    transient = False


class ProxyError(TransportError):
    """The HTTP proxy refused to open a tunnel to the API with a 4xx answer (407: it wants
    credentials, 403: it forbids the host). Retrying cannot fix it, so calls and waits end
    at once; ``status`` is the proxy's answer. A proxy that cannot reach the API (5xx) is
    an ordinary, transient TransportError."""

    transient = False

    def __init__(self, message: str, *, status: int) -> None:
        super().__init__(message, request_sent=False)
        self.status = status


class RetryBudgetExhaustedError(EnrowError):
    """The client-wide retry budget is spent, so this call fails fast instead of retrying.

    The budget refills as requests succeed; the failure that would have been retried is
    chained as ``__cause__``.
    """


class BatchFailedError(EnrowError):
    """The batch ended with status ``failed``; ``progress`` is its last snapshot."""

    def __init__(self, progress: Progress) -> None:
        super().__init__(
            f"batch {progress.batch_id} failed after {progress.finished}/{progress.requested}"
            " searches"
        )
        self.progress = progress

    @property
    def batch_id(self) -> str:
        return self.progress.batch_id


class BatchTimeoutError(EnrowError, TimeoutError):
    """The deadline passed before the batch (or batches) finished.

    ``pending`` maps each unfinished batch id to its last progress snapshot (``None`` if it
    was never read); ``progress`` is that snapshot for a single-batch wait. Batches that
    could not be read at all are in ``errors``. Nothing unfinished is ever returned as done.
    """

    def __init__(
        self,
        timeout: float,
        pending: Mapping[str, Progress | None],
        errors: Mapping[str, EnrowError] | None = None,
    ) -> None:
        ids = ", ".join(list(pending)[:5]) + (", ..." if len(pending) > 5 else "")
        shown = ""
        if len(pending) == 1:
            last = next(iter(pending.values()))
            if last is not None:
                shown = f" (last seen {last.finished}/{last.requested})"
        # Not super(): in FindEmailsTimeoutError, IncompleteResultsError comes next.
        EnrowError.__init__(
            self, f"{len(pending)} batch(es) unfinished after {timeout:g} s: {ids}{shown}"
        )
        self.timeout = timeout
        self.pending: dict[str, Progress | None] = dict(pending)
        self.errors: dict[str, EnrowError] = dict(errors or {})

    @property
    def progress(self) -> Progress | None:
        """The last snapshot of the first unfinished batch (the only one for wait_for_batch)."""
        return next(iter(self.pending.values()), None)


class BatchErrors(EnrowError):
    """``wait_for_batches`` finished, but some batches could not be read.

    Raised after every other batch was yielded; ``errors`` maps each such batch id to its
    error (for example [BatchNotFoundError][enrow_async.BatchNotFoundError]).
    """

    def __init__(self, errors: Mapping[str, EnrowError]) -> None:
        lines = "; ".join(f"{bid}: {err}" for bid, err in list(errors.items())[:5])
        more = f" (and {len(errors) - 5} more)" if len(errors) > 5 else ""
        super().__init__(f"{len(errors)} batch(es) could not be read: {lines}{more}")
        self.errors: dict[str, EnrowError] = dict(errors)


class IncompleteResultsError(EnrowError):
    """``find_emails`` could not produce one result per search; nothing paid for is lost.

    ``results`` is aligned with the input: every result that arrived, ``None`` at the
    ``missing`` positions. ``failed`` maps each failed, unreadable or inconsistent batch id
    (a result index outside the batch or given twice) to its reason. ``started`` lists every
    batch started (or resumed), with the input positions each covers: pass them as
    ``resume=`` to wait for them again instead of paying twice. ``unstarted`` are the
    positions whose batch was certainly never started; ``uncertain`` those of the batch
    whose start had no clear answer (OutcomeUnknownError: it may exist and be paid for, so
    check your dashboard before a resume sends it again). ``stopped_by`` is the error that
    ended the run early (also the ``__cause__``): a start refused or of unknown outcome,
    or a wait that could not go on; ``None`` if every batch was waited for.
    """

    def __init__(
        self,
        results: Sequence[EmailResult | None],
        missing: Sequence[int],
        failed: Mapping[str, str],
        *,
        started: Sequence[StartedBatch] = (),
        unstarted: Sequence[int] = (),
        uncertain: Sequence[int] = (),
        stopped_by: EnrowError | None = None,
    ) -> None:
        reasons = "; ".join(f"{bid}: {why}" for bid, why in list(failed.items())[:5])
        head = (
            f"{len(missing)} of {len(results)} searches have no result"
            if missing
            else f"the results of {len(results)} searches are not reliable"
        )
        stop = f"; stopped by {type(stopped_by).__name__}: {stopped_by}" if stopped_by else ""
        super().__init__(head + (f" ({reasons})" if reasons else "") + stop)
        self._keep(results, missing, failed, started, unstarted, uncertain, stopped_by)

    def _keep(
        self,
        results: Sequence[EmailResult | None],
        missing: Sequence[int],
        failed: Mapping[str, str],
        started: Sequence[StartedBatch],
        unstarted: Sequence[int],
        uncertain: Sequence[int],
        stopped_by: EnrowError | None,
    ) -> None:
        self.results: list[EmailResult | None] = list(results)
        self.missing: list[int] = list(missing)
        self.failed: dict[str, str] = dict(failed)
        self.started: list[StartedBatch] = list(started)
        self.unstarted: list[int] = list(unstarted)
        self.uncertain: list[int] = list(uncertain)
        self.stopped_by = stopped_by


class FindEmailsTimeoutError(BatchTimeoutError, IncompleteResultsError):
    """``find_emails``' deadline passed: a BatchTimeoutError (``timeout``, ``pending``,
    ``errors``) that is also an IncompleteResultsError (``results`` by input position,
    ``missing``, ``failed``, ``started``, ``unstarted``, ``uncertain``, ``stopped_by``). The pending
    batches go on on the server: resume from ``started`` to collect them."""

    def __init__(
        self,
        timeout: float,
        pending: Mapping[str, Progress | None],
        errors: Mapping[str, EnrowError] | None = None,
        *,
        results: Sequence[EmailResult | None],
        missing: Sequence[int],
        failed: Mapping[str, str],
        started: Sequence[StartedBatch],
        unstarted: Sequence[int] = (),
        uncertain: Sequence[int] = (),
        stopped_by: EnrowError | None = None,
    ) -> None:
        BatchTimeoutError.__init__(self, timeout, pending, errors)
        self._keep(results, missing, failed, started, unstarted, uncertain, stopped_by)


class SpendingRefusedError(EnrowError):
    """A list job's cost guard refused to spend, before any POST: the credits to reserve
    (``credits``) exceed the cap (``reason`` ``"cap"``) or the balance (``"balance"``), or
    the confirmation said no (``"not_confirmed"``)."""

    def __init__(
        self, message: str, credits: float, reason: Literal["cap", "balance", "not_confirmed"]
    ) -> None:
        super().__init__(message)
        self.credits = credits
        self.reason = reason


class RecordError(EnrowError):
    """A list job's record (its journal) cannot be read or written, or was written for
    another kind of job: nothing is sent, so nothing can be paid twice."""


class TableError(EnrowError, ValueError):
    """An input table (CSV, ``.xlsx``) cannot be read, is over one of its limits, or lacks a
    column a list needs, or an output cannot be written; the message names the file and
    what is wrong. An input refused sends nothing."""
