"""Configuration of the simulator: how batches behave and which faults it injects."""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable
from typing import Any, Literal, get_args

import attrs

__all__ = [
    "CURVES",
    "FAULT_KINDS",
    "Curve",
    "FaultKind",
    "Faults",
    "ManualClock",
    "Outage",
    "OutageKind",
    "SimulatorConfig",
]

FaultKind = Literal[
    "server_error",
    "html_502",
    "rate_limited",
    "drop",
    "drop_after",
    "truncate",
    "slow",
    "hang",
    "cut_json",
    "inconsistent",
    "echo_key",
    "bomb",
    "drip",
    "redirect",
]
"""``drop`` loses the request before the server acts on it, ``drop_after`` after it did;
``cut_json`` answers in valid framing with half the API's JSON, after it acted;
``inconsistent`` gives a completed bulk answer whose last result repeats the first's index;
``echo_key`` answers 400 with a message that quotes the request's ``x-api-key``;
``bomb`` sends the API's answer gzip-compressed behind ``bomb_bytes`` of padding (a small
body that decodes huge); ``drip`` sends the answer one byte every ``drip_seconds``;
``redirect`` lets the API act (a start creates its job), then answers ``redirect_status``
with a ``Location`` naming the job (POST-then-redirect), in place of the API's answer."""


def _rate(_: Any, attribute: attrs.Attribute[float], value: float) -> None:
    if not 0.0 <= value <= 1.0:
        raise ValueError(f"{attribute.name} must be within [0, 1], got {value!r}")


def _non_negative(_: Any, attribute: attrs.Attribute[float], value: float) -> None:
    if not (math.isfinite(value) and value >= 0):
        raise ValueError(f"{attribute.name} must be a finite number >= 0, got {value!r}")


def _upper(methods: str | Iterable[str]) -> tuple[str, ...]:
    return (methods.upper(),) if isinstance(methods, str) else tuple(m.upper() for m in methods)


OutageKind = Literal["refuse", "reset", "503", "429"]


@attrs.frozen
class Outage:
    """From ``start`` to ``end`` seconds after the simulator started (its clock), every API
    request of ``methods`` fails as ``kind`` says: ``refuse`` (no connection: nothing was
    sent; over HTTP, where a running server cannot refuse, it closes it as ``reset`` does),
    ``reset`` (the connection closes before the API acts), ``503``, or ``429`` with
    ``Retry-After`` (``Faults.retry_after``)."""

    start: float = attrs.field(validator=attrs.validators.ge(0.0))
    end: float
    kind: OutageKind = "503"
    methods: tuple[str, ...] = attrs.field(default=("GET", "POST"), converter=_upper)
    """The methods it hits (both by default)."""

    def __attrs_post_init__(self) -> None:
        if not self.start <= self.end < math.inf:
            raise ValueError(f"an outage needs 0 <= start <= end < inf, got {self!r}")
        if self.kind not in ("refuse", "reset", "503", "429"):
            raise ValueError(f"outage kind must be refuse, reset, 503 or 429, got {self.kind!r}")


FAULT_KINDS: tuple[FaultKind, ...] = get_args(FaultKind)

Curve = Literal["linear", "fast_start", "slow_start", "steps", "random"]
CURVES: tuple[Curve, ...] = get_args(Curve)


@attrs.frozen(kw_only=True)
class Faults:
    """Per-request probabilities of each fault, drawn from the seeded RNG.

    A fault hits only requests whose method is in ``methods`` (GET by default, so POSTs
    that create jobs are faulted only when asked). The probabilities add up to at most 1.
    ``drop`` and ``hang`` never let the request reach the API, ``drop_after`` and
    ``truncate`` act on a request the API did process (a job may exist), ``slow`` answers
    normally after ``slow_seconds``, ``cut_json`` sends the API's status with the first half
    of its body and a ``Content-Length`` to match (a body cut inside valid framing).
    """

    server_error: float = attrs.field(default=0.0, validator=_rate)
    html_502: float = attrs.field(default=0.0, validator=_rate)
    rate_limited: float = attrs.field(default=0.0, validator=_rate)
    drop: float = attrs.field(default=0.0, validator=_rate)
    drop_after: float = attrs.field(default=0.0, validator=_rate)
    truncate: float = attrs.field(default=0.0, validator=_rate)
    slow: float = attrs.field(default=0.0, validator=_rate)
    hang: float = attrs.field(default=0.0, validator=_rate)
    cut_json: float = attrs.field(default=0.0, validator=_rate)
    inconsistent: float = attrs.field(default=0.0, validator=_rate)
    echo_key: float = attrs.field(default=0.0, validator=_rate)
    bomb: float = attrs.field(default=0.0, validator=_rate)
    drip: float = attrs.field(default=0.0, validator=_rate)
    redirect: float = attrs.field(default=0.0, validator=_rate)
    bomb_bytes: int = attrs.field(default=64 * 2**20, validator=attrs.validators.ge(0))
    drip_seconds: float = attrs.field(default=0.5, validator=_non_negative)
    retry_after: float = attrs.field(default=0.05, validator=_non_negative)
    slow_seconds: float = attrs.field(default=0.2, validator=_non_negative)
    redirect_status: int = attrs.field(
        default=303, validator=[attrs.validators.ge(300), attrs.validators.le(399)]
    )
    methods: tuple[str, ...] = attrs.field(default=("GET",), converter=_upper)
    outages: tuple[Outage, ...] = attrs.field(default=(), converter=tuple)
    """Windows of time in which every request fails (whatever its method)."""

    def __attrs_post_init__(self) -> None:
        if self.total > 1.0 + 1e-9:
            raise ValueError(f"fault probabilities add up to {self.total:.3f} > 1")

    def rate(self, kind: FaultKind) -> float:
        value: float = getattr(self, kind)
        return value

    @property
    def total(self) -> float:
        """Probability that a matching request gets some fault."""
        return sum(self.rate(kind) for kind in FAULT_KINDS)


