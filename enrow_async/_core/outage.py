"""Client-wide admission: when a request may be sent, for every wait of one client at once.

Two things hold requests back. A 429 pauses every request, single calls too, until its
``Retry-After`` (or a backoff) has passed (``pause``). An outage: after ``threshold``
transient failures of reads in a row the API counts as down, and polls go one at a time,
a probe, each failed probe holding polls back a jittered step of the client's one
``Backoff`` longer; the first answer ends it, and every held poll goes at once. So during an
outage a client polls about once per backoff step, however many waits it serves.

Retrying is the sender's; this only says when. Pure: times and random draws are passed in.
"""

from __future__ import annotations

import math

import attrs

from .retry import Backoff

__all__ = ["Health"]


@attrs.define
class Health:
    """Failures in a row, and until when requests wait (on the loop's clock)."""

    backoff: Backoff
    threshold: int = 3
    failures: int = 0
    paused: float = 0.0
    """No request at all before this (a 429's pause)."""
    until: float = 0.0
    """No poll before this (the pause, or the outage's next probe)."""
    probing: bool = False

    @property
    def down(self) -> bool:
        return self.failures >= self.threshold

    def wait(self, now: float, *, poll: bool) -> float:
        """Seconds before a request may go at ``now``: a single call waits out a pause; a
        poll also an outage's spacing, or ``inf`` while a probe is out (until an answer).
        A poll told 0 while the API is down is the probe."""
        if not poll:
            return self.paused - now
        if now < self.until:
            return self.until - now
        if self.down:
            if self.probing:
                return math.inf
            self.probing = True
        return 0.0

    def succeeded(self) -> bool:
        """An answer came; returns True when that ended an outage (held polls may go)."""
        ended = self.down or self.probing
        self.failures = 0
        self.probing = False
        return ended

    def failed(self, now: float, rand: float) -> None:
        """A transient failure at ``now``; once the API counts as down, polls wait a
        jittered step that grows with every failed probe."""
        self.failures += 1
        self.probing = False
        if self.down:
            steps = self.failures - self.threshold + 1
            wait = self.backoff.ceiling(steps) * (0.5 + rand / 2)
            self.until = max(self.until, now + wait)

    def pause(self, until: float) -> None:
        """Hold every new request, single calls too, until ``until`` (after a 429)."""
        self.paused = max(self.paused, until)
        self.until = max(self.until, until)
