"""MemoryTransport: the simulator's answers and faults as the client's Transport sees them."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import anyio
import orjson
import pytest
from helpers import BULK, JIM

from enrow_async import EnrowClient
from enrow_async._core.http import Action, Request, Response
from enrow_async.errors import ResponseError, TransportError
from enrow_async.testing import (
    MEMORY_BASE_URL,
    EnrowSimulator,
    Faults,
    ManualClock,
    MemoryTransport,
    SimulatorConfig,
)

pytestmark = pytest.mark.anyio


@pytest.fixture
def sim_config() -> SimulatorConfig:
    return SimulatorConfig(seed=3, duration=10.0, curve="linear", faults=Faults(slow_seconds=2.5))


@pytest.fixture
def transport(sim: EnrowSimulator) -> MemoryTransport:
    return MemoryTransport(sim)


def get(sim: EnrowSimulator, batch_id: str, *, key: str | None = None) -> Request:
    return Request(
        "GET",
        sim.base_url,
        BULK,
        {"x-api-key": key or sim.api_key},
        Action.READ,
        params={"id": batch_id},
    )


def post(sim: EnrowSimulator, payload: Any = None, path: str = BULK) -> Request:
    return Request(
        "POST",
        sim.base_url,
        path,
        {"x-api-key": sim.api_key, "content-type": "application/json"},
        Action.START,
        body=orjson.dumps({"searches": JIM} if payload is None else payload),
    )


async def test_in_memory_simulator_has_the_memory_base_url(sim: EnrowSimulator) -> None:
    assert sim.running
    assert sim.base_url == MEMORY_BASE_URL
    assert "invalid" in repr(sim)


async def test_answers_whole_with_case_insensitive_headers(
    sim: EnrowSimulator, transport: MemoryTransport
) -> None:
    batch_id = sim.add_batch(JIM, duration=0.0)
    response = await transport.send(get(sim, batch_id))
    assert isinstance(response, Response)
    assert response.status == 200
    assert orjson.loads(response.body) == sim.completed_body(batch_id)
    assert response.headers["content-type"] == response.headers["Content-Type"]
    assert response.headers["content-type"] == "application/json"
    assert response.headers["content-length"] == str(len(response.body))
    assert sim.stats.requests["GET", BULK] == 1


async def test_progress_follows_the_loop_clock(
    sim: EnrowSimulator, transport: MemoryTransport
) -> None:
    batch_id = sim.add_batch(JIM * 4, duration=10.0)
    seen = []
    for _ in range(3):
        body = orjson.loads((await transport.send(get(sim, batch_id))).body)
        seen.append((body["general"]["status"], body["stats"]["finished"]))
        await anyio.sleep(5)
    assert seen == [("ongoing", 0), ("ongoing", 2), ("completed", 4)]


async def test_a_manual_clock_still_rules_progress() -> None:
    clock = ManualClock()
    async with EnrowSimulator(SimulatorConfig(clock=clock), serve=False) as sim:
        batch_id = sim.add_batch(JIM, duration=1.0)
        await anyio.sleep(60)
        response = await MemoryTransport(sim).send(get(sim, batch_id))
        assert orjson.loads(response.body)["general"]["status"] == "ongoing"
        clock.advance(1.0)
        response = await MemoryTransport(sim).send(get(sim, batch_id))
        assert orjson.loads(response.body)["general"]["status"] == "completed"


async def test_errors_of_the_api_are_answers(
    sim: EnrowSimulator, transport: MemoryTransport
) -> None:
    response = await transport.send(get(sim, "nope", key="wrong"))
    assert (response.status, orjson.loads(response.body)) == (
        401,
        {"message": "This apikey is not valid"},
    )
    response = await transport.send(get(sim, "nope"))
    assert response.status == 400


async def test_the_post_rate_limit_runs_on_the_loop_clock(
    sim: EnrowSimulator, transport: MemoryTransport
) -> None:
    statuses = [(await transport.send(post(sim))).status for _ in range(10)]
    assert statuses == [201] * 10
    await anyio.sleep(0.25)
    refused = await transport.send(post(sim))
    assert refused.status == 429
    assert refused.headers["retry-after"] == "0.750"
    await anyio.sleep(0.75)
    assert (await transport.send(post(sim))).status == 201
    assert sim.stats.rate_limited == 1


@pytest.mark.parametrize(
    ("kind", "status", "content_type"),
    [
        ("server_error", (500, 503), "application/json"),
        ("html_502", (502,), "text/html; charset=utf-8"),
        ("rate_limited", (429,), "application/json"),
    ],
)
async def test_answering_faults_are_answers(
    sim: EnrowSimulator, transport: MemoryTransport, kind: Any, status: Any, content_type: str
) -> None:
    sim.inject(kind)
    response = await transport.send(get(sim, sim.add_batch(JIM)))
    assert response.status in status
    assert response.headers["content-type"] == content_type
    if kind == "rate_limited":
        assert response.headers["retry-after"] == "0.05"


@pytest.mark.parametrize(("kind", "created"), [("drop", 0), ("drop_after", 1)])
async def test_a_dropped_post_was_sent_either_way(
    sim: EnrowSimulator, transport: MemoryTransport, kind: Any, created: int
) -> None:
    # Over HTTP the request was written before the connection closed: request_sent=True
    # whether or not the API acted, so the client never resends it.
    sim.inject(kind, method="POST")
    with pytest.raises(TransportError, match="Server disconnected") as info:
        await transport.send(post(sim))
    assert info.value.request_sent
    assert sim.stats.batches_created == created


async def test_a_truncated_body_is_a_transport_error_after_acting(
    sim: EnrowSimulator, transport: MemoryTransport
) -> None:
    sim.inject("truncate", method="POST")
    with pytest.raises(TransportError, match="truncated body") as info:
        await transport.send(post(sim))
    assert info.value.request_sent
    assert sim.stats.batches_created == 1


async def test_slow_answers_after_slow_seconds_of_loop_time(
    sim: EnrowSimulator, transport: MemoryTransport
) -> None:
    batch_id = sim.add_batch(JIM, duration=0.0)
    sim.inject("slow")
    start = anyio.current_time()
    response = await transport.send(get(sim, batch_id))
    assert response.status == 200
    assert anyio.current_time() - start == 2.5


async def test_a_slow_post_acts_when_released(
    sim: EnrowSimulator, transport: MemoryTransport
) -> None:
    sim.inject("slow", method="POST")
    async with anyio.create_task_group() as tg:
        tg.start_soon(transport.send, post(sim))
        await anyio.sleep(2.4)
        assert sim.stats.batches_created == 0
        await anyio.sleep(0.2)
        assert sim.stats.batches_created == 1


async def test_hang_ends_at_the_read_timeout(sim: EnrowSimulator) -> None:
    sim.inject("hang")
    start = anyio.current_time()
    with pytest.raises(TransportError, match="no answer within") as info:
        await MemoryTransport(sim, read_timeout=7.0).send(get(sim, "b"))
    assert info.value.request_sent
    assert anyio.current_time() - start == 7.0


async def test_hang_ends_when_the_simulator_closes() -> None:
    async with EnrowSimulator(serve=False) as sim:
        sim.inject("hang")
        transport = MemoryTransport(sim, read_timeout=None)
        errors: list[TransportError] = []

        async def send() -> None:
            with pytest.raises(TransportError) as info:
                await transport.send(get(sim, "b"))
            errors.append(info.value)

        async with anyio.create_task_group() as tg:
            tg.start_soon(send)
            await anyio.sleep(3600)
            assert not errors
            await sim.close()
    assert len(errors) == 1
    assert "Server disconnected" in str(errors[0])
    assert errors[0].request_sent


async def test_hang_ends_when_the_caller_is_cancelled(
    sim: EnrowSimulator, transport: MemoryTransport
) -> None:
    sim.inject("hang")
    with anyio.move_on_after(10) as scope:
        await transport.send(get(sim, "b"))
    assert scope.cancelled_caught
    assert anyio.current_time() == 10


async def test_a_closed_simulator_refuses_before_sending() -> None:
    sim = EnrowSimulator(serve=False)
    async with sim:
        request = get(sim, "b")
    with pytest.raises(TransportError, match="cannot connect") as info:
        await MemoryTransport(sim).send(request)
    assert not info.value.request_sent
    assert not sim.stats.requests


async def test_another_base_url_is_refused_before_sending(
    sim: EnrowSimulator, transport: MemoryTransport
) -> None:
    request = Request("GET", "https://api.enrow.io", BULK, {}, Action.READ, params={"id": "b"})
    with pytest.raises(TransportError, match=r"reaches https://enrow-simulator\.invalid") as info:
        await transport.send(request)
    assert not info.value.request_sent


async def test_a_body_over_max_body_is_a_response_error(sim: EnrowSimulator) -> None:
    batch_id = sim.add_batch(JIM * 50, duration=0.0)
    with pytest.raises(ResponseError, match="exceeds the 1000-byte cap") as info:
        await MemoryTransport(sim, max_body=1000).send(get(sim, batch_id))
    assert info.value.status == 200


async def test_each_send_lets_other_tasks_run(
    sim: EnrowSimulator, transport: MemoryTransport
) -> None:
    # A loop of in-memory sends must stay cancellable and fair, as over a socket.
    batch_id = sim.add_batch(JIM, duration=0.0)
    ticks = 0

    async def ticker() -> None:
        nonlocal ticks
        while True:
            ticks += 1
            await anyio.lowlevel.checkpoint()

    async with anyio.create_task_group() as tg:
        tg.start_soon(ticker)
        for _ in range(10):
            await transport.send(get(sim, batch_id))
        tg.cancel_scope.cancel()
    assert ticks >= 10


@pytest.fixture
async def served_client() -> AsyncIterator[tuple[EnrowSimulator, EnrowClient]]:
    async with EnrowSimulator(SimulatorConfig(seed=1), serve=False) as sim:
        client = EnrowClient(sim.api_key, base_url=sim.base_url, transport=MemoryTransport(sim))
        async with client:
            yield sim, client


async def test_a_client_waits_for_a_batch_in_virtual_time(
    served_client: tuple[EnrowSimulator, EnrowClient],
) -> None:
    sim, client = served_client
    batch_id = sim.add_batch(JIM * 3, duration=600.0)
    start = anyio.current_time()
    batch = await client.wait_for_batch(batch_id, timeout=3600)
    assert len(batch.results) == 3
    assert anyio.current_time() - start >= 600.0
