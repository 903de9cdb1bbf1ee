"""Shared test setup: anyio on asyncio (aiohttp runs on asyncio only) and the seed payload."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import orjson
import pytest

DATA = Path(__file__).parent / "data"


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
