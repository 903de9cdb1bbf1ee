"""The poll schedule's knobs: [PollPolicy][enrow_async.PollPolicy], validated.

What users tune is kept apart from what the schedule computes with it (``PollPlan``, in
``schedule``). The defaults are tuned with ``benchmarks/polling_sim.py``.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import attrs

__all__ = ["PollPolicy", "check_range"]


def check_range(owner: str, name: str, value: float, low: float, high: float = math.inf) -> None:
    if not low <= value <= high:  # also rejects NaN
        raise ValueError(f"{owner}.{name} must be in [{low}, {high}], got {value!r}")


@attrs.frozen
class PollPolicy:
    """Knobs of ``PollPlan`` (seconds unless said otherwise).

    - ``initial``: first poll after ``initial * (1 +/- spread)``; base of the backoff.
    - ``factor``: growth of the waits before any progress: ``initial * factor ** n``.
    - ``stall``: while nothing moves, wait at least this share of the time since the last
      change (a stalled batch is polled less and less often).
    - ``min_interval`` / ``max_interval``: bounds of every wait. ``max_interval`` is only an
      absolute ceiling now (30 min by default, it was 20 s): the scale-free bound is
      ``horizon``.
    - ``horizon``: never wait more than ``horizon`` times the time since the start; this
      bounds the worst-case lateness (see ``PollPlan``).
    - ``jitter``: relative spread of waits far from the finish.
    - ``margin`` / ``near``: a predicted finish closer than ``near`` (or ``precision`` of
      the elapsed time) is polled ``margin`` plus ``precision / 16`` of it after it.
    - ``precision``: share of the elapsed time that a batch's finish is aimed within; a
      quarter of it is the shortest wait (an hour-long batch is not polled every second).
    - ``approach``: far from the finish, wait this share of the time to the earliest
      plausible finish, then look again.
    - ``caution``: the earliest plausible finish is the fit shifted this many standard
      errors early; higher means more polls and less lateness.
    - ``noise``: the same for the counts: the time left is shortened by ``noise`` relative
      standard errors of a rate measured on ``done`` searches with ``left`` to come.
    - ``tick``: polls due within the same ``tick`` (0-1 s) wake together, in one turn of
      the event loop, which costs less CPU per poll; a poll moves by at most half a tick.
      The client's poller reads it from the client's ``poll_policy``; 0 keeps exact times.
    - ``rand``: draws every poll's jitter (floats in [0, 1)); ``None``, the client's own
      ``random.Random()``. A seam for tests: a constant makes the waits exact.
    """

    initial: float = 1.5
    factor: float = 2.0
    max_interval: float = 1800.0
    min_interval: float = 0.25
    jitter: float = 0.1
    spread: float = 0.5
    margin: float = 0.1
    near: float = 1.0
    approach: float = 0.9
    horizon: float = 2.0
    caution: float = 1.9
    stall: float = 0.35
    precision: float = 0.02
    noise: float = 3.0
    tick: float = 0.25
    rand: Callable[[], float] | None = attrs.field(default=None, eq=False, repr=False)

    def __attrs_post_init__(self) -> None:
        bounds = {
            "min_interval": (1e-3, 1e6),
            "max_interval": (self.min_interval, 1e6),
            "initial": (self.min_interval, self.max_interval),
            "factor": (1.0, 10.0),
            "jitter": (0.0, 0.5),
            "spread": (0.0, 0.9),
            "margin": (0.0, 1e6),
            "near": (0.0, 1e6),
            "approach": (0.05, 1.0),
            "horizon": (0.05, 100.0),
            "caution": (0.0, 10.0),
            "stall": (0.0, 10.0),
            "precision": (0.0, 0.5),
            "noise": (0.0, 100.0),
            "tick": (0.0, 1.0),
        }
        for name, (low, high) in bounds.items():
            check_range("PollPolicy", name, getattr(self, name), low, high)
