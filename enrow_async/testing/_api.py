"""The simulated API as request in, reply out: no sockets, no aiohttp; the part both
front-ends share (the aiohttp.web app of ``_app`` and
[MemoryTransport][enrow_async.testing.MemoryTransport]).

Per request, three steps. ``Api.arrive`` counts it and picks its fault; ``Api.hold`` keeps
it as the fault says (``slow``: ``slow_seconds``, ``hang``: until the simulator stops);
``Api.respond`` checks the key, reads or starts a job, and says how the answer travels back:
whole (``Answer``), cut short (``Truncated``) or not at all (``Dropped``). Each front-end
makes that happen on its own medium.
"""

from __future__ import annotations

import asyncio
import contextlib
import gzip
import math
import zlib
from collections.abc import Mapping

import attrs
import orjson

from ._config import FaultKind
from ._faults import Answer, FaultPicker
from ._jobs import ENDPOINTS, Endpoint, number
from ._state import Simulation
from ._validate import ApiError, parse_payload

__all__ = [
    "ACCOUNT_PATH",
    "STATS_PATH",
    "Answer",
    "Api",
    "Arrival",
    "Dripped",
    "Dropped",
    "Reply",
    "Truncated",
]

ACCOUNT_PATH = "/account/info"
STATS_PATH = "/_simulator/stats"
"""Private inspection endpoint, outside the real API: the stats as JSON, no key needed."""

_ONGOING_SINGLE = b'{"qualification": "ongoing"}'
_TOO_MANY = b'{"message": "Too Many Requests"}'
_UNAVAILABLE = b'{"message": "Service unavailable"}'


@attrs.frozen
class Dropped:
    """The connection closes without an answer; ``acted``: after the API acted on it."""

    acted: bool


@attrs.frozen
class Truncated:
    """Status, headers (``Content-Length`` of the whole body) and half the body, then the
    connection closes; the API did act."""

    answer: Answer


@attrs.frozen
class Dripped:
    """The answer, sent one byte every ``interval`` seconds."""

    answer: Answer
    interval: float


Reply = Answer | Truncated | Dropped | Dripped


@attrs.frozen
class Arrival:
    """A request the simulator counted, with the fault it picked for it (if any).

    ``hold`` is how long the request waits before the API acts (``inf``: until the simulator
    stops); ``early`` is an answer already decided (a fault's, or the stats).
    """

    method: str
    path: str
    fault: FaultKind | None = None
    hold: float = 0.0
    early: Answer | None = None
    refused: bool = False
    """No connection at all (an outage of kind ``refuse``): nothing reached the API."""


def _bomb(answer: Answer, size: int) -> Answer:
    """``answer`` behind ``size`` bytes of whitespace, as one gzip stream."""
    body = gzip.compress(b" " * size + answer.body) if size <= 2**20 else _big(answer, size)
    return Answer(answer.status, body, (*answer.headers, ("Content-Encoding", "gzip")))


