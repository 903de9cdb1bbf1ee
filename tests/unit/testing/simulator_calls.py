"""Raw calls to an in-memory simulator, for the tests of its logic: no client in between."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from typing import Any

import orjson

from enrow_async._core.http import Action, Request
from enrow_async.testing import EnrowSimulator, MemoryTransport

__all__ = ["Call", "caller", "request_to"]

Call = Callable[..., Awaitable[tuple[int, Any]]]
"""``await call(method, path, json=..., data=..., params=..., headers=...)`` -> status, body
(decoded when it is JSON, bytes otherwise); the simulator's key unless ``headers`` says."""


def request_to(
    sim: EnrowSimulator,
    method: str,
    path: str,
    *,
    json: Any = None,
    data: bytes | None = None,
    params: Mapping[str, str] | None = None,
    headers: Mapping[str, str] | None = None,
) -> Request:
    """A request to ``sim`` with its key (unless ``headers`` says), ``json`` or ``data``."""
    sent = {"x-api-key": sim.api_key, **(headers or {})}
    if json is not None:
        data = orjson.dumps(json)
        sent.setdefault("content-type", "application/json")
    action = Action.START if method == "POST" else Action.READ
    return Request(method, sim.base_url, path, sent, action, params=dict(params or {}), body=data)


def caller(sim: EnrowSimulator) -> Call:
    """A :data:`Call` onto ``sim`` through MemoryTransport (TransportError for its faults)."""
    transport = MemoryTransport(sim)

    async def call(method: str, path: str, **options: Any) -> tuple[int, Any]:
        response = await transport.send(request_to(sim, method, path, **options))
        if response.headers.get("content-type", "").split(";")[0] == "application/json":
            return response.status, orjson.loads(response.body)
        return response.status, response.body

    return call
