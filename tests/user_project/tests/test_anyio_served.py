"""anyio's plugin, the simulator served on 127.0.0.1 (this also runs with pytest-asyncio in
auto mode, which then runs the test itself: the fixtures follow it to its loop)."""

import pytest

from enrow_async import EnrowClient
from enrow_async.testing import EnrowSimulator


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.mark.anyio
async def test_served(enrow_simulator: EnrowSimulator, enrow_client: EnrowClient) -> None:
    info = await enrow_client.account.info()
    assert info.credits > 0
    assert enrow_simulator.stats.requests[("GET", "/account/info")] == 1
