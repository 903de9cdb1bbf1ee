"""Shared test setup: anyio on asyncio (aiohttp runs on asyncio only), the seed payload, and a
simulator with a client on it.

Two worlds share the fixtures. ``tests/unit/`` runs on :class:`VirtualClockLoop` with the
simulator in memory (``MemoryTransport``): no socket, and time jumps whenever every task
waits. ``tests/integration/`` (marked ``integration``) serves the simulator on 127.0.0.1,
port 0, on a standard loop in real time. Elsewhere (the older flat modules) the loop is a
standard one and ``sim`` stays in memory unless a module overrides ``served``.
"""

from __future__ import annotations

import os
import random
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import attrs
import orjson
import pytest
from helpers import Connect, Simulate
from hypothesis import HealthCheck, settings

from enrow_async import EnrowClient, PollPolicy, RetryPolicy
from enrow_async.testing import EnrowSimulator, MemoryTransport, SimulatorConfig

pytest_plugins = ["enrow_async.testing.pytest_plugin"]  # the fixtures users opt into

DATA = Path(__file__).parent / "data"
INTEGRATION = Path(__file__).parent / "integration"
STRIDE = 16

# Timing is not what the property tests check: on a shared 2-core machine one draw was seen
# to stall for a second (CI, too_slow health check), so no deadline and no speed check.
settings.register_profile(
    "shared-machine", deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
settings.load_profile("shared-machine")


PROXY_VARIABLES = ("http_proxy", "https_proxy", "all_proxy", "no_proxy")


@pytest.fixture(autouse=True)
def _no_proxy_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """Clients honour HTTPS_PROXY, HTTP_PROXY and NO_PROXY: a developer's own settings must
    not send the suite's requests to 127.0.0.1 through their proxy (tests that need one set
    it themselves)."""
    for name in list(os.environ):
        if name.lower() in PROXY_VARIABLES:
            monkeypatch.delenv(name)


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "integration: real HTTP on 127.0.0.1 in real time (tests/integration/)"
    )


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark ``tests/integration``'s tests, and spread them through the run: they mostly
    wait in real time (subprocesses, sockets), so each of the workers sharing the run
    (xdist) gets some between tests that keep the CPU busy, instead of one getting them
    all in a row. Every STRIDE-th in turn: the slow ones of a module end up far apart."""
    waiting = [item for item in items if INTEGRATION in item.path.parents]
    for item in waiting:
        item.add_marker(pytest.mark.integration)
    if not waiting:
        return
    busy = [item for item in items if INTEGRATION not in item.path.parents]
    spread = [item for start in range(STRIDE) for item in waiting[start::STRIDE]]
    gap = len(busy) / len(spread)
    items[:] = [
        item
        for number, test in enumerate(spread)
        for item in (test, *busy[round(number * gap) : round((number + 1) * gap)])
    ]


@pytest.fixture
def anyio_backend() -> Any:
    """A standard asyncio loop; ``tests/unit`` overrides this with the virtual clock."""
    return "asyncio"


@pytest.fixture
def served() -> bool:
    """Whether simulators listen on 127.0.0.1 (True in ``tests/integration``) or stay in
    memory, reached through MemoryTransport."""
    return False


@pytest.fixture
def simulate(served: bool) -> Simulate:
    def simulate(config: SimulatorConfig | None = None) -> EnrowSimulator:
        return EnrowSimulator(config, serve=served)

    return simulate


@pytest.fixture
def connect(served: bool) -> Connect:
    def connect(simulator: EnrowSimulator, key: str | None = None, **options: Any) -> EnrowClient:
        if not served:
            options.setdefault("transport", MemoryTransport(simulator))
        draw = random.Random(0).random  # reproducible jitter, unless a test sets its own
        for name, default in (("retry", RetryPolicy()), ("poll_policy", PollPolicy())):
            policy = options.get(name) or default
            options[name] = policy if policy.rand else attrs.evolve(policy, rand=draw)
        return EnrowClient(key or simulator.api_key, base_url=simulator.base_url, **options)

    return connect


@pytest.fixture
def sim_config() -> SimulatorConfig:
    """The configuration of ``sim``: override it in a module to change it."""
    return SimulatorConfig(seed=7)


@pytest.fixture
async def sim(simulate: Simulate, sim_config: SimulatorConfig) -> AsyncIterator[EnrowSimulator]:
    """A running simulator configured by ``sim_config``."""
    async with simulate(sim_config) as simulator:
        yield simulator


@pytest.fixture
async def client(connect: Connect, sim: EnrowSimulator) -> AsyncIterator[EnrowClient]:
    """An open EnrowClient with default options onto ``sim``."""
    async with connect(sim) as opened:
        yield opened


@pytest.fixture
def seed_body() -> bytes:
    """The completed-batch example of the seed document (get-bulk-email-results.md)."""
    return (DATA / "seed_completed.json").read_bytes()


@pytest.fixture
def seed_json(seed_body: bytes) -> Any:
    return orjson.loads(seed_body)
