"""Client-wide health: when the API is down, one probe at a time instead of a storm.

``Health`` counts transient failures in a row across every request of one client.
After ``threshold`` of them the API counts as down: no poll starts before ``until``, then
a single probe goes; its success ends the outage (every held poll goes at once, at full
precision), its failure doubles the wait, from 0.2 s up to 15 s, jittered. A 429 pauses
every request (``pause``) for its ``Retry-After`` or a backoff, down or not. So
during an outage a client polls about once per 15 s, however many waits it serves.
Pure: times and random draws are passed in.
"""

from __future__ import annotations

import math

import attrs

from .schedule import Backoff

__all__ = ["Health"]


@attrs.define
class Health:
    """Failures in a row, and until when new polls wait (on the loop's clock)."""

    threshold: int = 3
    backoff: Backoff = attrs.field(factory=lambda: Backoff(initial=0.2, factor=2.0, cap=15.0))
    failures: int = 0
    until: float = 0.0
    """No poll before this (a 429's pause, or the outage's backoff)."""
    paused: float = 0.0
    """No request at all before this (a 429's pause)."""
    probing: bool = False
    recoveries: int = 0
    """Outages ended so far: a poller that sees it change polls what it held back at once."""

    @property
    def down(self) -> bool:
        return self.failures >= self.threshold

    def admit(self, now: float) -> float:
        """How many polls may start at ``now``: none while paused or while a probe is out,
        one (the probe) while down, any number otherwise."""
        if now < self.until:
            return 0
        if self.down:
            return 0 if self.probing else 1
        return math.inf

    def probe(self) -> None:
        """A poll went out while the API is down: the others wait for its answer."""
        if self.down:
            self.probing = True

    def succeeded(self) -> bool:
        """An answer came; returns True when that ended an outage (held polls may go)."""
        ended = self.down or self.probing
        self.failures = 0
        self.probing = False
        self.recoveries += ended
        return ended

    def failed(self, now: float, rand: float) -> None:
        """A transient failure at ``now``; once the API counts as down, new polls wait a
        jittered backoff that grows with every failed probe."""
        self.failures += 1
        self.probing = False
        if self.down:
            steps = self.failures - self.threshold + 1
            wait = self.backoff.delay(steps, 0.5 + rand / 2)
            self.until = max(self.until, now + wait)

    def pause(self, until: float) -> None:
        """Hold every new request, single calls too, until ``until`` (after a 429)."""
        self.paused = max(self.paused, until)
        self.until = max(self.until, until)
