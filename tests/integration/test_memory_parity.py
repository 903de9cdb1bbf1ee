"""MemoryTransport tells the client what AiohttpTransport tells it over real HTTP.

Two simulators with the same seed, one served on 127.0.0.1 and one in memory, get the same
request with the same fault; each transport's outcome (status, headers, body, or the
TransportError and whether the request was sent) must be the same.
"""

from __future__ import annotations

from typing import Any

import anyio
import orjson
import pytest
from helpers import BULK, JIM

from enrow_async._core.http import Action, Request
from enrow_async._io.transport import AiohttpTransport
from enrow_async.errors import TransportError
from enrow_async.testing import EnrowSimulator, Faults, MemoryTransport, SimulatorConfig

pytestmark = pytest.mark.anyio


def request(sim: EnrowSimulator, method: str, batch_id: str) -> Request:
    headers = {"x-api-key": sim.api_key, "accept": "application/json"}
    if method == "GET":
        return Request("GET", sim.base_url, BULK, headers, Action.READ, params={"id": batch_id})
    body = orjson.dumps({"searches": JIM})
    return Request("POST", sim.base_url, BULK, headers, Action.START, body=body)


def reason(message: str) -> str:
    """What went wrong, without each transport's own wording of it."""
    for word, what in [
        ("truncated", "truncated"),
        ("disconnect", "dropped"),
        ("imeout", "timeout"),
    ]:
        if word in message:
            return what
    return message


async def outcome(transport: Any, sim: EnrowSimulator, method: str, kind: Any) -> Any:
    batch_id = sim.add_batch(JIM, duration=0.0)
    if kind is not None:
        sim.inject(kind, method=method)
    try:
        # the client's per-attempt deadline: past a slow answer (0.05 s), and past a fresh
        # session's first exchange on a loaded machine (0.15 s was seen to cut a truncate)
        with anyio.move_on_after(1.0) as deadline:
            response = await transport.send(request(sim, method, batch_id))
    except TransportError as error:
        return "TransportError", reason(str(error)), error.request_sent
    finally:
        await transport.aclose()
    if deadline.cancelled_caught:
        return "cut at the deadline"
    headers = {k.lower(): v for k, v in response.headers.items() if k not in ("Date", "Server")}
    return response.status, headers, response.body, sim.stats.batches_created


@pytest.mark.parametrize(
    ("method", "kind"),
    [
        ("GET", None),
        ("POST", None),
        ("GET", "server_error"),
        ("GET", "html_502"),
        ("GET", "rate_limited"),
        ("POST", "drop"),  # a POST: aiohttp resends a GET on a dropped kept-alive connection
        ("POST", "drop_after"),
        ("GET", "truncate"),
        ("POST", "truncate"),
        ("GET", "slow"),
        ("GET", "hang"),
    ],
)
async def test_same_outcome_over_http_and_in_memory(method: str, kind: Any) -> None:
    config = SimulatorConfig(seed=9, faults=Faults(slow_seconds=0.05))
    async with EnrowSimulator(config) as served, EnrowSimulator(config, serve=False) as memory:
        over_http = await outcome(AiohttpTransport(), served, method, kind)
        in_memory = await outcome(MemoryTransport(memory), memory, method, kind)
    assert in_memory == over_http
