"""The simulator's body faults: a gzip bomb and a dripping answer, in memory (virtual time)."""

from __future__ import annotations

import pytest
from helpers import BULK, JIM, Connect

from enrow_async import BatchStatus, ResponseError
from enrow_async.testing import EnrowSimulator, Faults, MemoryTransport, SimulatorConfig

pytestmark = pytest.mark.anyio


@pytest.mark.parametrize(("padding", "refused"), [(4 * 2**20, True), (1000, False)])
async def test_a_gzip_bomb_is_capped_on_its_decoded_size(
    connect: Connect, padding: int, refused: bool
) -> None:
    config = SimulatorConfig(faults=Faults(bomb_bytes=padding), duration=0.0)
    async with EnrowSimulator(config, serve=False) as sim:
        batch_id = sim.add_batch(JIM)
        sim.inject("bomb", count=1, path=BULK)
        transport = MemoryTransport(sim, max_body=256 * 1024)
        async with connect(sim, transport=transport) as client:
            if refused:
                with pytest.raises(ResponseError, match="exceeds the 262144-byte cap"):
                    await client.get_bulk_results(batch_id)
            else:  # a small padding decodes to JSON with whitespace in front: read as is
                batch = await client.get_bulk_results(batch_id)
                assert batch.status is BatchStatus.COMPLETED


async def test_a_dripping_answer_is_cut_by_the_attempt_deadline_and_tried_again(
    connect: Connect,
) -> None:
    config = SimulatorConfig(faults=Faults(drip_seconds=1.0), duration=0.0)
    async with EnrowSimulator(config, serve=False) as sim:
        batch_id = sim.add_batch(JIM)
        sim.inject("drip", count=1, path=BULK)
        async with connect(sim, connect_timeout=1.0, read_timeout=2.0) as client:
            batch = await client.wait_for_batch(batch_id, timeout=60)
    assert batch.status is BatchStatus.COMPLETED
    assert sim.stats.faults["drip"] == 1
    assert sim.stats.requests["GET", BULK] == 2
