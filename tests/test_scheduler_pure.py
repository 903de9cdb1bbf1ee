"""The scheduler's pure helpers."""

from __future__ import annotations

import math

from enrow_async._core.schedule import LAST_CALL, last_call


def test_no_deadline_keeps_the_delay() -> None:
    assert last_call(10.0, 3.0, math.inf) == 13.0
    assert last_call(10.0, 3.0, math.inf, first=True) == 13.0


def test_poll_moved_to_just_before_the_deadline() -> None:
    assert last_call(10.0, 30.0, 20.0) == 20.0 - LAST_CALL
    assert last_call(10.0, 1.0, 20.0) == 11.0


def test_after_the_last_call_no_extra_polls() -> None:
    now = 20.0 - LAST_CALL
    assert last_call(now, 5.0, 20.0) == now + 5.0


def test_first_poll_lands_before_a_short_deadline() -> None:
    assert last_call(0.0, 1.0, 0.1, first=True) == 0.05
    assert last_call(0.0, 0.01, 0.1, first=True) == 0.01
