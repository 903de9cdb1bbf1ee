"""The simulator's outage windows and answer faults, in memory on the virtual clock."""

from __future__ import annotations

import anyio
import orjson
import pytest
from helpers import BULK, Connect

from enrow_async import (
    APIError,
    BatchStatus,
    InconsistentAnswerError,
    ServerError,
    TransportError,
)
from enrow_async.testing import EnrowSimulator, Faults, Outage, SimulatorConfig

pytestmark = pytest.mark.anyio

SEARCHES = [{"fullname": f"Person {i}", "company_domain": "dundermifflin.com"} for i in range(3)]


def test_an_outage_must_make_sense() -> None:
    with pytest.raises(ValueError, match="start <= end"):
        Outage(5.0, 1.0, "503")
    with pytest.raises(ValueError, match="kind"):
        Outage(0.0, 1.0, "flood")  # type: ignore[arg-type]


@pytest.mark.parametrize("kind", ["503", "reset", "refuse", "429"])
async def test_every_request_in_the_window_fails_and_none_after(
    connect: Connect, kind: str
) -> None:
    faults = Faults(outages=(Outage(10.0, 20.0, kind),), retry_after=1.0)  # type: ignore[arg-type]
    async with EnrowSimulator(SimulatorConfig(faults=faults, duration=60.0), serve=False) as sim:
        batch_id = sim.add_batch(SEARCHES)
        async with connect(sim) as client:
            await anyio.sleep(12.0)
            with pytest.raises((ServerError, TransportError, APIError)):
                await client.get_bulk_results(batch_id)
            await anyio.sleep(10.0)
            batch = await client.get_bulk_results(batch_id)
        assert batch.status is BatchStatus.ONGOING
        assert sim.stats.faults[f"outage_{kind}"] >= 1


async def test_a_refused_start_is_sent_again_and_starts_one_batch(connect: Connect) -> None:
    faults = Faults(outages=(Outage(0.0, 0.5, "refuse"),))
    async with EnrowSimulator(SimulatorConfig(faults=faults), serve=False) as sim:
        async with connect(sim) as client:
            job = await client.start_bulk_search(SEARCHES)  # refused at t=0, sent again
        assert sim.stats.created["/email/find/bulk"] == 1
        assert sim.batch(job.id).requested == 3
        assert sim.stats.faults["outage_refuse"] >= 1


async def test_a_wait_outlives_the_simulators_outage(connect: Connect) -> None:
    faults = Faults(outages=(Outage(1.0, 31.0, "503"),))
    async with EnrowSimulator(SimulatorConfig(faults=faults, duration=5.0), serve=False) as sim:
        ids = [sim.add_batch(SEARCHES) for _ in range(50)]
        async with connect(sim) as client:
            seen = [b.id async for b in client.wait_for_batches(ids, timeout=120)]
        during = sim.stats.faults["outage_503"]
    assert sorted(seen) == sorted(ids)
    assert during <= 64 + 12  # the polls in flight, then one probe at a time


async def test_an_inconsistent_answer_is_read_again_and_raised_if_it_stays(
    sim: EnrowSimulator, connect: Connect
) -> None:
    """Results that repeat an index: read again, and the wait goes on; inconsistent every
    time, the error names the problem and keeps the body."""
    batch_id = sim.add_batch(SEARCHES, duration=0.0)
    sim.inject("inconsistent", count=2, path=BULK)
    async with connect(sim) as client:
        batch = await client.wait_for_batch(batch_id, timeout=60)
        assert [r.index for r in batch.results] == [0, 1, 2]
        assert sim.stats.faults["inconsistent"] == 2
        sim.inject("inconsistent", count=100, path=BULK)
        with pytest.raises(InconsistentAnswerError, match="given twice: 0") as info:
            await client.wait_for_batch(batch_id, timeout=60)
    assert b'"results"' in info.value.body
    assert orjson.loads(info.value.body)["general"]["id"] == batch_id
