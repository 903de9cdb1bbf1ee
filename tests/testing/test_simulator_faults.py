"""Faults and the POST rate limit, as a real aiohttp client sees them."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from typing import Any

import aiohttp
import pytest

from enrow_async.testing import EnrowSimulator, Faults, SimulatorConfig

pytestmark = pytest.mark.anyio

Call = Callable[..., Awaitable[tuple[int, Any]]]

BULK = "/email/find/bulk"
SEARCHES = {"searches": [{"fullname": "Jim Halpert", "company_domain": "dundermifflin.com"}]}


@pytest.fixture
def batch_id(sim: EnrowSimulator) -> str:
    return sim.add_batch(SEARCHES["searches"], duration=0.0)


async def test_server_error(call: Call, sim: EnrowSimulator, batch_id: str) -> None:
    sim.inject("server_error")
    status, body = await call("GET", BULK, params={"id": batch_id})
    assert status in (500, 503)
    assert isinstance(body["message"], str)
    assert (await call("GET", BULK, params={"id": batch_id}))[0] == 200
    assert sim.stats.faults == {"server_error": 1}


async def test_html_502(http: aiohttp.ClientSession, sim: EnrowSimulator, batch_id: str) -> None:
    sim.inject("html_502")
    async with http.get(BULK, params={"id": batch_id}) as response:
        assert response.status == 502
        assert response.content_type == "text/html"
        assert b"502 Bad Gateway" in await response.read()


async def test_rate_limited_fault_says_when_to_retry(
    http: aiohttp.ClientSession, sim: EnrowSimulator, batch_id: str
) -> None:
    sim.inject("rate_limited")
    async with http.get(BULK, params={"id": batch_id}) as response:
        assert response.status == 429
        assert response.headers["Retry-After"] == "0.05"


async def test_drop_closes_the_connection(
    http: aiohttp.ClientSession, sim: EnrowSimulator, batch_id: str
) -> None:
    # aiohttp resends an idempotent request once when a kept-alive connection drops.
    sim.inject("drop")
    async with http.get(BULK, params={"id": batch_id}) as response:
        assert response.status == 200
    sim.inject("drop", count=2)
    with pytest.raises(aiohttp.ServerDisconnectedError):
        async with http.get(BULK, params={"id": batch_id}) as response:
            await response.read()
    assert sim.stats.faults == {"drop": 3}


async def test_truncate_cuts_the_body_short(
    http: aiohttp.ClientSession, sim: EnrowSimulator, batch_id: str
) -> None:
    sim.inject("truncate")
    with pytest.raises(aiohttp.ClientPayloadError):
        async with http.get(BULK, params={"id": batch_id}) as response:
            assert response.status == 200
            await response.read()


async def test_slow_answers_late_but_right(call: Call, sim: EnrowSimulator, batch_id: str) -> None:
    sim.inject("slow")
    start = time.monotonic()
    status, _ = await call("GET", BULK, params={"id": batch_id})
    assert status == 200
    assert time.monotonic() - start >= 0.2


async def test_hang_never_answers_until_the_simulator_stops(
    http: aiohttp.ClientSession, sim: EnrowSimulator, batch_id: str
) -> None:
    sim.inject("hang")
    with pytest.raises(TimeoutError):
        async with asyncio.timeout(0.2), http.get(BULK, params={"id": batch_id}):
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


async def test_injections_match_path_and_method_and_go_in_order(
    call: Call, sim: EnrowSimulator, batch_id: str
) -> None:
    sim.inject("server_error", count=2, path="/account/info")
    sim.inject("rate_limited", method="POST")
    assert (await call("GET", BULK, params={"id": batch_id}))[0] == 200
    assert (await call("POST", BULK, json=SEARCHES))[0] == 429
    assert (await call("POST", BULK, json=SEARCHES))[0] == 201
    statuses = [(await call("GET", "/account/info"))[0] for _ in range(3)]
    assert statuses[0] in (500, 503)
    assert statuses[1] in (500, 503)
    assert statuses[2] == 200


async def faulted_run(config: SimulatorConfig, n: int) -> tuple[list[int | str], dict[str, int]]:
    """What ``n`` GETs then one POST get from a fresh simulator, and the faults it counted."""
    seen: list[int | str] = []
    async with EnrowSimulator(config) as sim, aiohttp.ClientSession(sim.base_url) as http:
        headers = {"x-api-key": sim.api_key}
        batch_id = sim.add_batch(SEARCHES["searches"], duration=0.0)
        for _ in range(n):
            try:
                async with http.get(BULK, params={"id": batch_id}, headers=headers) as response:
                    await response.read()
                    seen.append(response.status)
            except aiohttp.ClientError as error:
                seen.append(type(error).__name__)
        async with http.post(BULK, json=SEARCHES, headers=headers) as response:
            seen.append(response.status)
        return seen, dict(sim.stats.faults)


async def test_random_faults_are_seeded_and_spare_posts_by_default() -> None:
    faults = Faults(server_error=0.2, rate_limited=0.1, drop=0.1, truncate=0.1, html_502=0.1)
    config = SimulatorConfig(seed=11, faults=faults)
    first, counted = await faulted_run(config, 40)
    assert (first, counted) == await faulted_run(config, 40)
    assert first[-1] == 201
    assert counted.keys() == {"server_error", "rate_limited", "drop", "truncate", "html_502"}
    assert {200, 429, 502, "ClientPayloadError"} <= set(first)
    assert set(first) & {500, 503}


async def test_post_rate_limit_is_ten_per_second(call: Call, sim: EnrowSimulator) -> None:
    answers = await asyncio.gather(*(call("POST", BULK, json=SEARCHES) for _ in range(15)))
    statuses = [status for status, _ in answers]
    assert statuses.count(201) == 10
    assert statuses.count(429) == 5
    assert all(body == {"message": "Rate limit exceeded"} for s, body in answers if s == 429)
    stats = sim.stats
    assert (stats.rate_limited, stats.batches_created) == (5, 10)


async def test_rate_limited_post_says_when_a_slot_frees(
    http: aiohttp.ClientSession, sim: EnrowSimulator
) -> None:
    for _ in range(10):
        async with http.post("/email/verify/single", json={"email": "a@b.co"}) as response:
            assert response.status == 200
    async with http.post(BULK, json=SEARCHES) as response:  # the limit spans POST endpoints
        assert response.status == 429
        wait = float(response.headers["Retry-After"])
    assert 0 < wait <= 1
    await asyncio.sleep(wait)
    async with http.post(BULK, json=SEARCHES) as response:
        assert response.status == 201


async def test_gets_are_not_rate_limited(call: Call, batch_id: str) -> None:
    answers = await asyncio.gather(*(call("GET", BULK, params={"id": batch_id}) for _ in range(30)))
    assert {status for status, _ in answers} == {200}


async def test_stats_are_a_snapshot(call: Call, sim: EnrowSimulator, batch_id: str) -> None:
    before = sim.stats
    await call("GET", BULK, params={"id": batch_id})
    assert before.requests["GET", BULK] == 0
    assert sim.stats.requests["GET", BULK] == 1
