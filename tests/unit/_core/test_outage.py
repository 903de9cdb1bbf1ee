"""The client-wide health state: pure, on given times and draws."""

from __future__ import annotations

import math

from hypothesis import given
from hypothesis import strategies as st

from enrow_async._core.outage import Health


def test_up_admits_everything() -> None:
    health = Health()
    assert health.admit(0.0) == math.inf
    health.failed(0.0, 0.5)
    health.failed(0.0, 0.5)
    assert not health.down
    assert health.admit(0.0) == math.inf  # two failures are no outage


def test_down_waits_then_admits_one_probe_at_a_time() -> None:
    health = Health(threshold=3)
    for _ in range(3):
        health.failed(10.0, 0.0)
    assert health.down
    assert health.until > 10.0
    assert health.admit(10.0) == 0
    assert health.admit(health.until) == 1
    health.probe()
    assert health.admit(health.until) == 0  # the probe is out


def test_a_failed_probe_waits_longer_and_an_answer_ends_the_outage() -> None:
    health = Health(threshold=3)
    for _ in range(3):
        health.failed(0.0, 0.999)
    first = health.until
    health.probe()
    health.failed(first, 0.999)
    assert health.until - first > first  # the wait grew
    assert health.succeeded()
    assert health.recoveries == 1
    assert health.admit(health.until) == math.inf
    assert not health.succeeded()  # nothing more to end


def test_a_429_pause_holds_single_calls_and_polls() -> None:
    health = Health()
    health.pause(5.0)
    assert health.paused == 5.0
    assert health.admit(4.9) == 0
    assert health.admit(5.0) == math.inf


@given(st.integers(3, 500), st.floats(0.0, 0.999))
def test_the_wait_between_probes_is_capped(failures: int, rand: float) -> None:
    health = Health()
    now = 0.0
    for _ in range(failures):
        health.failed(now, rand)
        now = health.until
        health.probe()
    health.failed(now, rand)
    assert 0.0 < health.until - now <= health.backoff.cap
