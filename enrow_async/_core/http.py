"""Requests and responses as plain data: what the core builds and the transport carries.

A ``Request`` says what it is for in structured fields (``action``, ``job``,
``idempotent``), so that classifying its answer never reads meaning back out of a URL.
Nothing here does I/O. The API key travels in request headers (from ``config.ApiConfig``),
and no repr shows it.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

import attrs

if TYPE_CHECKING:
    from .jobs import JobSpec

__all__ = ["Action", "Request", "Response"]


class Action(enum.Enum):
    """What a request does: start a job (POST), read a job by id, or read the account."""

    START = "start"
    READ = "read"
    ACCOUNT = "account"


@attrs.frozen(repr=False)
class Request:
    """One HTTP request, ready to send.

    ``path`` and ``params`` (the query, not yet encoded) name it; ``action`` and ``job`` say
    what it is for; ``idempotent`` says whether sending it twice is harmless (every GET; no
    POST that starts a paid job). ``read_timeout`` asks the transport to give the attempt up
    after that many seconds without a byte of the answer (``None``: the caller's deadline
    alone bounds it, as for a poll).
    """

    method: str
    base_url: str
    path: str
    headers: Mapping[str, str]
    action: Action
    job: JobSpec[Any] | None = None
    params: Mapping[str, str] = attrs.field(factory=dict)
    body: bytes | None = None
    idempotent: bool = attrs.field()
    read_timeout: float | None = None
    url: str = attrs.field(init=False, eq=False)
    """The full URL, every query value percent-encoded; built once, since a watch sends
    the same request at every poll."""

    @idempotent.default
    def _idempotent(self) -> bool:
        return self.method == "GET"

    @url.default
    def _build_url(self) -> str:
        if not self.params:
            return self.base_url + self.path
        query = "&".join(f"{quote(k, safe='')}={quote(v, safe='')}" for k, v in self.params.items())
        return f"{self.base_url}{self.path}?{query}"

    @property
    def job_id(self) -> str | None:
        """The id a read asks about (``?id=``), if any."""
        return self.params.get("id")

    def __repr__(self) -> str:
        return f"Request({self.method} {self.url}, headers=<redacted>)"


@attrs.frozen(repr=False)
class Response:
    """One HTTP answer: status, headers (lower-case names) and the whole body."""

    status: int
    headers: Mapping[str, str]
    body: bytes

    def __repr__(self) -> str:
        return f"Response(status={self.status}, {len(self.body)} bytes)"
