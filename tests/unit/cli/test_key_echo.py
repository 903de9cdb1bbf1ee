"""A server that echoes the API key never gets it onto the command line's output."""

from __future__ import annotations

import pytest
from cli_support import Cli

from enrow_async.testing import EnrowSimulator

pytestmark = pytest.mark.anyio


@pytest.mark.parametrize("debug", [[], ["--debug"]])
async def test_an_echoed_key_is_never_printed(
    cli: Cli, sim: EnrowSimulator, debug: list[str]
) -> None:
    sim.inject("echo_key", count=100)
    batch_id = sim.add_batch([{"fullname": "Jim Halpert", "company_domain": "dundermifflin.com"}])
    ran = await cli("results", batch_id, "--base-url", sim.base_url, *debug, key=sim.api_key)
    assert ran.code == 1
    assert "Invalid settings payload" in ran.err  # the server's words came through
    assert sim.api_key not in ran.err
    assert sim.api_key not in ran.out
    assert sim.stats.faults["echo_key"] >= 1
