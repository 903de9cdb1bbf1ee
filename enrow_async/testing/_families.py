"""How the simulator fakes each family of jobs (``email``, ``verify``, ``phone``), bulk and
single alike: which items a start carries, the results it finds and the bodies it sends.

A family is the first word of a job table row's name (``_core.jobs.JOBS``). Every row of
a known family is served as it stands; a new family is the simulator's fake of a new model.
"""

from __future__ import annotations

import abc
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from ._results import find_person, phone_result, uuid_from, verify_qualification
from ._validate import ApiError, batch, email_search, phone_search, text

if TYPE_CHECKING:
    from ._jobs import Endpoint, Job

__all__ = ["FAMILIES", "Family", "number"]


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


class Family(abc.ABC):
    """The API's ways with one family: ``noun`` (its messages: ``Bulk search operating``),
    ``key`` (where a bulk start carries its items), ``refunds`` (misses are credited back)."""

    noun = "search"
    key = "searches"
    refunds = True

    @abc.abstractmethod
    def items(self, endpoint: Endpoint, payload: Mapping[str, Any]) -> list[Any]:
        """What the job works through, one item per result; raises ``ApiError``."""

    @abc.abstractmethod
    def results(self, job: Job, country: str, gender: bool) -> list[dict[str, Any]]:
        """Wire-form results: one per item for a bulk, the whole body for a single job."""

    def stats(self, job: Job, initial: float, refunded: float) -> dict[str, Any]:
        """A completed bulk's ``stats`` beyond ``finished`` and ``requested``."""
        final = number(initial - refunded)
        return {"valid": job.found, "credits_cost": final}

    def event(self, job: Job, event: dict[str, Any], cost: dict[str, Any]) -> dict[str, Any]:
        """The webhook payload, from its ``event`` and ``id`` and the credits ``cost``."""
        if job.endpoint.bulk:
            return event | {"credits": cost}
        return event | {"credits": cost, "result": job.results[0]}


class _Email(Family):
    def items(self, endpoint: Endpoint, payload: Mapping[str, Any]) -> list[Any]:
        if endpoint.bulk:
            return batch(payload.get("searches"), "searches", endpoint.limit, email_search)
        if not email_search(payload):
            raise ApiError(400, "Missing fullname, or company_domain or company_name")
        return [payload]

    def results(self, job: Job, country: str, gender: bool) -> list[dict[str, Any]]:
        if job.endpoint.bulk:
            as_int = job.config.index_as == "int"
            return [
                self._found(i if as_int else str(i), search, country, gender, job)
                for i, search in enumerate(job.items)
            ]
        found = self._found(0, job.payload, country, gender, job)
        body: dict[str, Any] = {"email": found["email"], "qualification": found["qualification"]}
        if "info" in found:
            info = dict(found["info"])
            info["company_domain"] = info.pop("domain")
            del info["companyInfo"]
            body["info"] = info
        return [_with_custom(body, job.payload)]

    @staticmethod
    def _found(
        index: int | str, search: Mapping[str, Any], country: str, gender: bool, job: Job
    ) -> dict[str, Any]:
        raw = _params(search)
        person = find_person(raw, country, job.config.seed, job.config.valid_rate)
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
        found = {"index": index, "qualification": "valid", "email": person.email, "info": info}
        return _with_custom(found | {"raw_params": raw}, search)

    def stats(self, job: Job, initial: float, refunded: float) -> dict[str, Any]:
        final = number(initial - refunded)
        cost = {"initial": number(initial), "refunded": number(refunded), "final": final}
        return {"valid": job.found, "credits_cost": cost}


def _address(item: Any) -> bool:
    return isinstance(item, str) or (isinstance(item, dict) and isinstance(item.get("email"), str))


class _Verify(Family):
    noun = "verification"
    key = "verifications"
    refunds = False

    def items(self, endpoint: Endpoint, payload: Mapping[str, Any]) -> list[Any]:
        if not endpoint.bulk:
            email = payload.get("email")
            if not isinstance(email, str) or "@" not in email.strip(" @"):
                raise ApiError(400, "invalid email format")
            return [payload]
        # [{"email"}] or [str] under ``verifications``, or [str] under ``emails``
        given = payload.get("verifications", payload.get("emails"))
        items = batch(given, "verifications", endpoint.limit, _address, "verification")
        return [v if isinstance(v, str) else v["email"] for v in items]

    def results(self, job: Job, country: str, gender: bool) -> list[dict[str, Any]]:
        seed, rate = job.config.seed, job.config.valid_rate
        if job.endpoint.bulk:
            return [
                {
                    "email": email,
                    "index": uuid_from(seed, job.id, i),
                    "qualification": verify_qualification(email, seed, rate),
                }
                for i, email in enumerate(job.items)
            ]
        email = job.payload["email"]
        body = {"email": email, "qualification": verify_qualification(email, seed, rate)}
        return [_with_custom(body, job.payload)]

    def event(self, job: Job, event: dict[str, Any], cost: dict[str, Any]) -> dict[str, Any]:
        return super().event(job, event, cost) if job.endpoint.bulk else event | job.results[0]


class _Phone(Family):
    noun = "phone search"

    def items(self, endpoint: Endpoint, payload: Mapping[str, Any]) -> list[Any]:
        if endpoint.bulk:
            return batch(payload.get("searches"), "searches", endpoint.limit, phone_search)
        if not phone_search(payload):
            if text(payload, "linkedin_url"):
                raise ApiError(400, "Invalid linkedin_url")
            raise ApiError(400, "Missing linkedin_url, or firstname, lastname and company")
        return [payload]

    def results(self, job: Job, country: str, gender: bool) -> list[dict[str, Any]]:
        seed, rate = job.config.seed, job.config.valid_rate
        if job.endpoint.bulk:
            return [
                {"index": i, "params": search, **phone_result(search, country, seed, rate)}
                for i, search in enumerate(job.items)
            ]
        params = _params(job.payload)
        found = phone_result(params, country, seed, rate)
        return [_with_custom({"params": params}, job.payload) | found]

    def stats(self, job: Job, initial: float, refunded: float) -> dict[str, Any]:
        final = number(initial - refunded)
        return {"found": job.found, "credits_cost": final, "credits_to_refund": number(refunded)}

    def event(self, job: Job, event: dict[str, Any], cost: dict[str, Any]) -> dict[str, Any]:
        if job.endpoint.bulk:
            return event
        result = {key: job.results[0][key] for key in ("number", "params", "qualification")}
        return event | {"credits": cost, "result": event | {"result": result}}


FAMILIES: dict[str, Family] = {"email": _Email(), "verify": _Verify(), "phone": _Phone()}
"""Each family by the first word of its rows' names."""
