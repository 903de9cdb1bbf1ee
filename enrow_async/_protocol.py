"""Sans-I/O protocol: build requests, map answers to models or exceptions.

Nothing here does I/O or sleeps. The transport turns a :class:`Request` into a
:class:`Response`; :func:`error_for` is the single place where a status code becomes an
exception.
"""

from __future__ import annotations

import ipaddress
import math
from collections.abc import Mapping
from typing import Any, TypeVar
from urllib.parse import quote, urlsplit

import attrs
import orjson

from ._convert import ongoing_bulk, structure
from ._gc import PAUSE_FROM_BYTES, gc_paused
from .errors import (
    APIError,
    AuthenticationError,
    BatchNotFoundError,
    ConfigurationError,
    EnrowError,
    InsufficientCreditsError,
    RateLimitError,
    ResponseError,
    ServerError,
)
from .models import BulkResults

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

DEFAULT_BASE_URL = "https://api.enrow.io"
BULK_EMAIL_PATH = "/email/find/bulk"


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


@attrs.frozen(repr=False)
class ApiConfig:
    """Where and as whom to talk; its repr never shows the key."""

    api_key: str
    base_url: str = DEFAULT_BASE_URL
    headers: Mapping[str, str] = attrs.field(init=False)

    @headers.default
    def _headers(self) -> Mapping[str, str]:
        return {"x-api-key": self.api_key, "accept": "application/json"}

    @classmethod
    def create(cls, api_key: str, base_url: str, *, allow_http: bool = False) -> ApiConfig:
        """Validate ``base_url`` (https, or http on loopback / when allowed) and the key."""
        if not isinstance(api_key, str) or not api_key.strip():
            raise ConfigurationError("the API key must be a non-empty string")
        if not isinstance(base_url, str):
            raise ConfigurationError("base_url must be a string")
        parts = urlsplit(base_url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ConfigurationError(f"base_url must be an http(s) URL, got {base_url!r}")
        if parts.query or parts.fragment:
            raise ConfigurationError("base_url must not carry a query or fragment")
        if parts.scheme == "http" and not allow_http and not _is_loopback(parts.hostname):
            raise ConfigurationError(
                f"refusing plain-http base_url {base_url!r}: the API key would travel in clear;"
                " use https, a loopback address, or pass allow_http=True"
            )
        return cls(api_key=api_key, base_url=base_url.rstrip("/"))

    @property
    def origin(self) -> str:
        parts = urlsplit(self.base_url)
        return f"{parts.scheme}://{parts.netloc}"

    def __repr__(self) -> str:
        return f"ApiConfig(base_url={self.base_url!r}, api_key=<redacted>)"


@attrs.frozen(repr=False)
class Request:
    """One HTTP request, ready to send. ``path`` names it in errors and logs."""

    method: str
    url: str
    path: str
    headers: Mapping[str, str]
    body: bytes | None = None

    def __repr__(self) -> str:
        return f"Request({self.method} {self.url}, headers=<redacted>)"


@attrs.frozen(repr=False)
class Response:
    """One HTTP answer: status, headers and the whole body."""

    status: int
    headers: Mapping[str, str]
    body: bytes

    def __repr__(self) -> str:
        return f"Response(status={self.status}, {len(self.body)} bytes)"


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


def get_request(config: ApiConfig, path: str, batch_id: str) -> Request:
    """``GET path?id=...`` with the id URL-encoded as one query value."""
    url = f"{config.base_url}{path}?id={quote(batch_id, safe='')}"
    return Request("GET", url, path, config.headers)


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
    by_id = request.method == "GET" and "?id=" in request.url
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
    if len(response.body) < PAUSE_FROM_BYTES:
        return structure(decode(response), cls, body=response.body)
    with gc_paused:  # a large body: one burst of objects (see _gc)
        return structure(decode(response), cls, body=response.body)


def parse_bulk_results(response: Response, request: Request) -> BulkResults:
    if len(response.body) >= PAUSE_FROM_BYTES:  # a completed batch
        return parse(response, request, BulkResults)
    error = error_for(response, request)
    if error is not None:
        raise error
    data = decode(response)
    return ongoing_bulk(data) or structure(data, BulkResults, body=response.body)
