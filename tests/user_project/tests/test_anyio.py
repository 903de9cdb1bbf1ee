"""anyio's plugin (@pytest.mark.anyio), on asyncio; the in-memory simulator on a virtual
clock: an hour-long batch is waited on in milliseconds."""

import anyio
import pytest

from enrow_async import BatchStatus, EnrowClient
from enrow_async.testing import EnrowSimulator, MemoryTransport, VirtualClockLoop


@pytest.fixture
def anyio_backend() -> object:
    return ("asyncio", {"loop_factory": VirtualClockLoop})


@pytest.mark.anyio
async def test_an_hour_long_batch(
    enrow_memory_simulator: EnrowSimulator, enrow_memory_transport: MemoryTransport
) -> None:
    sim = enrow_memory_simulator
    batch_id = sim.add_batch([{"fullname": "Jim Halpert", "company_name": "Dunder"}], duration=3600)
    client = EnrowClient(sim.api_key, base_url=sim.base_url, transport=enrow_memory_transport)
    async with client:
        batch = await client.wait_for_batch(batch_id, timeout=7200)
    assert batch.status is BatchStatus.COMPLETED
    assert anyio.current_time() >= 3600  # virtual seconds
