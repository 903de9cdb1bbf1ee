"""Shared test setup: anyio on asyncio (aiohttp runs on asyncio only) and the seed payload."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import orjson
import pytest
from hypothesis import HealthCheck, settings

DATA = Path(__file__).parent / "data"

# Timing is not what the property tests check: on a shared 2-core machine one draw was seen
# to stall for a second (CI, too_slow health check), so no deadline and no speed check.
settings.register_profile(
    "shared-machine", deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
settings.load_profile("shared-machine")


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture
def seed_body() -> bytes:
    """The completed-batch example of the seed document (get-bulk-email-results.md)."""
    return (DATA / "seed_completed.json").read_bytes()


@pytest.fixture
def seed_json(seed_body: bytes) -> Any:
    return orjson.loads(seed_body)
