"""SimulatorThread: the simulator on its own loop in a background thread, for sync code."""

from __future__ import annotations

import threading

import pytest

from enrow_async.testing import EnrowSimulator, SimulatorConfig, SimulatorThread


def test_it_serves_on_loopback_and_runs_calls_on_its_own_thread() -> None:
    with SimulatorThread(SimulatorConfig(api_key="thread-key")) as served:
        assert served.base_url.startswith("http://127.0.0.1:")
        assert served.api_key == "thread-key"
        assert repr(served) == f"SimulatorThread({served.base_url})"

        def where(sim: EnrowSimulator) -> tuple[bool, str]:
            return sim.running, threading.current_thread().name

        running, thread = served.call(where)
        assert running
        assert thread != threading.current_thread().name
    assert repr(served) == "SimulatorThread(not started)"


def test_a_call_raises_what_the_function_raised() -> None:
    with SimulatorThread() as served, pytest.raises(KeyError):
        served.call(lambda sim: sim.batch("no-such-batch"))


def test_it_is_usable_only_while_running() -> None:
    served = SimulatorThread()
    with pytest.raises(RuntimeError, match="not running"):
        served.base_url  # noqa: B018
    with pytest.raises(RuntimeError, match="not running"):
        served.call(lambda sim: sim.running)
    served.start()
    try:
        with pytest.raises(RuntimeError, match="already running"):
            served.start()
    finally:
        served.close()
    served.close()  # closing twice is harmless
