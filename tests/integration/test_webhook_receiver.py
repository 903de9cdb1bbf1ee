"""WebhookReceiver against a real aiohttp client on 127.0.0.1, port 0: what needs events
POSTed over HTTP (delivery, rejection, the secret, memory of recent events, callbacks, a
mounted receiver) and the simulator's notifications waking verify and phone waits.

Options, URLs and waits without a socket: ``tests/unit/webhooks/test_receiver.py``.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import aiohttp.test_utils
import anyio
import orjson
import pytest
from aiohttp import web
from helpers import Connect
from yarl import URL

from enrow_async import BatchStatus
from enrow_async.models import (
    BulkSearchFinished,
    SingleSearchFinished,
    WebhookCredits,
    WebhookEvent,
)
from enrow_async.testing import EnrowSimulator, SimulatorConfig
from enrow_async.webhooks.receiver import WebhookReceiver

pytestmark = pytest.mark.anyio


SECRET = "s3cret-Token_42"


@pytest.fixture
async def session() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as session:
        yield session


def bulk(batch_id: str, cost: float = 3) -> bytes:
    return orjson.dumps(
        {"event": "bulk_search_finished", "id": batch_id, "credits": {"cost": cost}}
    )


async def post(session: aiohttp.ClientSession, url: str, body: Any) -> tuple[int, str]:
    async with session.post(url, data=body) as response:
        return response.status, await response.text()


async def test_url_is_known_once_started() -> None:
    receiver = WebhookReceiver()
    async with receiver as hooks:
        assert hooks is receiver
        assert hooks.port > 0
        assert hooks.url == f"http://127.0.0.1:{hooks.port}/enrow/webhook"
    with pytest.raises(RuntimeError, match="not started"):
        _ = receiver.url
    await receiver.close()  # idempotent


async def test_events_reach_every_subscriber_of_their_id(session: aiohttp.ClientSession) -> None:
    seen: dict[str, list[WebhookEvent]] = {"a": [], "b": [], "other": []}
    async with WebhookReceiver() as hooks:
        hooks.subscribe("batch-1", seen["a"].append)
        hooks.subscribe("batch-1", seen["b"].append)
        hooks.subscribe("batch-2", seen["other"].append)
        assert hooks.subscription_count == 3
        assert await post(session, hooks.url, bulk("batch-1", 2284.5)) == (200, "ok")
    expected = BulkSearchFinished(id="batch-1", credits=WebhookCredits(cost=2284.5))
    assert seen == {"a": [expected], "b": [expected], "other": []}
    assert (hooks.events_received, hooks.ignored, hooks.rejected) == (1, 0, 0)


async def test_unsubscribe_stops_delivery(session: aiohttp.ClientSession) -> None:
    seen: list[WebhookEvent] = []
    async with WebhookReceiver() as hooks:
        unsubscribe = hooks.subscribe("batch-1", seen.append)
        unsubscribe()
        unsubscribe()  # idempotent
        assert hooks.subscription_count == 0
        assert await post(session, hooks.url, bulk("batch-1")) == (200, "ok")
    assert seen == []
    assert hooks.ignored == 1


async def test_unknown_ids_are_answered_200_and_counted(session: aiohttp.ClientSession) -> None:
    async with WebhookReceiver() as hooks:
        for n in range(3):
            assert await post(session, hooks.url, bulk(f"nobody-{n}")) == (200, "ok")
    assert (hooks.events_received, hooks.ignored, hooks.rejected) == (3, 3, 0)


@pytest.mark.parametrize(
    ("body", "words"),
    [
        (b"{not json", "not JSON"),
        (b"[1, 2]", "expected a JSON object"),
        (b'{"event": "bulk_search_finished"}', "missing 'id'"),
        (b'{"event": "party_started", "id": "x"}', "unknown event"),
        (b'{"event": "bulk_search_finished", "id": "x", "credits": {"cost": "1"}}', "$.credits"),
    ],
)
async def test_bad_bodies_get_400(
    session: aiohttp.ClientSession, body: bytes, words: str, caplog: pytest.LogCaptureFixture
) -> None:
    seen: list[WebhookEvent] = []
    caplog.set_level(logging.DEBUG, logger="enrow_async")
    async with WebhookReceiver() as hooks:
        hooks.subscribe("x", seen.append)
        status, text = await post(session, hooks.url, body)
    assert status == 400
    assert words in text
    assert seen == []
    assert (hooks.events_received, hooks.rejected) == (0, 1)
    # Rejections are logged at DEBUG only: a flood of bad requests must not flood the logs.
    assert [r.levelno for r in caplog.records if "rejected" in r.getMessage()] == [logging.DEBUG]
    assert words in caplog.text


async def test_oversized_body_with_content_length_gets_400(
    session: aiohttp.ClientSession,
) -> None:
    padding = "x" * 2000
    body = orjson.dumps({"event": "bulk_search_finished", "id": "big", "pad": padding})
    async with WebhookReceiver(max_body=1024) as hooks:
        status, text = await post(session, hooks.url, body)
        assert status == 400
        assert "larger than 1024 bytes" in text
        assert await post(session, hooks.url, bulk("small")) == (200, "ok")
    assert (hooks.events_received, hooks.rejected) == (1, 1)


async def test_oversized_chunked_body_is_cut_off_at_the_cap(
    session: aiohttp.ClientSession,
) -> None:
    async def chunks() -> AsyncIterator[bytes]:  # sent chunked: no Content-Length
        yield b'{"event": "bulk_search_finished", "id": "big", "pad": "'
        for _ in range(4):
            yield b"x" * 600
        yield b'"}'

    async with WebhookReceiver(max_body=1024) as hooks:
        status, text = await post(session, hooks.url, chunks())
    assert status == 400
    assert "larger than 1024 bytes" in text
    assert hooks.rejected == 1


async def test_body_at_the_cap_is_accepted(session: aiohttp.ClientSession) -> None:
    body = bulk("edge")
    async with WebhookReceiver(max_body=len(body)) as hooks:
        assert await post(session, hooks.url, body) == (200, "ok")


async def test_secret_is_required_in_the_path(
    session: aiohttp.ClientSession, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    seen: list[WebhookEvent] = []
    async with WebhookReceiver(path="/hooks", secret=SECRET) as hooks:
        base = f"http://127.0.0.1:{hooks.port}/hooks"
        assert hooks.url == f"{base}/{SECRET}"
        hooks.subscribe("b", seen.append)
        for wrong in (base, f"{base}/nope", f"{base}/{SECRET[:-1]}", f"{base}/{SECRET}x"):
            status, text = await post(session, wrong, bulk("b"))
            assert status == 404
            assert SECRET not in text
        assert hooks.rejected == 4
        for other in (f"{base}/", f"{base}/{SECRET}/more"):  # not our routes: aiohttp's 404
            assert (await post(session, other, bulk("b")))[0] == 404
        assert seen == []
        # the secret is checked before the body is even read
        assert (await post(session, base + "/nope", b"{bad"))[0] == 404
        assert await post(session, hooks.url, bulk("b")) == (200, "ok")
        assert SECRET not in repr(hooks)
    assert len(seen) == 1
    assert SECRET not in caplog.text


async def test_only_post_is_allowed(session: aiohttp.ClientSession) -> None:
    async with WebhookReceiver() as hooks, session.get(hooks.url) as response:
        assert response.status == 405


async def test_early_event_is_delivered_on_late_subscribe(
    session: aiohttp.ClientSession,
) -> None:
    async with WebhookReceiver() as hooks:
        assert await post(session, hooks.url, bulk("early")) == (200, "ok")
        assert hooks.ignored == 1
        late: list[WebhookEvent] = []
        hooks.subscribe("early", late.append)
        assert late == [BulkSearchFinished(id="early", credits=WebhookCredits(cost=3))]
        with anyio.fail_after(1):
            event = await hooks.wait("early")
        assert event == late[0]
        assert hooks.subscription_count == 1  # the subscribe() above, not wait()


async def test_recent_memory_is_bounded(session: aiohttp.ClientSession) -> None:
    async with WebhookReceiver(remember=2) as hooks:
        for batch_id in ("one", "two", "three"):
            assert await post(session, hooks.url, bulk(batch_id)) == (200, "ok")
        seen: list[WebhookEvent] = []
        for batch_id in ("one", "two", "three"):
            hooks.subscribe(batch_id, seen.append)
    assert [event.id for event in seen] == ["two", "three"]


async def test_wait_returns_the_event_when_it_arrives(session: aiohttp.ClientSession) -> None:
    got: list[WebhookEvent] = []
    async with WebhookReceiver() as hooks:

        async def waiter() -> None:
            got.append(await hooks.wait("late", timeout=5))

        async with anyio.create_task_group() as tg:
            tg.start_soon(waiter)
            tg.start_soon(waiter)
            await anyio.wait_all_tasks_blocked()
            assert hooks.subscription_count == 2
            body = orjson.dumps({"event": "single_search_finished", "id": "late"})
            assert await post(session, hooks.url, body) == (200, "ok")
        assert hooks.subscription_count == 0
    assert got == [SingleSearchFinished(id="late")] * 2


async def test_a_failing_callback_does_not_stop_the_others(
    session: aiohttp.ClientSession, caplog: pytest.LogCaptureFixture
) -> None:
    def boom(event: WebhookEvent) -> None:
        raise RuntimeError("callback bug")

    seen: list[WebhookEvent] = []
    async with WebhookReceiver() as hooks:
        hooks.subscribe("b", boom)
        hooks.subscribe("b", seen.append)
        assert await post(session, hooks.url, bulk("b")) == (200, "ok")
    assert len(seen) == 1
    assert "callback failed" in caplog.text


async def test_a_callback_returning_a_coroutine_is_closed(
    session: aiohttp.ClientSession, caplog: pytest.LogCaptureFixture
) -> None:
    async def later() -> None:
        pass

    async with WebhookReceiver() as hooks:
        hooks.subscribe("b", lambda event: later())
        assert await post(session, hooks.url, bulk("b")) == (200, "ok")
    assert "must be synchronous" in caplog.text


async def test_mounted_in_an_existing_app() -> None:
    receiver = WebhookReceiver(path="/hooks", secret=SECRET)
    app = web.Application()

    async def health(request: web.Request) -> web.Response:
        return web.Response(text="up")

    app.router.add_get("/health", health)
    receiver.mount(app)
    server = aiohttp.test_utils.TestServer(app)  # 127.0.0.1, a free port
    async with aiohttp.test_utils.TestClient(server) as http:
        got: list[WebhookEvent] = []
        with anyio.fail_after(5):
            async with anyio.create_task_group() as tg:

                async def waiter() -> None:
                    got.append(await receiver.wait("m-1"))

                tg.start_soon(waiter)
                await anyio.wait_all_tasks_blocked()
                async with http.post(f"/hooks/{SECRET}", data=bulk("m-1")) as response:
                    assert response.status == 200
        assert got == [BulkSearchFinished(id="m-1", credits=WebhookCredits(cost=3))]
        async with http.post("/hooks", data=bulk("m-1")) as response:
            assert response.status == 404
        async with http.get("/health") as response:
            assert await response.text() == "up"
    assert (receiver.events_received, receiver.rejected) == (1, 1)


# -- the simulator's notifications wake the waits of every job kind ------------------------


@pytest.fixture
def sim_config() -> SimulatorConfig:
    return SimulatorConfig(duration=0.1, seed=11)


async def test_webhook_wakes_verify_and_phone_waits(sim: EnrowSimulator, connect: Connect) -> None:
    # Safety-net polls come every 30 s: finishing within 5 s proves the webhook woke the wait.
    emails = ["dwight@dundermifflin.com", {"email": "jim@dundermifflin.com", "custom": "r1"}]
    linkedin = "https://www.linkedin.com/in/dwight-schrute"
    async with WebhookReceiver() as hooks, connect(sim, webhook_poll_interval=30.0) as client:
        bulk_job = await client.verify.bulk.start(emails, webhook=hooks.url)
        single = await client.phone.single.start({"linkedin_url": linkedin}, webhook=hooks.url)
        batch = await client.verify.bulk.wait(bulk_job.id, timeout=5, webhook=hooks)
        phone = await client.phone.single.wait(single.id, timeout=5, webhook=hooks)
    assert batch.status is BatchStatus.COMPLETED
    assert phone.result is not None
    assert phone.result.params["linkedin_url"] == linkedin
    assert sim.stats.webhooks_delivered == 2


async def test_a_body_slower_than_read_timeout_gets_408() -> None:
    async with WebhookReceiver(read_timeout=0.2) as hooks:
        url = URL(hooks.url)
        reader, writer = await asyncio.open_connection(url.host, url.port)
        writer.write(
            f"POST {url.path} HTTP/1.1\r\nHost: {url.host}\r\nContent-Type: application/json\r\n"
            "Content-Length: 100\r\n\r\n{".encode()
        )
        await writer.drain()
        status_line = await asyncio.wait_for(reader.readline(), timeout=10)
        writer.close()
        await writer.wait_closed()
    assert b" 408 " in status_line
    assert hooks.rejected == 1
