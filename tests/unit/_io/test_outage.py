"""Waits outlive outages (issue 12, rule 1), in virtual time over the in-memory simulator.

``Outage`` stands between the client and the simulator: during its window every request
fails as the chosen failure does on the wire, and it counts what reached it then.
"""

from __future__ import annotations

from collections.abc import Callable

import anyio
import pytest
from multidict import CIMultiDict, CIMultiDictProxy

from enrow_async import BatchStatus, BulkResults, EnrowClient, TransportError
from enrow_async._core.convert import structure
from enrow_async._core.http import Request, Response
from enrow_async.testing import EnrowSimulator, MemoryTransport, SimulatorConfig

pytestmark = pytest.mark.anyio

Connect = Callable[..., EnrowClient]
SEARCHES = [{"fullname": "Jim Halpert", "company_domain": "dundermifflin.com"}]


class Outage:
    """A Transport failing every request between ``start`` and ``end`` (loop clock)."""

    def __init__(self, inner: MemoryTransport, start: float, end: float, kind: str) -> None:
        self.inner, self.start, self.end, self.kind = inner, start, end, kind
        self.during = 0
        self.total = 0

    async def send(self, request: Request) -> Response:
        self.total += 1
        if self.start <= anyio.current_time() < self.end:
            self.during += 1
            if self.kind == "refused":
                raise TransportError("cannot connect (outage)", request_sent=False)
            if self.kind == "reset":
                raise TransportError("connection reset (outage)")
            status, extra = (429, {"Retry-After": "1"}) if self.kind == "429" else (503, {})
            headers = CIMultiDictProxy(CIMultiDict({"content-type": "application/json", **extra}))
            return Response(status, headers, b'{"message": "unavailable"}')
        return await self.inner.send(request)

    async def aclose(self) -> None:
        await self.inner.aclose()


@pytest.mark.parametrize(
    ("kind", "seconds"), [("refused", 5.0), ("reset", 5.0), ("503", 5.0), ("503", 900.0)]
)
async def test_300_waits_outlive_an_outage_with_exact_results(
    connect: Connect, kind: str, seconds: float
) -> None:
    config = SimulatorConfig(seed=7, duration=(2.0, 30.0))
    async with EnrowSimulator(config, serve=False) as sim:
        ids = [sim.add_batch(SEARCHES * 3) for _ in range(300)]
        outage = Outage(MemoryTransport(sim), 1.0, 1.0 + seconds, kind)
        timeout = seconds + 60.0
        async with connect(sim, transport=outage) as client:

            async def wait(batch_id: str) -> None:
                batch = await client.wait_for_batch(batch_id, timeout=timeout)
                assert batch.status is BatchStatus.COMPLETED
                assert batch == structure(sim.completed_body(batch_id), BulkResults, body=b"{}")
                done.append(batch_id)

            done: list[str] = []
            async with anyio.create_task_group() as tg:
                for batch_id in ids:
                    tg.start_soon(wait, batch_id)
    assert sorted(done) == sorted(ids)
    # Bounded whatever the number of waits: the polls in flight when it began (at most
    # max_in_flight, 64), then one probe at a time, at most one every 5-10 s once it lasts
    # (a jittered step of the retry policy's backoff, capped at 10 s).
    assert outage.during <= 64 + 3 + seconds / 0.5 * 0 + _probes(seconds)
    print(
        f"\n{kind} {seconds:g} s: {outage.during} requests during the outage, {outage.total} in all"
    )


def _probes(seconds: float) -> int:
    """Probes in ``seconds`` of outage, at the most: waits of 0.1-0.2 s doubling, capped at
    5-10 s (``Backoff()``'s ceiling, jittered down to half)."""
    wait, spent, probes = 0.1, 0.0, 0
    while spent < seconds:
        spent += wait
        probes += 1
        wait = min(wait * 2, 5.0)
    return probes


async def test_a_30_s_storm_of_429s_delays_waits_but_fails_none(connect: Connect) -> None:
    async with EnrowSimulator(SimulatorConfig(seed=8, duration=(2.0, 10.0)), serve=False) as sim:
        ids = [sim.add_batch(SEARCHES) for _ in range(100)]
        storm = Outage(MemoryTransport(sim), 0.5, 30.5, "429")
        async with connect(sim, transport=storm) as client:
            seen = [b.id async for b in client.wait_for_batches(ids, timeout=120)]
    assert sorted(seen) == sorted(ids)
    assert storm.during <= 64 + _probes(30.0) + 30  # at most about one a second: Retry-After 1
