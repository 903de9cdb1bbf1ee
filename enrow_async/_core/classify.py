"""One decision per answer: ``classify`` turns what a request got back into a verdict.

The verdict is ``Success`` (the body read), ``Retry`` (with the server's delay hint) or
``Fail``, whose error's type says why (``OutcomeUnknownError``: a start that may have acted;
``BatchNotFoundError``: an unknown id). This is the only place where a status code or a
transport failure becomes an exception; the request's own fields (``action``, ``job``,
``idempotent``) say what it was for.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from email.utils import parsedate_to_datetime
from typing import Generic, TypeVar

import attrs
import orjson
from yarl import URL

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
from .redact import redact, scrub

__all__ = [
    "Fail",
    "Retry",
    "Success",
    "classify",
    "retry_after",
]

T = TypeVar("T")


@attrs.frozen
class Success(Generic[T]):
    """A 2xx answer, its body read."""

    value: T


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
class Fail:
    """A final answer: nothing to retry (nor to resend: ``OutcomeUnknownError``)."""

    error: EnrowError


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


def _server_message(response: Response) -> tuple[str, bool]:
    """What the server said, and whether it said it in the API's error body: a JSON object
    with a string ``message`` (or ``reason``, ``error``)."""
    try:
        data = orjson.loads(response.body)
    except orjson.JSONDecodeError:
        kind = response.headers.get("content-type", "no content type")
        return f"non-JSON error body ({kind}, {len(response.body)} bytes)", False
    if isinstance(data, dict):
        for key in ("message", "reason", "error"):
            if isinstance(data.get(key), str):
                return str(data[key]), True
    return "error body without a message", False


def _origin(url: str) -> str:
    """``scheme://host[:port]`` of ``url``, never its userinfo, path or query."""
    try:
        return str(URL(url).origin())
    except ValueError:  # relative (the same origin), or unreadable
        return "the same origin"


_REFUSALS = frozenset({400, 401, 402, 422})
"""Statuses by which the API refuses a start, in its error body: nothing was created."""


def classify(
    request: Request,
    answer: Response | TransportError | ResponseError,
    read: Callable[[Response], T],
    *,
    now_epoch: float | None = None,
) -> Success[T] | Retry | Fail:
    """The verdict on one attempt of ``request``: a response (a 2xx one ``read`` into its
    model), the transport's failure, or a ResponseError for an answer refused unread (its
    body over the size cap: final for a read, an unknown outcome for a start).

    The API key is blanked in the answer first, in any spelling (``redact.scrub``): nothing
    read from the verdict holds it. ``now_epoch`` (Unix seconds) lets an HTTP-date
    ``Retry-After`` be read.

    A request that is not idempotent (a start: it creates a paid job) may be sent again only
    when the answer proves that the API did not act, and only these do:

    - nothing was sent (a transport failure with ``request_sent=False``), or 429 (the rate
      limit answers before the API acts): ``Retry``;
    - 400, 401, 402 or 422 with the API's error body (a JSON object with a string
      ``message``, ``reason`` or ``error``): the API refused it, ``Fail``.

    Every other answer after sending fails with OutcomeUnknownError, never resent: any
    redirect (``303 See Other`` is how a server says "created, see there"), any 5xx (a
    gateway's 502 or 504 says nothing of the API behind it), a status the API does not
    document for a start (404, 409, 413, ...), a refusal status without the API's error body
    (a proxy's page), a dropped connection or a timeout, and a 2xx whose body ``read``
    refuses.

    A read is retried after a transport failure, a 429, a 5xx or a body ``read`` refuses;
    its redirect is refused (the key never travels to another origin); 404, or 400
    ``Could not retrieve ...``, is a BatchNotFoundError.
    """
    if isinstance(answer, TransportError):
        return _failed(request, answer)
    if isinstance(answer, ResponseError):
        return Fail(answer) if request.idempotent else _unreadable(request, answer, None)
    answer = scrub(answer, request)
    status = answer.status
    if 200 <= status < 300:
        try:
            return Success(read(answer))
        except ResponseError as exc:
            return Retry(exc) if request.idempotent else _unreadable(request, exc, answer)
    if 300 <= status < 400:
        message, documented = f"redirect to {_origin(answer.headers.get('location', ''))}", False
    else:
        message, documented = _server_message(answer)
    if not request.idempotent and status != 429 and not (status in _REFUSALS and documented):
        where = f"{request.method} {request.path}: HTTP {status} ({message})"
        return _unknown(where, None, status=status, body=answer.body)
    return _refused(request, answer, message, now_epoch)


def _failed(request: Request, failure: TransportError) -> Retry | Fail:
    """The verdict on a transport failure (its text blanked of the key)."""
    failure.args = tuple(redact(a, request) if isinstance(a, str) else a for a in failure.args)
    if not failure.transient:  # a refused certificate or proxy: retrying cannot fix it
        return Fail(failure)
    if request.idempotent or not failure.request_sent:
        return Retry(failure)
    return _unknown(str(failure), failure)


_FINAL: dict[int, type[APIError]] = {
    401: AuthenticationError,
    402: InsufficientCreditsError,
    422: InsufficientCreditsError,
}
"""Final statuses with an error of their own; any other final status is an APIError."""


def _refused(
    request: Request, answer: Response, message: str, now_epoch: float | None
) -> Retry | Fail:
    """The verdict on an error status that says the request did nothing (or a read's)."""
    status, method, path = answer.status, request.method, request.path
    where = {"method": method, "path": path}
    reads = request.action is Action.READ
    named = f"{message} (id {request.job_id!r:.80})"
    if reads and (status == 404 or (status == 400 and "retrieve" in message.lower())):
        return Fail(BatchNotFoundError(named, status=status, **where))
    if status == 429:
        hint = retry_after(answer, now_epoch)
        limited = RateLimitError(message, retry_after=hint, method=method, path=path)
        return Retry(limited, hint, pause_all=True)
    if status >= 500:
        # A single job's unknown id is a 500 "Could not retrieve ...": retried like an
        # outage, and once retries are spent it says no such job.
        single = reads and request.job is not None and not request.job.bulk
        if single and "could not retrieve" in message.lower():
            return Retry(BatchNotFoundError(named, status=status, **where))
        return Retry(ServerError(message, status=status, **where))
    if 300 <= status < 400:
        message = f"{message} refused: the client never follows redirects with the key"
    elif status not in _FINAL and status != 400:
        message = f"unexpected status: {message}"
    return Fail(_FINAL.get(status, APIError)(message, status=status, **where))


def _unreadable(request: Request, error: ResponseError, response: Response | None) -> Fail:
    """A start's answer whose body could not be read (with no ``response``: over the size
    cap, refused unread)."""
    status = error.status if response is None else response.status
    body = error.body if response is None else response.body
    where = f"{request.method} {request.path}: HTTP {status} but {error}"
    return _unknown(where, error, status=status, body=body)


def _unknown(
    message: str, cause: EnrowError | None, status: int | None = None, body: bytes = b""
) -> Fail:
    """A start that may have acted: never resent. Chained to the failure behind it
    (``cause``); ``status`` and ``body`` of its answer, if any."""
    message = f"{message}; the job may have been created, so it is not sent again"
    error = OutcomeUnknownError(message, status=status, body=body)
    error.__cause__ = cause
    return Fail(error)
