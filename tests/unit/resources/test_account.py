"""``client.account``: the balance and webhooks, in memory."""

from __future__ import annotations

import pytest
from helpers import Connect, Simulate

from enrow_async import AccountInfo, AuthenticationError, EnrowClient
from enrow_async.testing import EnrowSimulator, SimulatorConfig

pytestmark = pytest.mark.anyio


async def test_account_info(client: EnrowClient) -> None:
    info = await client.account.info()
    assert isinstance(info, AccountInfo)
    assert info.credits >= 0
    assert isinstance(info.webhooks, tuple)


async def test_balance_follows_what_jobs_cost(simulate: Simulate, connect: Connect) -> None:
    async with simulate(SimulatorConfig(credits=10, duration=0.2)) as sim, connect(sim) as client:
        assert (await client.account.info()).credits == 10
        job = await client.verify.single.start("jim@dundermifflin.com")
        await client.verify.single.wait(job.id, timeout=10)
        assert (await client.account.info()).credits == 9.75  # verifications: 0.25, no refund


async def test_a_bad_key_is_an_authentication_error(sim: EnrowSimulator, connect: Connect) -> None:
    async with connect(sim, key="wrong") as client:
        with pytest.raises(AuthenticationError):
            await client.account.info()
