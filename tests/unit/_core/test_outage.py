"""The client-wide gate: pure, on given times and draws."""

from __future__ import annotations

import math

from hypothesis import given
from hypothesis import strategies as st

from enrow_async import Backoff
from enrow_async._core.retry import Health


def health(threshold: int = 3) -> Health:
    return Health(Backoff(initial=0.2, factor=2.0, cap=10.0), threshold=threshold)


def test_up_lets_everything_go() -> None:
    gate = health()
    assert gate.wait(0.0, poll=True) == 0.0
    gate.failed(0.0, 0.5)
    gate.failed(0.0, 0.5)
    assert not gate.down
    assert gate.wait(0.0, poll=True) == 0.0  # two failures are no outage
    assert not gate.probing


def test_down_holds_polls_then_lets_one_probe_go_at_a_time() -> None:
    gate = health(threshold=3)
    for _ in range(3):
        gate.failed(10.0, 0.0)
    assert gate.down
    assert gate.until > 10.0
    assert gate.wait(10.0, poll=True) == gate.until - 10.0
    assert gate.wait(10.0, poll=False) <= 0.0, "single calls are not held by an outage"
    assert gate.wait(gate.until, poll=True) == 0.0  # the probe
    assert gate.probing
    assert gate.wait(gate.until, poll=True) == math.inf  # the probe is out


def test_a_failed_probe_waits_longer_and_an_answer_ends_the_outage() -> None:
    gate = health(threshold=3)
    for _ in range(3):
        gate.failed(0.0, 0.999)
    first = gate.until
    assert gate.wait(first, poll=True) == 0.0
    gate.failed(first, 0.999)
    assert gate.until - first > first  # the wait grew
    assert gate.succeeded()
    assert gate.wait(gate.until, poll=True) == 0.0
    assert not gate.succeeded()  # nothing more to end


def test_a_429_pause_holds_single_calls_and_polls() -> None:
    gate = health()
    gate.pause(5.0)
    assert gate.paused == 5.0
    assert gate.wait(4.0, poll=False) == gate.wait(4.0, poll=True) == 1.0
    assert gate.wait(5.0, poll=False) <= 0.0
    assert gate.wait(5.0, poll=True) == 0.0


@given(st.integers(3, 500), st.floats(0.0, 0.999))
def test_the_wait_between_probes_is_a_step_of_the_one_backoff(failures: int, rand: float) -> None:
    gate = health()
    now = 0.0
    for _ in range(failures):
        gate.failed(now, rand)
        now = gate.until
        assert gate.wait(now, poll=True) == 0.0
    gate.failed(now, rand)
    assert 0.0 < gate.until - now <= gate.backoff.cap
