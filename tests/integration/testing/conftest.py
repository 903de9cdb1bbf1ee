"""The simulator served on 127.0.0.1 (``sim``), and a plain aiohttp caller onto it."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import aiohttp
import orjson
import pytest

from enrow_async.testing import EnrowSimulator

Call = Callable[..., Awaitable[tuple[int, Any]]]
"""``await call(method, path, json=..., data=..., params=..., headers=...)`` -> status, body."""


@pytest.fixture
async def http(sim: EnrowSimulator) -> AsyncIterator[aiohttp.ClientSession]:
    """A plain aiohttp session on the simulator, sending the right key."""
    async with aiohttp.ClientSession(sim.base_url, headers={"x-api-key": sim.api_key}) as session:
        yield session


@pytest.fixture
def call(http: aiohttp.ClientSession) -> Call:
    """One request; the body comes back decoded when it is JSON, as bytes otherwise."""

    async def call(method: str, path: str, **kwargs: Any) -> tuple[int, Any]:
        async with http.request(method, path, **kwargs) as response:
            body = await response.read()
            if response.content_type == "application/json":
                return response.status, orjson.loads(body)
            return response.status, body

    return call
