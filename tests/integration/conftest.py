"""Integration tests: simulators served on 127.0.0.1 (port 0), a standard loop, real time."""

from __future__ import annotations

import pytest


@pytest.fixture
def served() -> bool:
    return True
