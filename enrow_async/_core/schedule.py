"""Pure scheduling: when to poll a batch next, and the last call before a deadline.

Nothing here sleeps, reads a clock or draws a random number: times and ``rand`` (a float
in ``[0, 1)``) are passed in, so every decision is reproducible and testable. The defaults
of [PollPolicy][enrow_async.PollPolicy] are tuned with ``benchmarks/polling_sim.py``.
"""

from __future__ import annotations

import math
from typing import NamedTuple

import attrs

from .policy import PollPolicy

__all__ = ["LAST_CALL", "PollPlan", "draw", "last_call"]

_HISTORY = 4  # progress changes kept for the fit
_PRIOR = 1.0  # weight of the prior "progress is linear" against the observed counts
_EXPONENTS = (0.5, 3.0)  # plausible exponents q of done ~ elapsed ** q


class _Curve(NamedTuple):
    """A fitted ``done ~ (t - t0) ** q`` (``done = f - f0``) on a log-log scale."""

    t0: float
    f0: int
    mx: float  # weighted mean of log(elapsed)
    my: float  # weighted mean of log(done)
    sxx: float  # weighted spread of log(elapsed)
    q: float  # not yet clamped to the plausible range


def _hint(hint: float | None) -> float | None:
    return float(hint) if hint and 0 < hint < math.inf else None