def _big(answer: Answer, size: int) -> bytes:
    compressor = zlib.compressobj(wbits=31)
    chunk = b" " * 2**20
    parts = [compressor.compress(chunk) for _ in range(size // len(chunk))]
    parts.append(compressor.compress(b" " * (size % len(chunk)) + answer.body))
    parts.append(compressor.flush())
    return b"".join(parts)


def _inconsistent(answer: Answer) -> Answer:
    """A completed bulk answer whose last result repeats the first one's index."""
    if answer.status != 200:
        return answer
    body = orjson.loads(answer.body)
    results = body.get("results") if isinstance(body, dict) else None
    if not isinstance(results, list) or len(results) < 2:
        return answer
    results[-1] = {**results[-1], "index": results[0]["index"]}
    return attrs.evolve(answer, body=orjson.dumps(body))


def _redirect(answer: Answer, path: str, status: int) -> Answer:
    """``status`` with a ``Location`` naming the job ``answer`` created (or ``path``)."""
    data = orjson.loads(answer.body)  # the API's answers are JSON
    job_id = data.get("id") if isinstance(data, dict) else None
    where = f"{path}?id={job_id}" if isinstance(job_id, str) else path
    return Answer(status, b"", (("Location", where),))


def _error_answer(error: ApiError) -> Answer:
    extra = tuple((error.headers or {}).items())
    return Answer.json(error.status, orjson.dumps(error.body), *extra)


class Api:
    """Request handling on top of a ``Simulation`` and a ``FaultPicker``.

    ``up`` says whether the simulator is running; ``stopping`` is set when it closes, which
    releases held requests.
    """

    def __init__(self, state: Simulation, faults: FaultPicker) -> None:
        self.state = state
        self.faults = faults
        self.stopping = asyncio.Event()
        self.up = False
        self.opened_at = 0.0

    def open(self) -> None:
        self.stopping.clear()
        self.up = True
        self.opened_at = self.state.now()

    def shut(self) -> None:
        self.up = False
        self.stopping.set()

    def arrive(self, method: str, path: str) -> Arrival:
        """Count the request and pick its fault."""
        stats = self.state.stats
        if path == STATS_PATH:
            return Arrival(method, path, early=Answer.json(200, orjson.dumps(stats.to_json())))
        stats.requests[method, path] += 1
        outage = self._outage(method)
        if outage is not None:
            stats.faults[f"outage_{outage}"] += 1
            if outage in ("reset", "refuse"):
                return Arrival(method, path, "drop", refused=outage == "refuse")
            if outage == "429":
                wait = ("Retry-After", f"{self.faults.faults.retry_after:g}")
                return Arrival(method, path, early=Answer.json(429, _TOO_MANY, wait))
            return Arrival(method, path, early=Answer.json(503, _UNAVAILABLE))
        fault = self.faults.pick(method, path)
        if fault is None:
            return Arrival(method, path)
        stats.faults[fault] += 1
        hold = {"hang": math.inf, "slow": self.faults.faults.slow_seconds}.get(fault, 0.0)
        return Arrival(method, path, fault, hold, self.faults.answer(fault))

    def _outage(self, method: str) -> str | None:
        """The kind of the outage window the simulator is in for ``method``, if any."""
        windows = self.faults.faults.outages
        if not windows:
            return None
        since = self.state.now() - self.opened_at
        for window in windows:
            if window.start <= since < window.end and method in window.methods:
                return window.kind
        return None

    async def hold(self, arrival: Arrival) -> None:
        """Wait as the request's fault says, or until the simulator stops."""
        if arrival.hold:
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(None if math.isinf(arrival.hold) else arrival.hold):
                    await self.stopping.wait()

    def respond(
        self, arrival: Arrival, *, query: Mapping[str, str], headers: Mapping[str, str], body: bytes
    ) -> Reply:
        """What goes back for a request that ``arrive`` counted and ``hold`` released.

        ``headers`` must look names up case-insensitively (as HTTP does)."""
        if arrival.fault in ("drop", "hang"):
            return Dropped(acted=False)
        if arrival.early is not None:
            return arrival.early
        try:
            answer = self._answer(arrival.method, arrival.path, query, headers, body)
        except ApiError as error:
            answer = _error_answer(error)
        if arrival.fault == "drop_after":
            return Dropped(acted=True)
        if arrival.fault == "truncate":
            return Truncated(answer)
        if arrival.fault == "cut_json":
            return attrs.evolve(answer, body=answer.body[: len(answer.body) // 2])
        if arrival.fault == "inconsistent":
            return _inconsistent(answer)
        if arrival.fault == "bomb":
            return _bomb(answer, self.faults.faults.bomb_bytes)
        if arrival.fault == "drip":
            return Dripped(answer, self.faults.faults.drip_seconds)
        if arrival.fault == "redirect":
            return _redirect(answer, arrival.path, self.faults.faults.redirect_status)
        if arrival.fault == "echo_key":
            echo = {"message": f"Invalid settings payload (x-api-key {headers.get('x-api-key')})"}
            return Answer.json(400, orjson.dumps(echo))
        return answer

    def _answer(
        self,
        method: str,
        path: str,
        query: Mapping[str, str],
        headers: Mapping[str, str],
        body: bytes,
    ) -> Answer:
        endpoint = ENDPOINTS.get(path)
        if endpoint is None and path != ACCOUNT_PATH:
            raise ApiError(404, "Not found")
        key = headers.get("x-api-key")
        if not key:
            raise ApiError(401, "No apikey found in the x-api-key headers")
        if key != self.state.config.api_key:
            raise ApiError(401, "This apikey is not valid")
        if method == "GET":
            if endpoint is None:
                account = {"credits": self.state.balance(), "webhooks": []}
                return Answer.json(200, orjson.dumps(account))
            return self._read(endpoint, query.get("id"))
        if method == "POST" and endpoint is not None:
            return self._start(endpoint, body, key)
        raise ApiError(405, "Method not allowed")

    def _read(self, endpoint: Endpoint, job_id: str | None) -> Answer:
        if not job_id:
            raise ApiError(400, endpoint.missing_id)
        config = self.state.config
        job = self.state.jobs.get(job_id)
        if job is None or job.endpoint is not endpoint:
            if not endpoint.bulk:
                raise ApiError(500, endpoint.unknown_id)
            if config.not_found_status == 404:
                raise ApiError(404, endpoint.unknown_id_404)
            raise ApiError(400, endpoint.unknown_id)
        now = self.state.now()
        if now >= job.finish_at:
            return Answer.json(200, job.final_bytes())
        if endpoint.bulk:
            return Answer.json(config.ongoing_status, orjson.dumps(job.progress_body(now)))
        return Answer.json(202, _ONGOING_SINGLE)

    def _start(self, endpoint: Endpoint, raw: bytes, key: str) -> Answer:
        wait = self.state.rate_limiter.retry_after(key)
        if wait is not None:
            self.state.stats.rate_limited += 1
            retry_after = f"{math.ceil(wait * 1000) / 1000:.3f}"
            raise ApiError(429, "Rate limit exceeded", headers={"Retry-After": retry_after})
        payload = parse_payload(raw)
        job = self.state.create(endpoint.path, payload, endpoint.family.items(endpoint, payload))
        self.state.stats.created[endpoint.path] += 1
        body = {
            "message": endpoint.started,
            "id": job.id,
            "credits_used": number(job.credits_initial),
        }
        if endpoint.bulk:
            body["estimated_duration"] = max(1, math.ceil(job.duration / 60))
        return Answer.json(endpoint.created_status, orjson.dumps(body))
