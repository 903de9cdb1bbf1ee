"""What the sender logs: retries at INFO, an outage's start and end at INFO, a spent retry
budget at WARNING; each with structured ``extra`` fields and never the key."""

from __future__ import annotations

import logging

import pytest
from helpers import BULK, JIM, Connect

from enrow_async import RetryBudget, RetryBudgetExhaustedError
from enrow_async.testing import EnrowSimulator

pytestmark = pytest.mark.anyio


async def test_retries_and_an_outage_are_logged_at_info_once_each(
    sim: EnrowSimulator, connect: Connect, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="enrow_async")
    batch_id = sim.add_batch(JIM, duration=0.0)
    sim.inject("server_error", count=1, path=BULK)
    async with connect(sim) as client:
        await client.get_bulk_results(batch_id)  # one retry
        sim.inject("server_error", count=6, path=BULK)
        await client.wait_for_batch(batch_id, timeout=60)  # an outage of polls, then an answer
    retries = [r for r in caplog.records if "retry 1" in r.getMessage()]
    assert len(retries) == 1
    assert retries[0].levelno == logging.INFO
    assert retries[0].enrow_path == BULK  # type: ignore[attr-defined]
    assert retries[0].enrow_error == "ServerError"  # type: ignore[attr-defined]
    down = [r for r in caplog.records if "looks down" in r.getMessage()]
    back = [r for r in caplog.records if "answers again" in r.getMessage()]
    assert len(down) == 1
    assert len(back) == 1
    assert down[0].enrow_outage is True  # type: ignore[attr-defined]
    assert sim.api_key not in caplog.text


async def test_a_spent_budget_is_a_warning(
    sim: EnrowSimulator, connect: Connect, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="enrow_async")
    batch_id = sim.add_batch(JIM, duration=0.0)
    sim.inject("server_error", count=10, path=BULK)
    async with connect(sim, retry_budget=RetryBudget(capacity=5, retry_cost=5)) as client:
        with pytest.raises(RetryBudgetExhaustedError):
            await client.get_bulk_results(batch_id)
    warnings = [r for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 1
    assert "retry budget is spent" in warnings[0].getMessage()
    assert warnings[0].enrow_attempt == 2  # type: ignore[attr-defined]
