"""The DataFrame helpers' tests: pandas and polars frames against the simulator in memory,
on virtual time; batches take 0.2-0.4 s (virtual), seed 5."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pytest

from enrow_async.testing import SimulatorConfig

from .frames_support import Make


@pytest.fixture
def sim_config() -> SimulatorConfig:
    return SimulatorConfig(duration=(0.2, 0.4), seed=5)


@pytest.fixture(params=["pandas", "polars"])
def backend(request: pytest.FixtureRequest) -> str:
    name: str = request.param
    return name


@pytest.fixture
def make(backend: str) -> Make:
    def make(columns: dict[str, Sequence[object]]) -> Any:
        if backend == "pandas":
            import pandas

            return pandas.DataFrame({name: list(cells) for name, cells in columns.items()})
        import polars

        return polars.DataFrame({name: list(cells) for name, cells in columns.items()})

    return make
