"""The resources' tests: a simulator whose jobs take 0.2-0.4 s (virtual), seed 11."""

from __future__ import annotations

import pytest

from enrow_async.testing import SimulatorConfig


@pytest.fixture
def sim_config() -> SimulatorConfig:
    return SimulatorConfig(duration=(0.2, 0.4), seed=11)
