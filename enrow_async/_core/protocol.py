"""Sans-I/O protocol: build requests, map answers to models or exceptions.

Nothing here does I/O or sleeps. The transport turns a :class:`Request` into a
:class:`Response`; :func:`error_for` is the single place where a status code becomes an
exception.
"""

from __future__ import annotations

import math
from typing import Any, TypeVar
from urllib.parse import urlsplit

import orjson

from ..errors import (
    APIError,
    AuthenticationError,
    BatchNotFoundError,
    EnrowError,
    InsufficientCreditsError,
    RateLimitError,
    ResponseError,
    ServerError,
)
from ..models import BulkResults
from .convert import ongoing_bulk, structure
from .http import DEFAULT_BASE_URL, Action, ApiConfig, JobKind, Request, Response

__all__ = [
    "BULK_EMAIL_PATH",
    "DEFAULT_BASE_URL",
    "ApiConfig",
    "Request",
    "Response",
    "bulk_results_request",
    "check_batch_id",
    "check_timeout",
    "decode",
    "error_for",
    "get_request",
    "parse",
    "parse_bulk_results",
    "retry_after",
]

T = TypeVar("T")

BULK_EMAIL_PATH = "/email/find/bulk"


def check_batch_id(batch_id: object) -> str:
    """Refuse anything but a non-empty string before a request is built."""
    if not isinstance(batch_id, str):
        raise TypeError(f"batch id must be a str, got {type(batch_id).__name__}")
    if not batch_id.strip():
        raise ValueError("batch id must be a non-empty string")
    return batch_id


def check_timeout(timeout: object) -> float | None:
    """``None`` (wait forever, explicitly) or a finite number of seconds >= 0."""
    if timeout is None:
        return None
    if isinstance(timeout, bool) or not isinstance(timeout, int | float):
        raise TypeError(f"timeout must be a number of seconds or None, got {timeout!r}")
    if math.isnan(timeout) or timeout < 0:
        raise ValueError(f"timeout must be >= 0 seconds, got {timeout!r}")
    return float(timeout)


PATH_KINDS = {
    "/email/find/bulk": JobKind.EMAIL_BULK,
    "/email/find/single": JobKind.EMAIL_SINGLE,
    "/email/verify/bulk": JobKind.VERIFY_BULK,
    "/email/verify/single": JobKind.VERIFY_SINGLE,
    "/phone/bulk": JobKind.PHONE_BULK,
    "/phone/single": JobKind.PHONE_SINGLE,
}


def get_request(config: ApiConfig, path: str, batch_id: str) -> Request:
    """``GET path?id=...``: read one job."""
    return Request(
        "GET",
        config.base_url,
        path,
        config.headers,
        Action.READ,
        PATH_KINDS[path],
        params={"id": batch_id},
    )


def bulk_results_request(config: ApiConfig, batch_id: str) -> Request:
    return get_request(config, BULK_EMAIL_PATH, check_batch_id(batch_id))


def decode(response: Response) -> Any:
    """The body as JSON, or ResponseError keeping the raw bytes."""
    try:
        return orjson.loads(response.body)
    except orjson.JSONDecodeError as exc:
        kind = response.headers.get("content-type", "unknown type")
        raise ResponseError(
            f"HTTP {response.status} body is not JSON ({kind}, {len(response.body)} bytes): {exc}",
            body=response.body,
            status=response.status,
        ) from None


def retry_after(response: Response) -> float | None:
    """Seconds from a numeric ``Retry-After`` header, if the server sent one."""
    raw = response.headers.get("retry-after")
    if raw is None:
        return None
    try:
        value = float(raw)
    except ValueError:
        return None
    return value if math.isfinite(value) and value >= 0 else None


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


def error_for(response: Response, request: Request) -> EnrowError | None:
    """The exception an answer stands for, or ``None`` for a success (2xx)."""
    status = response.status
    if 200 <= status < 300:
        return None
    method, path = request.method, request.path
    if 300 <= status < 400:
        target = urlsplit(response.headers.get("location", ""))
        origin = f"{target.scheme}://{target.netloc}" if target.netloc else "the same origin"
        return APIError(
            f"redirect to {origin} refused: the client never follows redirects with the API key",
            status=status,
            method=method,
            path=path,
        )
    message = _server_message(response)
    by_id = request.action is Action.READ
    if status == 401:
        return AuthenticationError(message, status=status, method=method, path=path)
    if status in (402, 422):
        return InsufficientCreditsError(message, status=status, method=method, path=path)
    if by_id and (status == 404 or (status == 400 and "retrieve" in message.lower())):
        return BatchNotFoundError(message, status=status, method=method, path=path)
    if status == 429:
        return RateLimitError(message, retry_after=retry_after(response), method=method, path=path)
    if status >= 500:
        return ServerError(message, status=status, method=method, path=path)
    if status == 400:
        return APIError(message, status=status, method=method, path=path)
    return APIError(f"unexpected status: {message}", status=status, method=method, path=path)


def parse(response: Response, request: Request, cls: type[T]) -> T:
    """Map an answer to ``cls`` or raise the exception it stands for."""
    error = error_for(response, request)
    if error is not None:
        raise error
    return structure(decode(response), cls, body=response.body)


def parse_bulk_results(response: Response, request: Request) -> BulkResults:
    """Like :func:`parse`, with the reduced in-progress body read on its own fast path."""
    error = error_for(response, request)
    if error is not None:
        raise error
    data = decode(response)
    return ongoing_bulk(data) or structure(data, BulkResults, body=response.body)
