"""One job on the simulated server: its progress over time and every body it answers with.

The simulator serves every row of the client's job table (``_core.jobs.JOBS``) at the
row's path, with its limit, price and webhook event, in the API's words for its family
(``_families``); ``QUIRKS`` says where the API departs from those for one row. Progress is
computed from the clock when asked (no timer per job). Results are drawn from the job's
items and seed when needed (the same every time), not kept: only their count of hits is,
and the final body once it has been serialised.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any, Literal

import attrs
import orjson

from .._core.jobs import JOBS, JobSpec
from ._config import Curve, SimulatorConfig
from ._families import FAMILIES, Family, number

__all__ = ["ENDPOINTS", "QUIRKS", "Endpoint", "Job", "Status", "endpoint", "number"]

Status = Literal["ongoing", "completed", "failed"]

_CURVES: dict[str, Callable[[float], float]] = {
    "linear": lambda t: t,
    "fast_start": lambda t: 1 - (1 - t) ** 2,
    "slow_start": lambda t: t * t,
    "steps": lambda t: math.floor(t * 4) / 4,
}
_JUST_BEFORE_END = math.nextafter(1.0, 0.0)


@attrs.frozen(kw_only=True)
class Endpoint:
    """One row of the job table as the simulator serves it: the row, its family, and the
    API's words and numbers for it."""

    spec: JobSpec[Any]
    family: Family
    path: str
    bulk: bool
    limit: int
    started: str
    unknown_id: str
    unknown_id_404: str
    missing_id: str = "Missing id in the query params"
    created_status: int = 201


QUIRKS: dict[str, dict[str, Any]] = {
    "email single": {"created_status": 200},
    "verify single": {
        "created_status": 200,
        "missing_id": "The single verif id is missing in the URL query string",
    },
    "phone bulk": {"limit": 3000},  # the newest pages; the client sends up to the older 5,000
}
"""Where the API departs, for one row (by name), from what its row and family say."""


def endpoint(spec: JobSpec[Any]) -> Endpoint:
    """How the simulator serves ``spec``: its family's words, and the row's quirks."""
    family = FAMILIES[spec.name.split()[0]]
    noun, size = family.noun, "bulk" if spec.bulk else "single"
    words: dict[str, Any] = {
        "path": spec.path,
        "bulk": spec.bulk,
        "limit": spec.limit,
        "started": f"Bulk {noun} operating" if spec.bulk else f"{noun.capitalize()} operating",
        "unknown_id": f"Could not retrieve {size} {noun} results",
        "unknown_id_404": f"Bulk {noun} not found",
    }
    return Endpoint(spec=spec, family=family, **(words | QUIRKS.get(spec.name, {})))


ENDPOINTS = {spec.path: endpoint(spec) for spec in JOBS}
"""Every row of the job table, by path."""


@attrs.define(eq=False)
class Job:
    """A job the server holds: bulk batch or single search, and its wire-form results."""

    id: str
    endpoint: Endpoint
    payload: dict[str, Any]
    items: list[Any] = attrs.field(repr=False)
    config: SimulatorConfig = attrs.field(repr=False)
    started: float
    duration: float
    curve: Curve
    fail: bool = False
    found: int = attrs.field(init=False)
    """Results that found something (valid email, found number)."""
    _final: bytes | None = attrs.field(default=None, init=False, repr=False)

    def __attrs_post_init__(self) -> None:
        self.found = sum(r["qualification"] in ("valid", "found") for r in self.results)

    @property
    def results(self) -> list[dict[str, Any]]:
        """The wire-form results, drawn anew on each call (identical every time)."""
        settings: dict[str, Any] = self.payload.get("settings") or {}
        country = str(settings.get("country_code") or "US").upper()
        gender = settings.get("retrieve_gender") is True
        return self.endpoint.family.results(self, country, gender)

    @property
    def path(self) -> str:
        return self.endpoint.path

    @property
    def requested(self) -> int:
        return len(self.items) if self.endpoint.bulk else 1

    @property
    def finish_at(self) -> float:
        """Clock time at which the job completes (or fails)."""
        return self.started + self.duration

    @property
    def webhook(self) -> str | None:
        url = (self.payload.get("settings") or {}).get("webhook")
        return url if isinstance(url, str) and url else None

    @property
    def credits_initial(self) -> float:
        return self.requested * self.endpoint.spec.price

    @property
    def credits_refunded(self) -> float:
        """Failed jobs are refunded in full; verifications are never refunded."""
        if self.fail:
            return self.credits_initial
        if not self.endpoint.family.refunds:
            return 0.0
        return (self.requested - self.found) * self.endpoint.spec.price

    def status(self, now: float) -> Status:
        if now < self.finish_at:
            return "ongoing"
        return "failed" if self.fail else "completed"

    def finished(self, now: float) -> int:
        """Searches done at ``now``: monotonic, ``requested`` only once completed."""
        if now >= self.finish_at:
            if not self.fail:
                return self.requested
            t = _JUST_BEFORE_END  # a failed job keeps what it had done
        else:
            t = max(now - self.started, 0.0) / self.duration if self.duration else 0.0
        return min(self.requested - 1, math.floor(self.requested * _CURVES[self.curve](t)))

    def progress_body(self, now: float) -> dict[str, Any]:
        """The reduced body of a bulk job that is ongoing or failed."""
        general = {"id": self.id, "status": self.status(now)}
        return {
            "general": general,
            "stats": {"finished": self.finished(now), "requested": self.requested},
        }

    def final_bytes(self) -> bytes:
        """The serialised body the GET returns once the job is over (cached)."""
        if self._final is None:
            self._final = orjson.dumps(self._final_body())
        return self._final

    def _final_body(self) -> dict[str, Any]:
        if not self.endpoint.bulk:
            return self.results[0]
        if self.fail:
            return self.progress_body(self.finish_at)
        general: dict[str, Any] = {"id": self.id, "status": "completed"}
        if "custom" in self.payload:
            general["custom"] = self.payload["custom"]
        stats: dict[str, Any] = {"finished": self.requested, "requested": self.requested}
        stats |= self.endpoint.family.stats(self, self.credits_initial, self.credits_refunded)
        return {"general": general, "stats": stats, "results": self.results}

    def webhook_event(self) -> dict[str, Any]:
        """The documented payload POSTed to ``settings.webhook`` when the job is over."""
        event: dict[str, Any] = {"event": self.endpoint.spec.event, "id": self.id}
        cost = {"cost": number(self.credits_initial - self.credits_refunded)}
        return self.endpoint.family.event(self, event, cost)
