"""pytest-asyncio, strict mode: each async test is marked."""

import pytest

from enrow_async import BatchStatus, EnrowClient
from enrow_async.testing import EnrowSimulator

SEARCHES = [{"fullname": "Jim Halpert", "company_domain": "dundermifflin.com"}]


@pytest.mark.asyncio
async def test_find(enrow_simulator: EnrowSimulator, enrow_client: EnrowClient) -> None:
    batch_id = enrow_simulator.add_batch(SEARCHES, duration=0.1)
    batch = await enrow_client.wait_for_batch(batch_id, timeout=30)
    assert batch.status is BatchStatus.COMPLETED
    assert batch.results[0].email == enrow_simulator.batch(batch_id).results[0]["email"]


@pytest.mark.asyncio(loop_scope="module")
async def test_my_own_client(enrow_simulator: EnrowSimulator, enrow_base_url: str) -> None:
    async with EnrowClient(enrow_simulator.api_key, base_url=enrow_base_url) as client:
        job = await client.start_bulk_search(SEARCHES)
        batch = await client.wait_for_batch(job.id, timeout=30)
    assert batch.stats.finished == 1
