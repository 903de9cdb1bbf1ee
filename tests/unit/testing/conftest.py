"""The simulator's tests: raw calls to it in memory (``call``), and a clock that moves only
when a test says (``clock``)."""

from __future__ import annotations

import pytest

from enrow_async.testing import EnrowSimulator, ManualClock

from .simulator_calls import Call, caller


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock()


@pytest.fixture
def call(sim: EnrowSimulator) -> Call:
    return caller(sim)
