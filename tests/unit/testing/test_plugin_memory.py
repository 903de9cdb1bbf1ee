"""The plugin's in-memory fixtures, configured by ``enrow_simulator_config``, on virtual time."""

from __future__ import annotations

import anyio
import pytest

from enrow_async import BatchStatus, EnrowClient
from enrow_async.testing import MEMORY_BASE_URL, EnrowSimulator, MemoryTransport, SimulatorConfig

pytestmark = pytest.mark.anyio


@pytest.fixture
def enrow_simulator_config() -> SimulatorConfig:
    return SimulatorConfig(api_key="fixture-key", duration=1800.0)


async def test_a_client_on_the_memory_fixtures(
    enrow_memory_simulator: EnrowSimulator, enrow_memory_transport: MemoryTransport
) -> None:
    sim = enrow_memory_simulator
    assert (sim.api_key, sim.base_url) == ("fixture-key", MEMORY_BASE_URL)
    batch_id = sim.add_batch([{"fullname": "A B", "company_name": "C"}])
    client = EnrowClient(sim.api_key, base_url=sim.base_url, transport=enrow_memory_transport)
    async with client:
        batch = await client.wait_for_batch(batch_id, timeout=3600)
    assert batch.status is BatchStatus.COMPLETED
    assert anyio.current_time() >= 1800.0  # half an hour of virtual time


def test_the_plugin_is_opt_in_not_loaded_into_every_pytest_run() -> None:
    from importlib.metadata import entry_points

    assert not [e for e in entry_points(group="pytest11") if e.value.startswith("enrow_async")]
