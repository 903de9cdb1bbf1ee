"""The simulator's gzip bomb over real HTTP: aiohttp decodes it, the transport caps it."""

from __future__ import annotations

import pytest

from enrow_async import EnrowClient, ResponseError
from enrow_async.testing import EnrowSimulator, Faults, SimulatorConfig

pytestmark = pytest.mark.anyio


async def test_a_gzip_bomb_with_a_content_length_is_refused_on_its_decoded_size() -> None:
    config = SimulatorConfig(faults=Faults(bomb_bytes=4 * 2**20), duration=0.0)
    async with EnrowSimulator(config, host="127.0.0.1", port=0) as sim:
        batch_id = sim.add_batch([{"fullname": "Jim Halpert", "company_domain": "dm.com"}])
        sim.inject("bomb", count=1, path="/email/find/bulk")
        async with EnrowClient(
            sim.api_key, base_url=sim.base_url, max_response_bytes=256 * 1024
        ) as client:
            with pytest.raises(ResponseError, match="exceeds the 262144-byte cap"):
                await client.get_bulk_results(batch_id)
        assert sim.stats.faults["bomb"] == 1
