"""pytest-asyncio, auto mode (asyncio_mode = "auto"): async tests need no mark."""

from enrow_async import EnrowClient, Qualification
from enrow_async.testing import EnrowSimulator


async def test_find_emails(enrow_simulator: EnrowSimulator, enrow_client: EnrowClient) -> None:
    results = await enrow_client.find_emails(
        [{"fullname": "Jim Halpert", "company_domain": "dundermifflin.com"}], timeout=60
    )
    assert len(results) == 1
    assert results[0].qualification in set(Qualification)
    assert enrow_simulator.stats.batches_created == 1
