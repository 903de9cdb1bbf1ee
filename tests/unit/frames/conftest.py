"""The DataFrame helpers' tests: pandas and polars frames against the simulator in memory,
on virtual time; batches take 0.2-0.4 s (virtual), seed 5."""

from __future__ import annotations

import importlib
from collections.abc import Sequence
from typing import Any

import pytest

from enrow_async.testing import SimulatorConfig

from .frames_support import Make


@pytest.fixture
def sim_config() -> SimulatorConfig:
    return SimulatorConfig(duration=(0.2, 0.4), seed=5)


@pytest.fixture(params=["pandas", "polars"])
def make(request: pytest.FixtureRequest) -> Make:
    """Frames of each backend in turn: the test runs once with pandas, once with polars."""
    library = importlib.import_module(request.param)

    def make(columns: dict[str, Sequence[object]]) -> Any:
        return library.DataFrame({name: list(cells) for name, cells in columns.items()})

    return make
