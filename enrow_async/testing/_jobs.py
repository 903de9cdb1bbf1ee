"""One job on the simulated server: its progress over time and every body it answers with.

Progress is computed from the clock when asked (no timer per job). Results are drawn from
the job's items and seed when needed (the same every time), not kept: only their count of
hits is, and the final body once it has been serialised.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from typing import Any, Literal

import attrs
import orjson

from ._config import Curve, SimulatorConfig
from ._results import find_person, phone_result, uuid_from, verify_qualification

__all__ = [
    "EMAIL_BULK",
    "ENDPOINTS",
    "Endpoint",
    "Job",
    "Status",
    "build_results",
    "number",
]

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
    """What differs between the job endpoints: names, messages, limits and prices."""

    path: str
    bulk: bool
    event: str
    started: str
    unknown_id: str
    unknown_id_404: str = ""
    missing_id: str = "Missing id in the query params"
    created_status: int = 201
    price: float = 1.0
    refunds: bool = True


EMAIL_BULK = "/email/find/bulk"
ENDPOINTS = {
    e.path: e
    for e in (
        Endpoint(
            path=EMAIL_BULK,
            bulk=True,
            event="bulk_search_finished",
            started="Bulk search operating",
            unknown_id="Could not retrieve bulk search results",
            unknown_id_404="Bulk search not found",
        ),
        Endpoint(
            path="/email/verify/bulk",
            bulk=True,
            event="bulk_verification_finished",
            started="Bulk verification operating",
            unknown_id="Could not retrieve bulk verification results",
            unknown_id_404="Bulk verification not found",
            price=0.25,
            refunds=False,
        ),
        Endpoint(
            path="/phone/bulk",
            bulk=True,
            event="bulk_phone_search_finished",
            started="Bulk phone search operating",
            unknown_id="Could not retrieve bulk phone search results",
            unknown_id_404="Bulk phone search not found",
            price=40,
        ),
        Endpoint(
            path="/email/find/single",
            bulk=False,
            event="single_search_finished",
            started="Search operating",
            unknown_id="Could not retrieve single search results",
            created_status=200,
        ),
        Endpoint(
            path="/email/verify/single",
            bulk=False,
            event="verification_finished",
            started="Verification operating",
            unknown_id="Could not retrieve single verification results",
            missing_id="The single verif id is missing in the URL query string",
            created_status=200,
            price=0.25,
            refunds=False,
        ),
        Endpoint(
            path="/phone/single",
            bulk=False,
            event="single_phone_search_finished",
            started="Phone search operating",
            unknown_id="Could not retrieve single phone search results",
            price=40,
        ),
    )
}


def number(value: float) -> float:
    """Whole credit amounts go on the wire as integers, like the documented examples."""
    return int(value) if value == int(value) else value


def _with_custom(body: dict[str, Any], source: Mapping[str, Any]) -> dict[str, Any]:
    if "custom" in source:
        body["custom"] = source["custom"]
    return body


def _params(search: Mapping[str, Any]) -> dict[str, Any]:
    """The search as sent, without what is not a search parameter."""
    return {key: value for key, value in search.items() if key not in ("custom", "settings")}


def _email_result(
    index: int | str, search: Mapping[str, Any], country: str, gender: bool, config: SimulatorConfig
) -> dict[str, Any]:
    raw = _params(search)
    person = find_person(raw, country, config.seed, config.valid_rate)
    if person is None:
        body = {"index": index, "qualification": "invalid", "email": None, "raw_params": raw}
        return _with_custom(body, search)
    info: dict[str, Any] = {
        "domain": person.domain,
        "firstname": person.firstname,
        "lastname": person.lastname,
        "fullname": person.fullname,
    }
    if gender:
        info["gender"] = person.gender
    info["companyInfo"] = {"name": person.company}
    body = {
        "index": index,
        "qualification": "valid",
        "email": person.email,
        "info": info,
        "raw_params": raw,
    }
    return _with_custom(body, search)


def _single_email(found: dict[str, Any], payload: Mapping[str, Any]) -> dict[str, Any]:
    body: dict[str, Any] = {"email": found["email"], "qualification": found["qualification"]}
    if "info" in found:
        info = dict(found["info"])
        info["company_domain"] = info.pop("domain")
        del info["companyInfo"]
        body["info"] = info
    return _with_custom(body, payload)


def build_results(
    path: str, payload: Mapping[str, Any], items: list[Any], job_id: str, config: SimulatorConfig
) -> list[dict[str, Any]]:
    """Wire-form results of a job: one per item for bulk jobs, the whole body for singles."""
    seed, rate = config.seed, config.valid_rate
    settings: Mapping[str, Any] = payload.get("settings") or {}
    country = str(settings.get("country_code") or "US").upper()
    gender = settings.get("retrieve_gender") is True
    if path == EMAIL_BULK:
        as_int = config.index_as == "int"
        return [
            _email_result(i if as_int else str(i), search, country, gender, config)
            for i, search in enumerate(items)
        ]
    if path == "/email/verify/bulk":
        return [
            {
                "email": email,
                "index": uuid_from(seed, job_id, i),
                "qualification": verify_qualification(email, seed, rate),
            }
            for i, email in enumerate(items)
        ]
    if path == "/phone/bulk":
        return [
            {"index": i, "params": search, **phone_result(search, country, seed, rate)}
            for i, search in enumerate(items)
        ]
    if path == "/email/find/single":
        return [_single_email(_email_result(0, payload, country, gender, config), payload)]
    if path == "/email/verify/single":
        email = payload["email"]
        body = {"email": email, "qualification": verify_qualification(email, seed, rate)}
        return [_with_custom(body, payload)]
    params = _params(payload)
    return [_with_custom({"params": params}, payload) | phone_result(params, country, seed, rate)]


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
        return build_results(self.path, self.payload, self.items, self.id, self.config)

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
        return self.requested * self.endpoint.price

    @property
    def credits_refunded(self) -> float:
        """Failed jobs are refunded in full; verifications are never refunded."""
        if self.fail:
            return self.credits_initial
        if not self.endpoint.refunds:
            return 0.0
        return (self.requested - self.found) * self.endpoint.price

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
        general = _with_custom({"id": self.id, "status": "completed"}, self.payload)
        stats: dict[str, Any] = {"finished": self.requested, "requested": self.requested}
        initial, refunded = self.credits_initial, self.credits_refunded
        final = number(initial - refunded)
        if self.path == EMAIL_BULK:
            stats["valid"] = self.found
            stats["credits_cost"] = {
                "initial": number(initial),
                "refunded": number(refunded),
                "final": final,
            }
        elif self.path == "/phone/bulk":
            stats |= {
                "found": self.found,
                "credits_cost": final,
                "credits_to_refund": number(refunded),
            }
        else:
            stats |= {"valid": self.found, "credits_cost": final}
        return {"general": general, "stats": stats, "results": self.results}

    def webhook_event(self) -> dict[str, Any]:
        """The documented payload POSTed to ``settings.webhook`` when the job is over."""
        event: dict[str, Any] = {"event": self.endpoint.event, "id": self.id}
        cost = {"cost": number(self.credits_initial - self.credits_refunded)}
        if not self.endpoint.bulk:
            [single] = self.results
            if self.path == "/email/verify/single":
                return event | single
            if self.path == "/phone/single":
                result = {key: single[key] for key in ("number", "params", "qualification")}
                return event | {"credits": cost, "result": event | {"result": result}}
            return event | {"credits": cost, "result": single}
        if self.path == "/phone/bulk":
            return event
        return event | {"credits": cost}
