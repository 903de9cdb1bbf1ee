"""The simulator's faults on the wire, as a real aiohttp client sees them (what they mean
is tested in memory: ``tests/unit/testing/test_simulator_faults.py``)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from contextlib import AbstractAsyncContextManager
from functools import partial

import aiohttp
import pytest
from helpers import BULK, JIM

from enrow_async.testing import EnrowSimulator

pytestmark = pytest.mark.anyio

SEARCHES = {"searches": JIM}


Poll = Callable[[], AbstractAsyncContextManager[aiohttp.ClientResponse]]


@pytest.fixture
async def poll(http: aiohttp.ClientSession, sim: EnrowSimulator) -> Poll:
    """``async with poll() as response``: a GET of a completed batch, as a client polls it."""
    batch_id = sim.add_batch(SEARCHES["searches"], duration=0.0)
    return partial(http.get, BULK, params={"id": batch_id})


async def test_html_502(sim: EnrowSimulator, poll: Poll) -> None:
    sim.inject("html_502")
    async with poll() as response:
        assert response.status == 502
        assert response.content_type == "text/html"
        assert b"502 Bad Gateway" in await response.read()


async def test_rate_limited_fault_says_when_to_retry(sim: EnrowSimulator, poll: Poll) -> None:
    sim.inject("rate_limited")
    async with poll() as response:
        assert response.status == 429
        assert response.headers["Retry-After"] == "0.05"


async def test_drop_closes_the_connection(sim: EnrowSimulator, poll: Poll) -> None:
    # aiohttp resends an idempotent request once when a kept-alive connection drops.
    sim.inject("drop")
    async with poll() as response:
        assert response.status == 200
    sim.inject("drop", count=2)
    with pytest.raises(aiohttp.ServerDisconnectedError):
        async with poll() as response:
            await response.read()
    assert sim.stats.faults == {"drop": 3}


async def test_truncate_cuts_the_body_short(sim: EnrowSimulator, poll: Poll) -> None:
    sim.inject("truncate")
    with pytest.raises(aiohttp.ClientPayloadError):
        async with poll() as response:
            assert response.status == 200
            await response.read()


async def test_hang_never_answers_until_the_simulator_stops(
    sim: EnrowSimulator, poll: Poll
) -> None:
    sim.inject("hang")
    with pytest.raises(TimeoutError):
        async with asyncio.timeout(0.1), poll():
            pass
    assert sim.stats.faults == {"hang": 1}


async def test_a_dropped_post_may_or_may_not_have_created_the_batch(
    http: aiohttp.ClientSession, sim: EnrowSimulator
) -> None:
    sim.inject("drop", path=BULK, method="POST")
    sim.inject("drop_after", path=BULK, method="POST")
    for _ in range(2):
        with pytest.raises(aiohttp.ServerDisconnectedError):
            async with http.post(BULK, json=SEARCHES) as response:
                await response.read()
    stats = sim.stats
    assert stats.requests["POST", BULK] == 2
    assert stats.created == {BULK: 1}
    assert stats.faults == {"drop": 1, "drop_after": 1}
