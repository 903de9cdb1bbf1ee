"""EnrowClient over real loopback HTTP: what only the aiohttp transport can show.

The client's behaviour is tested in memory (``tests/unit/test_client.py``); here, aiohttp's
own errors for faults on the wire, a caller-owned session, and a server that is not the
simulator.
"""

from __future__ import annotations

import aiohttp
import pytest
from aiohttp import web
from helpers import LEADS, QUICK_POLLS, QUICK_RETRY, Connect

from enrow_async import (
    AiohttpTransport,
    Backoff,
    BatchStatus,
    BulkResults,
    EnrowClient,
    ResponseError,
    RetryPolicy,
)
from enrow_async._core.convert import structure
from enrow_async.testing import EnrowSimulator, SimulatorConfig

pytestmark = pytest.mark.anyio


@pytest.fixture
def sim_config() -> SimulatorConfig:
    return SimulatorConfig(duration=0.1, seed=7)


async def test_start_and_wait_over_http(sim: EnrowSimulator, connect: Connect) -> None:
    assert sim.base_url.startswith("http://127.0.0.1:")
    async with connect(sim, poll_policy=QUICK_POLLS) as client:
        job = await client.start_bulk_search(LEADS, custom="campaign_q2")
        batch = await client.wait_for_batch(job.id, timeout=10)
    assert batch.status is BatchStatus.COMPLETED
    assert batch == structure(sim.completed_body(job.id), BulkResults, body=b"{}")


async def test_transient_faults_on_the_wire_are_retried(
    sim: EnrowSimulator, connect: Connect
) -> None:
    # aiohttp resends a GET once by itself when a kept-alive connection drops, so the
    # client sees four of these five faults: within its five attempts.
    batch_id = sim.add_batch(LEADS, duration=0.0)
    for kind in ("server_error", "rate_limited", "drop", "truncate", "html_502"):
        sim.inject(kind, count=1)
    async with connect(sim, retry=QUICK_RETRY) as client:
        batch = await client.get_bulk_results(batch_id)
    assert batch.status is BatchStatus.COMPLETED
    assert sum(sim.stats.faults.values()) == 5


async def test_html_200_is_a_response_error_with_raw_body() -> None:
    # A body that is not JSON but arrives with 200 is read again (like a dropped answer), a
    # bounded number of times, then reported with its raw bytes.
    async def html(_: web.Request) -> web.Response:
        return web.Response(text="<html>maintenance</html>", content_type="text/html")

    app = web.Application()
    app.router.add_get("/email/find/bulk", html)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    try:
        quick = RetryPolicy(attempts=2, backoff=Backoff(initial=0.01, cap=0.01))
        async with EnrowClient("k", base_url=f"http://127.0.0.1:{port}", retry=quick) as client:
            with pytest.raises(ResponseError, match="not JSON") as info:
                await client.get_bulk_results("b1")
        assert info.value.body == b"<html>maintenance</html>"
    finally:
        await runner.cleanup()


async def test_caller_owned_session_is_left_open(sim: EnrowSimulator, connect: Connect) -> None:
    async with aiohttp.ClientSession() as session:
        async with connect(sim, transport=AiohttpTransport(session=session)) as client:
            job = await client.start_bulk_search(LEADS)
        assert not session.closed
        transport = AiohttpTransport(session=session)
        async with connect(sim, transport=transport, poll_policy=QUICK_POLLS) as client:
            await client.wait_for_batch(job.id, timeout=10)
