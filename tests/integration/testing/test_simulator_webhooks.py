"""Webhook deliveries to a small aiohttp.web receiver on port 0."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import pytest
from aiohttp import web
from helpers import DWIGHT, DWIGHT_FOUND, until

from enrow_async.testing import EnrowSimulator, ManualClock, SimulatorConfig

from .conftest import Call

pytestmark = pytest.mark.anyio


class Receiver:
    """Records the JSON bodies POSTed to it; answers ``status``."""

    def __init__(self) -> None:
        self.events: list[Any] = []
        self.arrived = asyncio.Event()
        self.status = 200
        self.url = ""

    async def handle(self, request: web.Request) -> web.Response:
        self.events.append(await request.json())
        self.arrived.set()
        return web.Response(status=self.status)

    async def next_event(self, timeout: float = 2.0) -> Any:
        async with asyncio.timeout(timeout):
            await self.arrived.wait()
        self.arrived.clear()
        return self.events[-1]


@pytest.fixture
async def receiver() -> AsyncIterator[Receiver]:
    receiver = Receiver()
    app = web.Application()
    app.router.add_post("/hook", receiver.handle)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    receiver.url = f"http://127.0.0.1:{runner.addresses[0][1]}/hook"
    yield receiver
    await runner.cleanup()


@pytest.fixture
def sim_config() -> SimulatorConfig:
    return SimulatorConfig(duration=0.05, valid_rate=1.0)


def new_tasks(before: set[asyncio.Task[Any]]) -> set[asyncio.Task[Any]]:
    """Tasks started since ``before`` and still alive, aiohttp's request handlers aside."""
    return {
        task
        for task in asyncio.all_tasks() - before
        if not task.get_coro().__qualname__.startswith("RequestHandler")  # type: ignore[union-attr]
    }


async def test_bulk_search_finished(call: Call, sim: EnrowSimulator, receiver: Receiver) -> None:
    before = asyncio.all_tasks()
    payload = {"searches": [DWIGHT] * 3, "settings": {"webhook": receiver.url}}
    _, started = await call("POST", "/email/find/bulk", json=payload)
    event = await receiver.next_event()
    assert event == {"event": "bulk_search_finished", "id": started["id"], "credits": {"cost": 3}}
    await until(lambda: sim.stats.webhooks_delivered == 1)
    await until(lambda: new_tasks(before) == set())


@pytest.mark.parametrize(
    ("path", "payload", "expected"),
    [
        (
            "/email/find/single",
            {**DWIGHT, "custom": "c1"},
            {
                "event": "single_search_finished",
                "credits": {"cost": 1},
                "result": {**DWIGHT_FOUND, "custom": "c1"},
            },
        ),
        (
            "/email/verify/single",
            {"email": "jim@dundermifflin.com", "custom": "c2"},
            {
                "event": "verification_finished",
                "email": "jim@dundermifflin.com",
                "qualification": "valid",
                "custom": "c2",
            },
        ),
        (
            "/phone/single",
            {"linkedin_url": "linkedin.com/in/dschrute"},
            {"event": "single_phone_search_finished", "credits": {"cost": 40}},
        ),
        (
            "/email/verify/bulk",
            {"emails": ["a@b.co", "c@d.co"]},
            {"event": "bulk_verification_finished", "credits": {"cost": 0.5}},
        ),
        (
            "/phone/bulk",
            {"searches": [{"linkedin_url": "linkedin.com/in/x"}]},
            {"event": "bulk_phone_search_finished"},
        ),
    ],
)
async def test_each_event_has_its_documented_shape(
    call: Call, receiver: Receiver, path: str, payload: dict[str, Any], expected: dict[str, Any]
) -> None:
    _, started = await call("POST", path, json={**payload, "settings": {"webhook": receiver.url}})
    event = await receiver.next_event()
    if path == "/phone/single":  # nested twice
        nested = event.pop("result")
        assert nested.keys() == {"event", "id", "result"}
        assert (nested["event"], nested["id"]) == (expected["event"], started["id"])
        assert nested["result"].keys() == {"number", "params", "qualification"}
        assert nested["result"]["params"] == payload
    assert event == {**expected, "id": started["id"]}


async def test_failed_deliveries_are_counted_and_harmless(
    call: Call, sim: EnrowSimulator, receiver: Receiver
) -> None:
    receiver.status = 500
    dead = receiver.url.replace("/hook", "/missing")
    for url in (receiver.url, dead, "http://127.0.0.1:1/hook", "not a url"):
        sim.add_batch([DWIGHT], settings={"webhook": url}, duration=0.0)
    await until(lambda: sim.stats.webhooks_failed == 4)
    assert sim.stats.webhooks_delivered == 0
    assert (await call("GET", "/account/info"))[0] == 200


async def test_webhook_waits_for_the_clock_and_the_delay(receiver: Receiver) -> None:
    clock = ManualClock()
    config = SimulatorConfig(clock=clock, duration=5.0, webhook_delay=2.0)
    async with EnrowSimulator(config) as sim:
        batch_id = sim.add_batch([DWIGHT], settings={"webhook": receiver.url})
        await asyncio.sleep(0.05)
        clock.advance(6.0)
        await asyncio.sleep(0.05)
        assert receiver.events == []
        clock.advance(1.0)
        event = await receiver.next_event()
    assert event["id"] == batch_id


async def test_pending_webhooks_are_cancelled_on_exit(receiver: Receiver) -> None:
    before = asyncio.all_tasks()
    async with EnrowSimulator(SimulatorConfig(duration=60.0)) as sim:
        sim.add_batch([DWIGHT], settings={"webhook": receiver.url})
        await asyncio.sleep(0)
        assert new_tasks(before)
    assert new_tasks(before) == set()
    assert receiver.events == []


async def test_jobs_added_without_http_send_webhooks_too(
    sim: EnrowSimulator, receiver: Receiver
) -> None:
    batch_id = sim.add_batch(
        ["a@b.co"], kind="verify", settings={"webhook": receiver.url}, duration=0.0
    )
    event = await receiver.next_event()
    assert event == {
        "event": "bulk_verification_finished",
        "id": batch_id,
        "credits": {"cost": 0.25},
    }
