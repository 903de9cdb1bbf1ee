"""Which request gets which fault, and how each fault looks on the wire."""

from __future__ import annotations

import asyncio
import contextlib
import random

import attrs
from aiohttp import web

from ._config import FAULT_KINDS, FaultKind, Faults

__all__ = ["FaultPicker", "json_response", "with_fault_after", "with_fault_before"]

_BAD_GATEWAY = (
    "<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n"
    "<center><h1>502 Bad Gateway</h1></center>\r\n</body>\r\n</html>\r\n"
)


def json_response(status: int, body: bytes) -> web.Response:
    return web.Response(status=status, body=body, content_type="application/json")


@attrs.define
class _Injection:
    kind: FaultKind
    remaining: int
    path: str | None
    method: str | None

    def matches(self, method: str, path: str) -> bool:
        return (self.path is None or self.path == path) and (
            self.method is None or self.method == method
        )


class FaultPicker:
    """Forced faults first (in the order injected), then the seeded per-request draw."""

    def __init__(self, faults: Faults, seed: int) -> None:
        self.faults = faults
        self._total = faults.total
        self._rng = random.Random(f"faults:{seed}")
        self._injected: list[_Injection] = []

    def inject(
        self, kind: FaultKind, count: int = 1, path: str | None = None, method: str | None = None
    ) -> None:
        if kind not in FAULT_KINDS:
            raise ValueError(f"unknown fault kind {kind!r}; expected one of {FAULT_KINDS!r}")
        if count < 1:
            raise ValueError(f"count must be >= 1, got {count!r}")
        self._injected.append(_Injection(kind, count, path, method and method.upper()))

    def pick(self, method: str, path: str) -> FaultKind | None:
        for injection in self._injected:
            if injection.matches(method, path):
                injection.remaining -= 1
                if not injection.remaining:
                    self._injected.remove(injection)
                return injection.kind
        if not self._total or method not in self.faults.methods:
            return None
        draw = self._rng.random()
        for kind in FAULT_KINDS:
            draw -= self.faults.rate(kind)
            if draw < 0:
                return kind
        return None

    def server_error_status(self) -> int:
        return self._rng.choice((500, 503))


def _drop(request: web.Request) -> web.Response:
    """Close the connection: the client sees it end without (the rest of) an answer."""
    if request.transport is not None:
        request.transport.close()
    return web.Response(status=500)  # never reaches the client


async def with_fault_before(
    picker: FaultPicker, kind: FaultKind, request: web.Request, stopping: asyncio.Event
) -> web.Response | None:
    """The answer a fault puts in place of the API's, or None to let the API answer."""
    if kind == "server_error":
        status = picker.server_error_status()
        message = b"Internal server error" if status == 500 else b"Service unavailable"
        return json_response(status, b'{"message": "' + message + b'"}')
    if kind == "html_502":
        return web.Response(status=502, text=_BAD_GATEWAY, content_type="text/html")
    if kind == "rate_limited":
        response = json_response(429, b'{"message": "Too Many Requests"}')
        response.headers["Retry-After"] = f"{picker.faults.retry_after:g}"
        return response
    if kind == "drop":
        return _drop(request)
    if kind == "hang":
        await stopping.wait()
        return _drop(request)
    if kind == "slow":
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(picker.faults.slow_seconds):
                await stopping.wait()
    return None


async def with_fault_after(
    kind: FaultKind, request: web.Request, response: web.Response
) -> web.StreamResponse:
    """The API's answer, lost (``drop_after``) or cut short (``truncate``) on the way out."""
    if kind == "drop_after":
        return _drop(request)
    if kind != "truncate":
        return response
    body = response.body
    assert isinstance(body, bytes)
    cut = web.StreamResponse(status=response.status, headers=response.headers)
    cut.content_length = len(body)
    await cut.prepare(request)
    await cut.write(body[: len(body) // 2])
    _drop(request)
    return cut
