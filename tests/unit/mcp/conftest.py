"""The MCP server's tests: the SDK's own client in memory, over both protocol eras (the
2026-07-28 connection, where elicitation rides the call's result, and the legacy
handshake, where the server asks mid-call), against the simulator in memory, on virtual
time. Batches take 2-4 s (virtual), seed 3."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from mcp.server.mcpserver import MCPServer

from enrow_async.mcp import Guard, McpSettings, build_server
from enrow_async.mcp._server import Toolbox
from enrow_async.testing import EnrowSimulator, SimulatorConfig

Serve = Callable[..., MCPServer[Toolbox]]
"""``serve(directory=None, key=None, timeout=600, sample=5, **guard)``: a server on ``sim``."""


@pytest.fixture
def sim_config() -> SimulatorConfig:
    return SimulatorConfig(duration=(2.0, 4.0), seed=3)


@pytest.fixture(params=["auto", "legacy"])
def mode(request: pytest.FixtureRequest) -> str:
    """``auto``: the in-memory client speaks 2026-07-28; ``legacy``: the handshake era."""
    chosen: str = request.param
    return chosen


@pytest.fixture
def jobs(tmp_path: Path) -> Path:
    return tmp_path / "jobs"


@pytest.fixture
def serve(connect: Any, sim: EnrowSimulator, jobs: Path) -> Serve:
    def make(
        *,
        directory: Path | None = None,
        key: str | None = None,
        timeout: float | None = 600,
        sample: int = 5,
        **guard: float,
    ) -> MCPServer[Toolbox]:
        settings = McpSettings(
            Guard(**guard), directory=directory or jobs, timeout=timeout, sample=sample
        )
        return build_server(lambda: connect(sim, key=key), settings)

    return make
