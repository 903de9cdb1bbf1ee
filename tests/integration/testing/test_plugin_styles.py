"""The plugin's fixtures on each kind of test the main suite runs: anyio's, and plain
synchronous ones (pytest-asyncio's strict and auto modes run in ``tests/user_project``,
from the built wheel: ``.ci/user_project``)."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

import enrow_async
from enrow_async import BatchStatus, EnrowClient
from enrow_async.testing import EnrowSimulator, SimulatorConfig, SimulatorThread

pytest_plugins = ["pytester"]

SEARCHES = [{"fullname": "Jim Halpert", "company_domain": "dundermifflin.com"}]


@pytest.fixture
def enrow_simulator_config() -> SimulatorConfig:
    return SimulatorConfig(api_key="styles-key", duration=0.05)


@pytest.mark.anyio
async def test_an_anyio_test_gets_a_client_on_its_own_loop(
    enrow_simulator: EnrowSimulator, enrow_client: EnrowClient, enrow_base_url: str
) -> None:
    assert enrow_base_url == enrow_simulator.base_url
    batch = await enrow_client.wait_for_batch(enrow_simulator.add_batch(SEARCHES), timeout=30)
    assert batch.status is BatchStatus.COMPLETED
    assert enrow_simulator.stats.requests[("GET", "/email/find/bulk")] >= 1


def test_a_sync_test_gets_a_simulator_served_from_a_thread(
    enrow_simulator_thread: SimulatorThread,
) -> None:
    served = enrow_simulator_thread
    assert served.api_key == "styles-key"
    batch_id = served.call(lambda sim: sim.add_batch(SEARCHES))

    async def wait() -> BatchStatus:
        async with EnrowClient(served.api_key, base_url=served.base_url) as client:
            return (await client.wait_for_batch(batch_id, timeout=30)).status

    assert asyncio.run(wait()) is BatchStatus.COMPLETED
    assert served.call(lambda sim: sim.stats.requests[("GET", "/email/find/bulk")]) >= 1


def test_a_loop_fixture_in_a_sync_test_names_the_thread_fixture(
    pytester: pytest.Pytester,
) -> None:
    pytester.makeconftest('pytest_plugins = ["enrow_async.testing.pytest_plugin"]')
    pytester.makepyfile(
        """
        def test_sync(enrow_base_url):
            pass

        async def test_async_without_a_plugin(enrow_client):
            pass
        """
    )
    result = pytester.runpytest_inprocess("-p", "no:asyncio", "-W", "ignore")
    result.assert_outcomes(errors=2)
    result.stdout.fnmatch_lines(
        [
            "*enrow_simulator runs on the test's event loop*a synchronous test uses "
            "enrow_simulator_thread*",
            "*enrow_client runs on the test's event loop*",
        ]
    )


def test_the_plugin_loads_no_simulator_until_a_fixture_needs_it(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    # the subprocess imports this checkout's package, wherever it runs
    monkeypatch.setenv("PYTHONPATH", str(Path(enrow_async.__file__).parents[1]))
    pytester.makeconftest('pytest_plugins = ["enrow_async.testing.pytest_plugin"]')
    pytester.makepyfile(
        """
        import sys

        def test_nothing_loaded():
            assert "enrow_async.testing._server" not in sys.modules
            assert "aiohttp.web" not in sys.modules
        """
    )
    result = pytester.runpytest_subprocess("-p", "no:xdist")
    result.assert_outcomes(passed=1)
