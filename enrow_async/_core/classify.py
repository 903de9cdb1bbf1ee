"""One decision per answer: ``classify`` turns what a request got back into a verdict.

The verdict is one of ``Success``, ``Retry`` (with the server's delay hint),
``OutcomeUnknown`` (a request that may have acted and must not be resent),
``NotFound``, or ``Fail`` (a final, typed error). This is the only place where a
status code or a transport failure becomes an exception; the sender acts on the verdict.
The request's own fields (``action``, ``job``, ``idempotent``) say what it was for.
"""

from __future__ import annotations

import math
from email.utils import parsedate_to_datetime
from typing import TypeAlias
from urllib.parse import urlsplit

import attrs
import orjson

from ..errors import (
    APIError,
    AuthenticationError,
    BatchNotFoundError,
    EnrowError,
    InsufficientCreditsError,
    OutcomeUnknownError,
    RateLimitError,
    ResponseError,
    ServerError,
    TransportError,
)
from .http import Action, Request, Response
from .jobs import spec_for

__all__ = [
    "Fail",
    "NotFound",
    "OutcomeUnknown",
    "Retry",
    "Success",
    "Verdict",
    "classify",
    "classify_body",
    "redacted",
    "retry_after",
]


@attrs.frozen
class Success:
    """A 2xx answer: read its body."""

    response: Response


@attrs.frozen
class Retry:
    """Transient: try again after a backoff of at least ``delay`` seconds (the server's hint).

    ``error`` is raised if no retry is left. ``pause_all`` (a 429) slows every request of
    the client, not only this one.
    """

    error: EnrowError
    delay: float | None = None
    pause_all: bool = False


@attrs.frozen
class OutcomeUnknown:
    """A request that starts a paid job may have acted: never resend it."""

    error: OutcomeUnknownError


@attrs.frozen
class NotFound:
    """The id names no job."""

    error: BatchNotFoundError


@attrs.frozen
class Fail:
    """A final answer: nothing to retry."""

    error: EnrowError


Verdict: TypeAlias = Success | Retry | OutcomeUnknown | NotFound | Fail


def retry_after(response: Response, now_epoch: float | None = None) -> float | None:
    """Seconds from a ``Retry-After`` header: a number of seconds, or an HTTP-date (counted
    from ``now_epoch``, Unix seconds, when given)."""
    raw = response.headers.get("retry-after")
    if raw is None:
        return None
    try:
        value = float(raw)
    except ValueError:
        if now_epoch is None:
            return None
        try:
            value = parsedate_to_datetime(raw).timestamp() - now_epoch
        except (TypeError, ValueError, IndexError, OverflowError):
            return None
        value = max(value, 0.0)
    return value if math.isfinite(value) and value >= 0 else None


_KEY_MIN = 4
"""Shorter keys (a test's ``"k"``) are not blanked: they would blank letters of words."""


def redacted(text: str, request: Request) -> str:
    """``text`` without the request's API key (a server may echo what it was sent)."""
    key = request.headers.get("x-api-key")
    return text.replace(key, "<redacted>") if key and len(key) >= _KEY_MIN else text


def _server_message(response: Response) -> str:
    try:
        data = orjson.loads(response.body)
    except orjson.JSONDecodeError:
        kind = response.headers.get("content-type", "no content type")
        return f"non-JSON error body ({kind}, {len(response.body)} bytes)"
    if isinstance(data, dict):
        for key in ("message", "reason", "error"):
            if isinstance(data.get(key), str):
                return str(data[key])
    return "error body without a message"


def _unknown_single_id(request: Request, message: str) -> bool:
    """Single jobs answer an unknown id with 500 ``Could not retrieve ...`` (newest pages)."""
    if request.job is None or not spec_for(request.job).unknown_id_is_500:
        return False
    return "could not retrieve" in message.lower()


def _origin(url: str) -> str:
    """``scheme://host[:port]`` of ``url``, never its userinfo, path or query."""
    target = urlsplit(url)
    host = target.hostname
    if not host:
        return "the same origin"
    try:
        port = target.port
    except ValueError:
        port = None
    host = f"[{host}]" if ":" in host else host
    return f"{target.scheme}://{host}" + (f":{port}" if port is not None else "")


def classify(
    request: Request, answer: Response | TransportError, *, now_epoch: float | None = None
) -> Verdict:
    """The verdict on one attempt of ``request``: a response, or the transport's failure.

    ``now_epoch`` (Unix seconds) lets an HTTP-date ``Retry-After`` be read.
    """
    if isinstance(answer, TransportError):
        if not answer.transient:  # a refused certificate or proxy: retrying cannot fix it
            return Fail(answer)
        if request.idempotent or not answer.request_sent:
            return Retry(answer)
        return OutcomeUnknown(
            OutcomeUnknownError(
                f"{answer}; the job may have been created, so it is not sent again",
                request_sent=True,
            )
        )
    status = answer.status
    if 200 <= status < 300:
        return Success(answer)
    method, path = request.method, request.path
    where = f"{method} {path}"
    if 300 <= status < 400:
        origin = redacted(_origin(answer.headers.get("location", "")), request)
        message = f"redirect to {origin} refused: the client never follows redirects with the key"
        return Fail(APIError(message, status=status, method=method, path=path))
    message = redacted(_server_message(answer), request)
    if status == 401:
        return Fail(AuthenticationError(message, status=status, method=method, path=path))
    if status in (402, 422):
        return Fail(InsufficientCreditsError(message, status=status, method=method, path=path))
    reads = request.action is Action.READ
    named = f"{message} (id {request.job_id!r:.80})" if reads else message
    if reads and (status == 404 or (status == 400 and "retrieve" in message.lower())):
        return NotFound(BatchNotFoundError(named, status=status, method=method, path=path))
    if status == 429:
        hint = retry_after(answer, now_epoch)
        error = RateLimitError(message, retry_after=hint, method=method, path=path)
        return Retry(error, hint, pause_all=True)
    if status >= 500:
        server: EnrowError = ServerError(message, status=status, method=method, path=path)
        if reads and _unknown_single_id(request, message):
            # A 500 like an outage; once retries are spent, it says no such job.
            server = BatchNotFoundError(named, status=status, method=method, path=path)
        if request.idempotent:
            return Retry(server)
        # Even a gateway's 502/504 says nothing of whether the API acted behind it.
        return OutcomeUnknown(
            OutcomeUnknownError(
                f"{where}: HTTP {status} ({message}); the job may have been created, so it is"
                " not sent again",
                status=status,
                body=answer.body,
            )
        )
    if status == 400:
        return Fail(APIError(message, status=status, method=method, path=path))
    return Fail(APIError(f"unexpected status: {message}", status=status, method=method, path=path))


def classify_body(request: Request, response: Response, error: ResponseError) -> Verdict:
    """The verdict on a 2xx answer whose body could not be read into its model (not JSON,
    the wrong shape, or inconsistent): a read is tried again; a start may have created
    the job, so its outcome is unknown. Text built from the body never holds the key."""
    error.args = tuple(
        redacted(arg, request) if isinstance(arg, str) else arg for arg in error.args
    )
    if request.idempotent:
        return Retry(error)
    return OutcomeUnknown(
        OutcomeUnknownError(
            f"{request.method} {request.path}: HTTP {response.status} but {error}; the job may"
            " have been created, so it is not sent again",
            status=response.status,
            body=response.body,
        )
    )
