"""Everything the simulated server remembers: jobs, credits, the POST rate limit, counters."""

from __future__ import annotations

import asyncio
import heapq
import random
import uuid
from collections import Counter, deque
from collections.abc import Callable, Mapping
from typing import Any

import attrs

from ._config import CURVES, Curve, SimulatorConfig
from ._jobs import ENDPOINTS, Job, number
from ._validate import ApiError

__all__ = ["UNLIMITED_CREDITS", "RateLimiter", "Simulation", "SimulatorStats", "loop_time"]

UNLIMITED_CREDITS = 1_000_000
"""Balance shown by ``/account/info`` when the config sets no ``credits`` (never enforced)."""

_CONCRETE_CURVES = tuple(c for c in CURVES if c != "random")


def loop_time() -> float:
    """The running event loop's clock: ``time.monotonic()`` on a standard asyncio loop,
    virtual time on [VirtualClockLoop][enrow_async.testing.VirtualClockLoop]."""
    try:
        loop = asyncio.get_running_loop()
    except RuntimeError:
        raise RuntimeError(
            "the simulator reads the running event loop's clock: call it from async code,"
            " or give SimulatorConfig a clock (a ManualClock, time.monotonic)"
        ) from None
    return loop.time()


@attrs.define
class SimulatorStats:
    """What the simulator saw. ``EnrowSimulator.stats`` hands out a detached snapshot.

    - ``requests``: API requests per ``(method, path)``, faulted ones included;
    - ``created``: jobs created by a POST, per path (``add_batch`` is not counted);
    - ``faults``: faults injected, per kind; ``rate_limited``: 429s of the POST limit;
    - ``webhooks_delivered`` / ``webhooks_failed``: webhook POSTs answered 2xx / not.
    """

    requests: Counter[tuple[str, str]] = attrs.Factory(Counter)
    created: Counter[str] = attrs.Factory(Counter)
    faults: Counter[str] = attrs.Factory(Counter)
    rate_limited: int = 0
    webhooks_delivered: int = 0
    webhooks_failed: int = 0

    @property
    def batches_created(self) -> int:
        """Jobs created by POSTs, all endpoints together."""
        return sum(self.created.values())

    def snapshot(self) -> SimulatorStats:
        return attrs.evolve(
            self,
            requests=Counter(self.requests),
            created=Counter(self.created),
            faults=Counter(self.faults),
        )

    def to_json(self) -> dict[str, Any]:
        """The JSON form served at ``GET /_simulator/stats``; requests keyed ``"GET /path"``."""
        return {
            "requests": {f"{m} {p}": n for (m, p), n in sorted(self.requests.items())},
            "created": dict(self.created),
            "batches_created": self.batches_created,
            "faults": dict(self.faults),
            "rate_limited": self.rate_limited,
            "webhooks_delivered": self.webhooks_delivered,
            "webhooks_failed": self.webhooks_failed,
        }


class RateLimiter:
    """At most ``limit`` hits per key in any sliding second of ``clock`` (the loop's)."""

    def __init__(self, limit: int | None, clock: Callable[[], float] = loop_time) -> None:
        self._limit = limit
        self._clock = clock
        self._hits: dict[str, deque[float]] = {}

    def retry_after(self, key: str) -> float | None:
        """Record a hit, or return the seconds to wait if the key is over its limit."""
        if self._limit is None:
            return None
        now = self._clock()
        hits = self._hits.setdefault(key, deque())
        while hits and hits[0] <= now - 1.0:
            hits.popleft()
        if len(hits) >= self._limit:
            return hits[0] + 1.0 - now if hits else 1.0
        hits.append(now)
        return None


class _Ledger:
    """The key's balance: charged up front, refunds credited when the job ends."""

    def __init__(self, credits: float | None) -> None:
        self.limited = credits is not None
        self._balance = UNLIMITED_CREDITS if credits is None else credits
        self._refunds: list[tuple[float, float]] = []

    def balance(self, now: float) -> float:
        while self._refunds and self._refunds[0][0] <= now:
            self._balance += heapq.heappop(self._refunds)[1]
        return self._balance

    def charge(self, job: Job, now: float) -> bool:
        if self.limited and self.balance(now) < job.credits_initial:
            return False
        self._balance -= job.credits_initial
        if job.credits_refunded:
            heapq.heappush(self._refunds, (job.finish_at, job.credits_refunded))
        return True


class Simulation:
    """The server's memory, independent of HTTP; draws come from one seeded RNG."""

    def __init__(self, config: SimulatorConfig, on_webhook_job: Callable[[Job], None]) -> None:
        self.config = config
        self.stats = SimulatorStats()
        self.jobs: dict[str, Job] = {}
        self.rate_limiter = RateLimiter(config.post_rate_limit)
        self._rng = random.Random(config.seed)
        self._ledger = _Ledger(config.credits)
        self._on_webhook_job = on_webhook_job

    def now(self) -> float:
        """Clock time of job progress: the config's clock, else the event loop's."""
        clock = self.config.clock
        return loop_time() if clock is None else clock()

    def balance(self) -> float:
        return number(self._ledger.balance(self.now()))

    def create(
        self,
        path: str,
        payload: Mapping[str, Any],
        items: list[Any],
        *,
        charge: bool = True,
        duration: float | None = None,
        curve: Curve | None = None,
        fail: bool | None = None,
    ) -> Job:
        """A new job; the same draws happen whatever is overridden, so runs stay reproducible.

        Raises ``ApiError`` (402 or 422) when ``charge`` and the balance is too low.
        """
        endpoint = ENDPOINTS[path]
        rng, config = self._rng, self.config
        job_id = str(uuid.UUID(int=rng.getrandbits(128), version=4))
        drawn_duration = rng.uniform(*config.duration)
        drawn_curve = rng.choice(_CONCRETE_CURVES)
        drawn_fail = rng.random() < config.fail_rate and endpoint.bulk
        chosen_curve = curve or config.curve
        if chosen_curve not in CURVES:
            raise ValueError(f"curve must be one of {CURVES!r}, got {chosen_curve!r}")
        if duration is not None and not duration >= 0:
            raise ValueError(f"duration must be seconds >= 0, got {duration!r}")
        job = Job(
            id=job_id,
            endpoint=endpoint,
            payload=dict(payload),
            items=items,
            config=config,
            started=self.now(),
            duration=drawn_duration if duration is None else duration,
            curve=drawn_curve if chosen_curve == "random" else chosen_curve,
            fail=drawn_fail if fail is None else fail,
        )
        if charge and not self._ledger.charge(job, job.started):
            raise self._insufficient(endpoint.bulk)
        self.jobs[job.id] = job
        if job.webhook is not None:
            self._on_webhook_job(job)
        return job

    def _insufficient(self, bulk: bool) -> ApiError:
        status = self.config.insufficient_status
        if status == 422:
            return ApiError(422, "Insufficient balance")
        if bulk:
            return ApiError(402, "Insufficient credits")
        body = {"reason": "Insufficient credits", "success": False}
        return ApiError(402, "Insufficient credits", body=body)
