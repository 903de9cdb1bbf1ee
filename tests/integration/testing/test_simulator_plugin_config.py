"""The ``enrow_simulator_config`` fixture, overridden here, configures ``enrow_simulator``."""

from __future__ import annotations

import pytest

from enrow_async.testing import EnrowSimulator, SimulatorConfig

pytestmark = pytest.mark.anyio


@pytest.fixture
def enrow_simulator_config() -> SimulatorConfig:
    return SimulatorConfig(api_key="fixture-key", index_as="int")


async def test_overridden_config_is_used(enrow_simulator: EnrowSimulator) -> None:
    assert enrow_simulator.api_key == "fixture-key"
    batch_id = enrow_simulator.add_batch([{"fullname": "A B", "company_name": "C"}], duration=0)
    assert enrow_simulator.completed_body(batch_id)["results"][0]["index"] == 0
