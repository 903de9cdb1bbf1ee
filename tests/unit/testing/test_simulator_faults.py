"""Faults and the POST rate limit: which request gets which answer, in memory and in virtual
time. ``tests/integration/testing/test_simulator_wire.py`` shows them as aiohttp sees them."""

from __future__ import annotations

import anyio
import pytest
from helpers import BULK, JIM

from enrow_async.errors import TransportError
from enrow_async.testing import EnrowSimulator, Faults, MemoryTransport, SimulatorConfig

from .simulator_calls import Call, caller, request_to

pytestmark = pytest.mark.anyio

SEARCHES = {"searches": JIM}


@pytest.fixture
async def batch_id(sim: EnrowSimulator) -> str:
    return sim.add_batch(SEARCHES["searches"], duration=0.0)


async def test_server_error(call: Call, sim: EnrowSimulator, batch_id: str) -> None:
    sim.inject("server_error")
    status, body = await call("GET", BULK, params={"id": batch_id})
    assert status in (500, 503)
    assert isinstance(body["message"], str)
    assert (await call("GET", BULK, params={"id": batch_id}))[0] == 200
    assert sim.stats.faults == {"server_error": 1}


async def test_slow_answers_late_but_right(call: Call, sim: EnrowSimulator, batch_id: str) -> None:
    sim.inject("slow")
    start = anyio.current_time()
    status, body = await call("GET", BULK, params={"id": batch_id})
    assert (status, body) == (200, sim.completed_body(batch_id))
    assert anyio.current_time() - start == pytest.approx(0.2)  # slow_seconds, virtual


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


def reason(error: TransportError) -> str:
    message = str(error)
    return "truncated" if "truncated" in message else "dropped"


async def faulted_run(config: SimulatorConfig, n: int) -> tuple[list[int | str], dict[str, int]]:
    """What ``n`` GETs then one POST get from a fresh simulator, and the faults it counted."""
    seen: list[int | str] = []
    async with EnrowSimulator(config, serve=False) as sim:
        call = caller(sim)
        batch_id = sim.add_batch(SEARCHES["searches"], duration=0.0)
        for _ in range(n):
            try:
                seen.append((await call("GET", BULK, params={"id": batch_id}))[0])
            except TransportError as error:
                seen.append(reason(error))
        seen.append((await call("POST", BULK, json=SEARCHES))[0])
        return seen, dict(sim.stats.faults)


async def test_random_faults_are_seeded_and_spare_posts_by_default() -> None:
    faults = Faults(server_error=0.2, rate_limited=0.1, drop=0.1, truncate=0.1, html_502=0.1)
    config = SimulatorConfig(seed=11, faults=faults)
    first, counted = await faulted_run(config, 40)
    assert (first, counted) == await faulted_run(config, 40)
    assert first[-1] == 201
    assert counted.keys() == {"server_error", "rate_limited", "drop", "truncate", "html_502"}
    assert {200, 429, 502, "truncated", "dropped"} <= set(first)
    assert set(first) & {500, 503}
    assert first.count("dropped") == counted["drop"]


async def test_post_rate_limit_is_ten_per_second(call: Call, sim: EnrowSimulator) -> None:
    answers = []
    async with anyio.create_task_group() as tg:

        async def post() -> None:
            answers.append(await call("POST", BULK, json=SEARCHES))

        for _ in range(15):
            tg.start_soon(post)
    statuses = [status for status, _ in answers]
    assert statuses.count(201) == 10
    assert statuses.count(429) == 5
    assert all(body == {"message": "Rate limit exceeded"} for s, body in answers if s == 429)
    stats = sim.stats
    assert (stats.rate_limited, stats.batches_created) == (5, 10)


async def test_rate_limited_post_says_when_a_slot_frees(call: Call, sim: EnrowSimulator) -> None:
    for _ in range(10):
        assert (await call("POST", "/email/verify/single", json={"email": "a@b.co"}))[0] == 200
        await anyio.sleep(0.03)
    # The limit spans POST endpoints; the first slot frees one second after the first POST.
    refused = await MemoryTransport(sim).send(request_to(sim, "POST", BULK, json=SEARCHES))
    assert refused.status == 429
    wait = float(refused.headers["Retry-After"])
    assert wait == pytest.approx(1.0 - 0.3)
    await anyio.sleep(wait - 0.01)
    assert (await call("POST", BULK, json=SEARCHES))[0] == 429  # not yet
    await anyio.sleep(0.01)
    assert (await call("POST", BULK, json=SEARCHES))[0] == 201


async def test_gets_are_not_rate_limited(call: Call, batch_id: str) -> None:
    statuses = []
    async with anyio.create_task_group() as tg:

        async def get() -> None:
            statuses.append((await call("GET", BULK, params={"id": batch_id}))[0])

        for _ in range(30):
            tg.start_soon(get)
    assert statuses == [200] * 30


async def test_stats_are_a_snapshot(call: Call, sim: EnrowSimulator, batch_id: str) -> None:
    before = sim.stats
    await call("GET", BULK, params={"id": batch_id})
    assert before.requests["GET", BULK] == 0
    assert sim.stats.requests["GET", BULK] == 1