def _duration(value: float | tuple[float, float]) -> tuple[float, float]:
    low, high = (value, value) if isinstance(value, int | float) else value
    if not (0 <= low <= high and math.isfinite(high)):
        raise ValueError(f"duration must be seconds >= 0 or (min, max), got {value!r}")
    return float(low), float(high)


def _one_of(*allowed: object) -> Callable[[Any, attrs.Attribute[Any], Any], None]:
    def check(_: Any, attribute: attrs.Attribute[Any], value: Any) -> None:
        if value not in allowed:
            raise ValueError(f"{attribute.name} must be one of {allowed!r}, got {value!r}")

    return check


def _optional_non_negative(_: Any, attribute: attrs.Attribute[Any], value: Any) -> None:
    if value is not None:
        _non_negative(_, attribute, value)


@attrs.frozen(kw_only=True)
class SimulatorConfig:
    """How the simulated Enrow API behaves; every choice the documentation leaves open.

    - ``duration``: seconds a job runs, a number or a ``(min, max)`` range drawn per job.
    - ``curve``: how ``finished`` grows over that time (``"random"`` picks one per job).
    - ``clock``: zero-argument callable returning seconds that job progress follows;
      ``None`` (the default) is the running event loop's clock (``time.monotonic`` on a
      standard loop, virtual time on
      [VirtualClockLoop][enrow_async.testing.VirtualClockLoop]). Inject a
      [ManualClock][enrow_async.testing.ManualClock] for progress that moves only when told
      to. The POST rate limit and fault delays always follow the event loop's clock.
    - ``ongoing_status`` / ``not_found_status`` / ``index_as``: the wire variants the
      sources disagree on, for the bulk GET endpoints.
    - ``credits``: the key's balance (``None``: unlimited); ``insufficient_status`` is
      402 (newest pages) or 422 (older reference).
    - ``post_rate_limit``: POSTs per second per key across POST endpoints (``None``: off).
    """

    api_key: str = "sim-key"
    seed: int = 0
    clock: Callable[[], float] | None = None
    duration: tuple[float, float] = attrs.field(default=(0.2, 1.0), converter=_duration)
    curve: Curve = attrs.field(default="random", validator=_one_of(*CURVES))
    fail_rate: float = attrs.field(default=0.0, validator=_rate)
    valid_rate: float = attrs.field(default=0.7, validator=_rate)
    ongoing_status: int = attrs.field(default=200, validator=_one_of(200, 202))
    not_found_status: int = attrs.field(default=400, validator=_one_of(400, 404))
    index_as: Literal["str", "int"] = attrs.field(default="str", validator=_one_of("str", "int"))
    credits: float | None = attrs.field(default=None, validator=_optional_non_negative)
    insufficient_status: int = attrs.field(default=402, validator=_one_of(402, 422))
    post_rate_limit: int | None = attrs.field(default=10, validator=_optional_non_negative)
    faults: Faults = Faults()
    webhook_delay: float = attrs.field(default=0.0, validator=_non_negative)
    webhook_repeat: int = attrs.field(default=1, validator=attrs.validators.ge(1))
    """Times each webhook event is delivered (a flood of duplicates, as a replaying or
    misbehaving sender would send)."""


class ManualClock:
    """A clock for ``SimulatorConfig(clock=...)`` that moves only when told to.

    >>> clock = ManualClock()
    >>> clock.advance(2.5)
    >>> clock()
    2.5
    """

    def __init__(self, start: float = 0.0) -> None:
        self.now: float = start

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        if not seconds >= 0:
            raise ValueError(f"a clock only moves forward, got {seconds!r}")
        self.now += seconds
