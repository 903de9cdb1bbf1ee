"""The command line run in-process (``run_async``) against a simulator on 127.0.0.1.

Clients poll every few milliseconds (the ``client=`` seam of ``run_async``), and the
simulator's batches finish at once unless a test says otherwise, so nothing waits long.
"""

from __future__ import annotations

import functools
import io
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from cli_support import FAST, Cli, Ran

from enrow_async import EnrowClient
from enrow_async.cli import run_async
from enrow_async.testing import EnrowSimulator, SimulatorConfig

fast_client = functools.partial(EnrowClient, poll_policy=FAST)


@pytest.fixture
def cli(monkeypatch: pytest.MonkeyPatch) -> Cli:
    """``await cli("find", ..., key=...)``: ENROW_API_KEY is ``key`` (unset by default)."""

    async def run(*argv: str | Path, key: str | None = None) -> Ran:
        if key is None:
            monkeypatch.delenv("ENROW_API_KEY", raising=False)
        else:
            monkeypatch.setenv("ENROW_API_KEY", key)
        raw = io.BytesIO()
        out = io.TextIOWrapper(raw, encoding="utf-8", newline="", write_through=True)
        err = io.StringIO()
        code = await run_async(list(map(str, argv)), stdout=out, stderr=err, client=fast_client)
        out.flush()
        return Ran(code, raw.getvalue().decode(), err.getvalue())

    return run


@pytest.fixture
def sim_config() -> SimulatorConfig:
    """Batches that are over as soon as they start."""
    return SimulatorConfig(duration=0.0, seed=1)


@pytest.fixture
async def sim(sim_config: SimulatorConfig) -> AsyncIterator[EnrowSimulator]:
    async with EnrowSimulator(sim_config, host="127.0.0.1", port=0) as simulator:
        yield simulator
