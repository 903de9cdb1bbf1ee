"""Webhook events are hints that coalesce (issue 12, rule 7): however many arrive for one
batch, at most one extra GET per second, and never a lasting chain of polls."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import anyio
import pytest

from enrow_async import EnrowClient
from enrow_async.models import BulkSearchFinished, WebhookCredits
from enrow_async.testing import EnrowSimulator

pytestmark = pytest.mark.anyio

Connect = Callable[..., EnrowClient]
GET = ("GET", "/email/find/bulk")
SEARCHES = [{"fullname": "Jim Halpert", "company_domain": "dundermifflin.com"}]


class Hooks:
    """A WebhookSource the test fires by hand (the receiver's subscribe contract)."""

    def __init__(self) -> None:
        self.callbacks: dict[str, list[Callable[[Any], object]]] = {}

    def subscribe(self, batch_id: str, callback: Callable[[Any], object]) -> Callable[[], None]:
        self.callbacks.setdefault(batch_id, []).append(callback)
        return lambda: self.callbacks[batch_id].remove(callback)

    def fire(self, batch_id: str) -> None:
        event = BulkSearchFinished(id=batch_id, credits=WebhookCredits(cost=1))
        for callback in list(self.callbacks.get(batch_id, ())):
            callback(event)


async def test_a_flood_of_events_for_an_ongoing_batch_adds_a_few_gets_not_a_chain(
    sim: EnrowSimulator, connect: Connect
) -> None:
    batch_id = sim.add_batch(SEARCHES, duration=120.0)
    hooks = Hooks()
    async with connect(sim, webhook_poll_interval=3600.0) as client:
        async with anyio.create_task_group() as tg:
            tg.start_soon(lambda: client.wait_for_batch(batch_id, timeout=600, webhook=hooks))
            await anyio.sleep(1.0)
            before = sim.stats.requests[GET]
            for _ in range(10):  # 2,000 forged events over 10 s
                for _ in range(200):
                    hooks.fire(batch_id)
                await anyio.sleep(1.0)
            flood = sim.stats.requests[GET] - before
            await anyio.sleep(60.0)
            after = sim.stats.requests[GET] - before - flood
            tg.cancel_scope.cancel()
    assert flood <= 11  # at most one per second of flood
    # No chain left: one schedule polls on, the normal one (a hint switches the wait from
    # the hourly safety net to it, since the API may lag behind its own notification);
    # its waits here grow with the time since the first hint: a handful, not 2,000.
    assert after <= 8


async def test_an_event_during_a_poll_is_answered_right_after_it(
    sim: EnrowSimulator, connect: Connect
) -> None:
    batch_id = sim.add_batch(SEARCHES, duration=5.0)
    hooks = Hooks()
    async with connect(sim, webhook_poll_interval=3600.0) as client:
        with anyio.fail_after(60):
            async with anyio.create_task_group() as tg:

                async def finish_later() -> None:
                    await anyio.sleep(5.0)
                    hooks.fire(batch_id)

                tg.start_soon(finish_later)
                batch = await client.wait_for_batch(batch_id, timeout=600, webhook=hooks)
    assert batch.status.done
    assert anyio.current_time() < 60  # woken by the hint, not the hourly safety net
