"""Webhook-driven waits (issue 5's targets): the notification travels over real HTTP.

- a webhook-driven wait needs at most 2 GETs: the notification, not the safety-net polls,
  ends it (those come once an hour here, the wait's deadline is 30 s);
- the safety-net polls still finish a wait whose notification never comes.
"""

from __future__ import annotations

import pytest
from helpers import Connect, Simulate

from enrow_async import BatchStatus
from enrow_async.testing import SimulatorConfig
from enrow_async.webhooks.receiver import WebhookReceiver

pytestmark = pytest.mark.anyio


GET = ("GET", "/email/find/bulk")


def people(n: int) -> list[dict[str, str]]:
    return [{"fullname": f"Person {i}", "company_domain": f"co{i}.example.com"} for i in range(n)]


@pytest.mark.parametrize(("repeat", "size"), [(1, 50), (200, 20)], ids=["one", "a-flood-of-200"])
async def test_a_webhook_driven_wait_needs_one_get_or_two(
    simulate: Simulate, connect: Connect, repeat: int, size: int
) -> None:
    """However many times the notification comes (a flood of duplicates too), a wait whose
    safety net is an hour away reads the batch once, twice at most."""
    config = SimulatorConfig(duration=0.3, webhook_delay=0.05, webhook_repeat=repeat, seed=1)
    async with (
        simulate(config) as sim,
        WebhookReceiver(host="127.0.0.1", port=0) as hooks,
        connect(sim, webhook_poll_interval=3600.0) as client,
    ):
        job = await client.start_bulk_search(people(size), webhook=hooks.url)
        batch = await client.wait_for_batch(job.id, timeout=30, webhook=hooks)
        stats = sim.stats
    assert batch.status is BatchStatus.COMPLETED
    assert len(batch.results) == size
    assert 1 <= stats.webhooks_delivered <= repeat
    assert 1 <= hooks.events_received <= repeat
    assert 1 <= stats.requests[GET] <= 2


async def test_without_a_notification_the_safety_net_polls_finish_the_wait(
    simulate: Simulate, connect: Connect
) -> None:
    config = SimulatorConfig(duration=0.3, webhook_delay=0.05, seed=1)
    async with (
        simulate(config) as sim,
        WebhookReceiver() as hooks,
        WebhookReceiver() as elsewhere,
        connect(sim, webhook_poll_interval=0.2) as client,
    ):
        # The notification goes to another receiver: `hooks` never hears of this batch.
        job = await client.start_bulk_search(people(10), webhook=elsewhere.url)
        batch = await client.wait_for_batch(job.id, timeout=10, webhook=hooks)
        gets = sim.stats.requests[GET]
    assert batch.status is BatchStatus.COMPLETED
    assert len(batch.results) == 10
    assert hooks.events_received == 0
    assert gets >= 1
