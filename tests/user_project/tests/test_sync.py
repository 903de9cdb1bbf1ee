"""Synchronous tests: the simulator is served from a background thread with its own loop,
for code under test that runs its own (asyncio.run, anyio.run)."""

import asyncio

from enrow_async import BatchStatus, EnrowClient
from enrow_async.testing import SimulatorThread


def count_found(base_url: str, api_key: str, batch_id: str) -> int:
    """The code under test: synchronous, it runs its own event loop."""

    async def wait() -> int:
        async with EnrowClient(api_key, base_url=base_url) as client:
            batch = await client.wait_for_batch(batch_id, timeout=30)
        assert batch.status is BatchStatus.COMPLETED
        return batch.stats.valid

    return asyncio.run(wait())


def test_count_found(enrow_simulator_thread: SimulatorThread) -> None:
    served = enrow_simulator_thread
    searches = [{"fullname": "Jim Halpert", "company_domain": "dundermifflin.com"}]
    batch_id = served.call(lambda sim: sim.add_batch(searches, duration=0.1))
    valid = count_found(served.base_url, served.api_key, batch_id)
    assert valid == served.call(lambda sim: sim.completed_body(batch_id)["stats"]["valid"])
