"""The list engine's tests: a simulator whose batches take 0.2-0.4 s (virtual), seed 5."""

from __future__ import annotations

import pytest

from enrow_async.testing import SimulatorConfig


@pytest.fixture
def sim_config() -> SimulatorConfig:
    return SimulatorConfig(duration=(0.2, 0.4), seed=5)
