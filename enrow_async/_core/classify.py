"""One decision per answer: ``classify`` turns what a request got back into a verdict.

The verdict is one of ``Success``, ``Retry`` (with the server's delay hint),
``OutcomeUnknown`` (a request that may have acted and must not be resent),
``NotFound``, or ``Fail`` (a final, typed error). This is the only place where a
status code or a transport failure becomes an exception; the sender acts on the verdict.
The request's own fields (``action``, ``job``, ``idempotent``) say what it was for. It is
also where an answer enters: the API key is blanked in it first (``redact.scrub``), so that
nothing read from it can hold the key. ``classify``'s docstring states which answers to a
start are refusals (only those that prove nothing was created).
"""

from __future__ import annotations

import math
from email.utils import parsedate_to_datetime
from typing import TypeAlias

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
    "NotFound",
    "OutcomeUnknown",
    "Retry",
    "Success",
    "Verdict",
    "classify",
    "classify_body",
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


def _unknown_single_id(request: Request, message: str) -> bool:
    """Single jobs answer an unknown id with 500 ``Could not retrieve ...`` (newest pages)."""
    if request.job is None or request.job.bulk:
        return False
    return "could not retrieve" in message.lower()


def _origin(url: str) -> str:
    """``scheme://host[:port]`` of ``url``, never its userinfo, path or query."""
    try:
        return str(URL(url).origin())
    except ValueError:  # relative (the same origin), or unreadable
        return "the same origin"


_REFUSALS = frozenset({400, 401, 402, 422})
"""Statuses by which the API refuses a start, in its error body: nothing was created."""

_MAY_EXIST = "the job may have been created, so it is not sent again"


def classify(
    request: Request,
    answer: Response | TransportError | ResponseError,
    *,
    now_epoch: float | None = None,
) -> Verdict:
    """The verdict on one attempt of ``request``: a response, the transport's failure, or
    a ResponseError for an answer refused unread (its body over the size cap: final for a
    read, an unknown outcome for a start, which the server may have acted on).

    The API key is blanked in the answer first, in any spelling (``redact.scrub``): nothing
    read from the verdict holds it. ``now_epoch`` (Unix seconds) lets an HTTP-date
    ``Retry-After`` be read.

    A request that is not idempotent (a start: it creates a paid job) may be sent again only
    when the answer proves that the API did not act, and only these do:

    - nothing was sent (a transport failure with ``request_sent=False``), or 429 (the rate
      limit answers before the API acts): ``Retry``;
    - 400, 401, 402 or 422 with the API's error body (a JSON object with a string
      ``message``, ``reason`` or ``error``): the API refused it, ``Fail``.

    Every other answer after sending is ``OutcomeUnknown``, never resent: any redirect
    (``303 See Other`` is how a server says "created, see there"; 307 and 308 too), any 5xx
    (a gateway's 502 or 504 says nothing of the API behind it), a status the API does not
    document for a start (404, 409, 413, ...), a refusal status without the API's error body
    (a proxy's page), a dropped connection or a timeout, and a 2xx whose body cannot be read
    (``classify_body``).

    A read is retried after a transport failure, a 429 or a 5xx; its redirect is refused
    (the key never travels to another origin); 404, or 400 ``Could not retrieve ...``, is
    ``NotFound``.
    """
    if isinstance(answer, TransportError):
        return _failed(request, answer)
    if isinstance(answer, ResponseError):
        return Fail(answer) if request.idempotent else classify_body(request, answer)
    answer = scrub(answer, request)
    status = answer.status
    if 200 <= status < 300:
        return Success(answer)
    if 300 <= status < 400:
        message, documented = f"redirect to {_origin(answer.headers.get('location', ''))}", False
    else:
        message, documented = _server_message(answer)
    if not request.idempotent and status != 429 and not (status in _REFUSALS and documented):
        return OutcomeUnknown(
            OutcomeUnknownError(
                f"{request.method} {request.path}: HTTP {status} ({message}); {_MAY_EXIST}",
                status=status,
                body=answer.body,
            )
        )
    return _refused(request, answer, message, now_epoch)


def _failed(request: Request, failure: TransportError) -> Verdict:
    """The verdict on a transport failure (its text blanked of the key)."""
    failure.args = tuple(redact(a, request) if isinstance(a, str) else a for a in failure.args)
    if not failure.transient:  # a refused certificate or proxy: retrying cannot fix it
        return Fail(failure)
    if request.idempotent or not failure.request_sent:
        return Retry(failure)
    return OutcomeUnknown(OutcomeUnknownError(f"{failure}; {_MAY_EXIST}", request_sent=True))


def _refused(request: Request, answer: Response, message: str, now_epoch: float | None) -> Verdict:
    """The verdict on an error status that says the request did nothing (or a read's)."""
    status, method, path = answer.status, request.method, request.path
    if 300 <= status < 400:
        message = f"{message} refused: the client never follows redirects with the key"
        return Fail(APIError(message, status=status, method=method, path=path))
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
        return Retry(server)
    if status == 400:
        return Fail(APIError(message, status=status, method=method, path=path))
    return Fail(APIError(f"unexpected status: {message}", status=status, method=method, path=path))


def classify_body(
    request: Request, error: ResponseError, response: Response | None = None
) -> Verdict:
    """The verdict on an answer whose body could not be read: a 2xx ``response`` (the one
    ``classify`` scrubbed) not JSON, the wrong shape, or inconsistent, or, with no
    ``response``, a body over the size cap, refused before it was read. A read is tried
    again; a start may have created the job, so its outcome is unknown."""
    if request.idempotent:
        return Retry(error)
    status = error.status if response is None else response.status
    return OutcomeUnknown(
        OutcomeUnknownError(
            f"{request.method} {request.path}: HTTP {status} but {error}; {_MAY_EXIST}",
            status=status,
            body=error.body if response is None else response.body,
        )
    )