@attrs.define
class PollPlan:
    """When to poll one batch next, from the snapshots seen so far.

    ``started_at`` is when the batch was created (or the best known time), on the clock of
    every ``now``; ``finished`` is taken to be 0 then. The finish is extrapolated from the
    last few changes of ``finished`` with a power law ``done ~ elapsed ** q`` (``q`` = 1 is
    linear, above 1 a slow start, below 1 a fast start), fitted by weighted least squares
    on a log-log scale with ``q`` pulled towards 1 so that a few coarse counts cannot swing
    it. When no plausible ``q`` fits (the batch began before ``started_at``, or stalled),
    the curve is drawn from the first change kept instead.

    Far from the predicted finish the plan waits ``approach`` times the time to the
    *earliest plausible* finish (the fit shifted ``caution`` standard errors early, the time
    left shortened for the noise of the counts); near it, it polls just after the predicted
    finish. With no progress yet waits grow exponentially; while nothing moves they are at
    least ``stall`` times the time since the last change. The server's
    ``estimated_duration`` (in seconds) is only an upper bound: the plan polls no later
    than the hinted finish, and a hint that is wrong costs polls, never lateness.

    Nothing caps the waits at a fixed length (``max_interval`` is an absolute ceiling): they
    scale with the batch. **Worst case**: every wait is at most ``horizon`` times the time
    since the start (or since ``finished`` last went backwards), or ``initial``, so whatever
    the curve does (a stall, a sudden burst, a late bend, a hint off by any factor), a batch
    that finishes ``T`` seconds after its start is seen done at most ``max(horizon * T,
    initial * (1 + spread), min_interval)`` seconds late: 200 % of its duration with the
    default policy. Typically far less: under 2 % of the duration at p90 on batches of
    30 s to 2 h (``benchmarks/polling_sim.py``).
    """

    policy: PollPolicy
    started_at: float = attrs.field(kw_only=True, converter=float)
    estimated_duration: float | None = attrs.field(default=None, kw_only=True, converter=_hint)
    polls: int = attrs.field(init=False, default=0)
    """Snapshots observed so far."""
    _t0: float = attrs.field(init=False)  # anchor: when finished was _f0 (the start, or a reset)
    _f0: int = attrs.field(init=False, default=0)
    _points: list[tuple[float, int]] = attrs.field(init=False, factory=list)
    """(time, finished) at the last changes."""
    _finished: int = attrs.field(init=False, default=0)
    _requested: int = attrs.field(init=False, default=0)
    _last: float = attrs.field(init=False)  # time of the latest snapshot
    _idle: int = attrs.field(init=False, default=0)  # snapshots since the anchor, no progress

    def __attrs_post_init__(self) -> None:
        self._t0 = self._last = self.started_at

    @property
    def rate(self) -> float | None:
        """Searches per second between the last two changes; ``None`` before any."""
        if not self._points:
            return None
        t2, f2 = self._points[-1]
        t1, f1 = self._points[-2] if len(self._points) > 1 else (self._t0, self._f0)
        rate = (f2 - f1) / (t2 - t1) if t2 > t1 else math.inf
        return rate if rate < math.inf else None

    def observe(self, now: float, finished: int, requested: int) -> None:
        """Record the snapshot ``finished`` of ``requested`` taken at ``now``.

        Counts are clipped to ``0 <= finished <= requested``; a snapshot older than the
        previous one is counted but ignored; ``finished`` going backwards restarts the
        estimate from this snapshot.
        """
        self.polls += 1
        if not math.isfinite(now) or now < self._last:
            return
        requested = max(0, int(requested))
        finished = min(max(0, int(finished)), requested)
        self._requested = requested
        if finished < self._finished:
            self._t0, self._f0 = now, finished
            self._points.clear()
            self._idle = 0
        elif finished > self._finished:
            self._points.append((now, finished))
            del self._points[:-_HISTORY]
        elif not self._points:
            self._idle += 1
        self._finished = finished
        self._last = now

    def _finish(self, curve: _Curve | None, shift: float = 0.0) -> float | None:
        """Predicted finish time on ``curve`` (``self._curve()``), ``None`` before any
        progress; ``shift > 0`` moves the fit ``shift`` standard errors towards an earlier
        finish."""
        if self.polls and self._finished >= self._requested:
            return self._last  # all done, or nothing to do: the status should follow
        return None if curve is None else self._extrapolate(curve, shift)

    def _curve(self) -> _Curve | None:
        """The curve through the changes kept, from the anchor; when no plausible ``q``
        fits it (far slower now than since the start: the batch began before
        ``started_at``, or stalled for a while), from the first change kept instead."""
        points = self._points
        fit = self._fit(self._t0, self._f0, points)
        if len(points) > 1 and (fit is None or fit.q < _EXPONENTS[0]):
            (t0, f0), *rest = points
            later = self._fit(t0, f0, rest)
            if later is not None:
                return later
        return fit

    def _fit(self, t0: float, f0: int, points: list[tuple[float, int]]) -> _Curve | None:
        """``done ~ (t - t0) ** q`` fitted to ``points``; ``None`` without points."""
        total = self._requested - f0
        # Weighted least squares of log(done) on log(elapsed), weights ~ 1 / variance,
        # accumulated in one pass (this runs once per snapshot).
        sw = swx = swy = swxx = swxy = 0.0
        log = math.log
        for t, f in points:
            if t > t0 and f > f0:
                done = f - f0
                x, y = log(t - t0), log(done)
                w = done / max(1.0 - done / total, 0.05)
                sw += w
                swx += w * x
                swy += w * y
                swxx += w * x * x
                swxy += w * x * y
        if not sw:
            return None
        mx, my = swx / sw, swy / sw
        sxx = max(swxx - sw * mx * mx, 0.0)
        sxy = swxy - sw * mx * my
        return _Curve(t0, f0, mx, my, sxx, (sxy + _PRIOR) / (sxx + _PRIOR))

    def _extrapolate(self, curve: _Curve, shift: float) -> float:
        """When ``curve``, its ``q`` moved ``shift`` standard errors and clamped to the
        plausible range, reaches ``requested``."""
        t0, f0, mx, my, sxx, q = curve
        total = self._requested - f0
        q = min(max(q + shift / math.sqrt(sxx + _PRIOR), _EXPONENTS[0]), _EXPONENTS[1])
        log_total = math.log(total)
        span = math.exp(min(mx + (log_total - my) / q, 50.0))
        # The next search had not finished at the last snapshot: the same curve through
        # (last snapshot, finished + 1) bounds the finish from below.
        quiet = self._last - t0
        n = self._finished - f0
        if quiet > 0 and n + 1 < total:
            span = max(span, quiet * math.exp(min((log_total - math.log(n + 1)) / q, 50.0)))
        return t0 + span

    def eta(self, now: float) -> float | None:
        """Seconds from ``now`` to the predicted finish (``0.0`` when overdue), from the
        hint while no progress is seen, ``None`` when nothing is known."""
        finish = self._finish(self._curve())
        if finish is None and self.estimated_duration is not None:
            finish = self.started_at + self.estimated_duration
        return None if finish is None else max(0.0, finish - now)

    def first_delay(self, rand: float) -> float:
        """Delay of the first poll: ``initial * (1 +/- spread)``, spread by ``rand``."""
        p = self.policy
        return self._clamp(p.initial * (1.0 + p.spread * (2.0 * draw(rand) - 1.0)))

    def next_delay(self, now: float, rand: float) -> float:
        """Seconds from ``now`` to the next poll, in ``[min_interval, max_interval]``."""
        p = self.policy
        rand = draw(rand)
        if not math.isfinite(now):
            return p.max_interval
        hint = math.inf
        if self.estimated_duration is not None and self.started_at + self.estimated_duration > now:
            hint = self.started_at + self.estimated_duration
        elapsed = now - self._t0
        # The scale-free bound on every wait (see the class docstring):
        top = max(p.horizon * elapsed, p.initial) * (1.0 - p.jitter * rand)
        fine = 0.25 * p.precision * elapsed
        curve = self._curve()
        finish = self._finish(curve)
        if finish is None:  # nothing known: exponential backoff
            delay = p.initial * p.factor ** min(self._idle, 100)
            delay = min(delay * (1.0 + p.jitter * (2.0 * rand - 1.0)), hint - now + p.margin)
            return self._clamp(min(max(delay, fine), top))
        left = finish - now
        changed = self._points[-1][0] if self._points else self._t0
        if left <= max(p.near, p.precision * elapsed):
            delay = max(left, 0.0) + (p.margin + 0.25 * fine) * (0.5 + rand)
        else:
            early = self._finish(curve, p.caution)
            early = min(finish if early is None else early, hint, now + left * self._sure())
            delay = p.approach * (early - now) * (1.0 + p.jitter * (2.0 * rand - 1.0))
        # However near the finish looks, back off from the last change (a stall).
        delay = max(delay, p.stall * (now - changed), fine)
        return self._clamp(min(delay, top))

    def _sure(self) -> float:
        """Share of the predicted time left that is sure to pass: the counts are noisy (a
        rate from ``done`` searches, ``left`` of them to come), so the finish may come up
        to ``noise`` relative standard errors early."""
        done = self._finished - self._f0
        left = self._requested - self._finished
        if done <= 0 or left <= 0:
            return 1.0
        return 1.0 / (1.0 + self.policy.noise * math.sqrt(1.0 / done + 1.0 / left))

    def _clamp(self, delay: float) -> float:
        p = self.policy
        if not math.isfinite(delay):
            return p.max_interval
        return min(max(delay, p.min_interval), p.max_interval)


def draw(rand: float) -> float:
    """``rand`` if it is in ``[0, 1)``, else 0.5: a bad draw never breaks a schedule."""
    return rand if 0.0 <= rand < 1.0 else 0.5


LAST_CALL = 0.2
"""Seconds before a waiter's deadline at which one last poll is made."""


def last_call(
    now: float, delay: float, deadline: float, *, first: bool = False, gap: float = 0.0
) -> float:
    """When to poll next: after ``delay``, but no later than ``LAST_CALL`` seconds before the
    deadline, so a wait that times out reports fresh progress. A first poll always lands
    before the deadline, however short. A last call within ``gap`` of ``now`` is the poll
    just made (on a coarse timer grid it would land on the same tick, again and again)."""
    due = now + delay
    final = deadline - LAST_CALL
    if due <= final:
        return due
    if final > now + gap:
        return final
    return min(due, now + (deadline - now) / 2) if first else due
