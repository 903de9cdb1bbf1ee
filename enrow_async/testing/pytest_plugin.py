"""Pytest fixtures serving the Enrow simulator, registered as the ``enrow_simulator`` plugin.

- ``enrow_simulator``: a running :class:`EnrowSimulator` on 127.0.0.1, a free port, for one
  test (async: use it from tests run by the anyio plugin, on the asyncio backend);
- ``enrow_base_url``: its base URL;
- ``enrow_simulator_config``: the :class:`SimulatorConfig` it uses; override this fixture
  in a ``conftest.py`` to change it.

>>> @pytest.mark.anyio                                          # doctest: +SKIP
... async def test_find(enrow_simulator: EnrowSimulator) -> None:
...     batch_id = enrow_simulator.add_batch([...])
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from ._config import SimulatorConfig
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
