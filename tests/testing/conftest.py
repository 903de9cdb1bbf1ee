"""Fixtures for the simulator tests: a manual clock, a simulator on it, a raw HTTP caller."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import aiohttp
import orjson
import pytest

from enrow_async.testing import EnrowSimulator, ManualClock, SimulatorConfig

Call = Callable[..., Awaitable[tuple[int, Any]]]
"""``await call(method, path, json=..., data=..., params=..., headers=...)`` -> status, body."""


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock()


@pytest.fixture
def config(clock: ManualClock) -> SimulatorConfig:
    """Progress that moves only with ``clock``: jobs take 10 s along a straight line."""
    return SimulatorConfig(clock=clock, duration=10.0, curve="linear", seed=3)


@pytest.fixture
async def sim(config: SimulatorConfig) -> AsyncIterator[EnrowSimulator]:
    async with EnrowSimulator(config) as simulator:
        yield simulator


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
