"""Pytest fixtures serving the Enrow simulator. Opt in with one line in ``conftest.py``::

    pytest_plugins = ["enrow_async.testing.pytest_plugin"]

(It is not loaded into every pytest run of your environment: importing it costs some
350 ms of aiohttp and the simulator.)

- ``enrow_simulator``: a running :class:`EnrowSimulator` on 127.0.0.1, a free port, for one
  test (async: use it from tests run by the anyio plugin, on the asyncio backend);
- ``enrow_base_url``: its base URL;
- ``enrow_memory_simulator``: a running simulator that opens no socket, and
  ``enrow_memory_transport``: a :class:`MemoryTransport` onto it, for
  ``EnrowClient(sim.api_key, base_url=sim.base_url, transport=...)``; on
  :class:`VirtualClockLoop` (``anyio_backend = ("asyncio", {"loop_factory":
  VirtualClockLoop})``) its time is virtual;
- ``enrow_simulator_config``: the :class:`SimulatorConfig` both use; override this fixture
  in a ``conftest.py`` to change it.

>>> @pytest.mark.anyio                                          # doctest: +SKIP
... async def test_find(enrow_simulator: EnrowSimulator) -> None:
...     batch_id = enrow_simulator.add_batch([...])
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from ._config import SimulatorConfig
from ._memory import MemoryTransport
from ._server import EnrowSimulator


@pytest.fixture
def enrow_simulator_config() -> SimulatorConfig:
    """The configuration of ``enrow_simulator``: defaults; override to change."""
    return SimulatorConfig()


@pytest.fixture
async def enrow_simulator(
    enrow_simulator_config: SimulatorConfig,
) -> AsyncIterator[EnrowSimulator]:
    """A running simulator on 127.0.0.1 and a free port, closed after the test."""
    async with EnrowSimulator(enrow_simulator_config, host="127.0.0.1", port=0) as simulator:
        yield simulator


@pytest.fixture
def enrow_base_url(enrow_simulator: EnrowSimulator) -> str:
    """``http://127.0.0.1:<port>`` of the running ``enrow_simulator``."""
    return enrow_simulator.base_url


@pytest.fixture
async def enrow_memory_simulator(
    enrow_simulator_config: SimulatorConfig,
) -> AsyncIterator[EnrowSimulator]:
    """A running simulator kept in memory (no socket), closed after the test."""
    async with EnrowSimulator(enrow_simulator_config, serve=False) as simulator:
        yield simulator


@pytest.fixture
def enrow_memory_transport(enrow_memory_simulator: EnrowSimulator) -> MemoryTransport:
    """A MemoryTransport onto ``enrow_memory_simulator``."""
    return MemoryTransport(enrow_memory_simulator)
