"""The aiohttp.web application: one handler in front of the whole simulated API.

Per request: count it, maybe fault it, check the key, then read or start a job.
"""

from __future__ import annotations

import asyncio
import math

import orjson
from aiohttp import web

from ._faults import FaultPicker, json_response, with_fault_after, with_fault_before
from ._jobs import ENDPOINTS, Endpoint, number
from ._state import Simulation
from ._validate import ApiError, items_of, parse_payload

__all__ = ["ACCOUNT_PATH", "STATS_PATH", "Api"]

ACCOUNT_PATH = "/account/info"
STATS_PATH = "/_simulator/stats"
"""Private inspection endpoint, outside the real API: the stats as JSON, no key needed."""

_ONGOING_SINGLE = b'{"qualification": "ongoing"}'


def _error_response(error: ApiError) -> web.Response:
    response = json_response(error.status, orjson.dumps(error.body))
    response.headers.update(error.headers or {})
    return response


class Api:
    """Request handling on top of a :class:`Simulation` and a :class:`FaultPicker`."""

    def __init__(self, state: Simulation, faults: FaultPicker, stopping: asyncio.Event) -> None:
        self.state = state
        self.faults = faults
        self.stopping = stopping

    def application(self) -> web.Application:
        app = web.Application(client_max_size=64 * 2**20)
        app.router.add_route("*", "/{path:.*}", self.handle)
        return app

    async def handle(self, request: web.Request) -> web.StreamResponse:
        method, path = request.method, request.path
        stats = self.state.stats
        if path == STATS_PATH:
            return json_response(200, orjson.dumps(stats.to_json()))
        stats.requests[method, path] += 1
        fault = self.faults.pick(method, path)
        if fault is not None:
            stats.faults[fault] += 1
            replaced = await with_fault_before(self.faults, fault, request, self.stopping)
            if replaced is not None:
                return replaced
        try:
            response = await self._answer(request, method, path)
        except ApiError as error:
            response = _error_response(error)
        return response if fault is None else await with_fault_after(fault, request, response)

    async def _answer(self, request: web.Request, method: str, path: str) -> web.Response:
        endpoint = ENDPOINTS.get(path)
        if endpoint is None and path != ACCOUNT_PATH:
            raise ApiError(404, "Not found")
        key = request.headers.get("x-api-key")
        if not key:
            raise ApiError(401, "No apikey found in the x-api-key headers")
        if key != self.state.config.api_key:
            raise ApiError(401, "This apikey is not valid")
        if method == "GET":
            if endpoint is None:
                account = {"credits": self.state.balance(), "webhooks": []}
                return json_response(200, orjson.dumps(account))
            return self._read(endpoint, request.query.get("id"))
        if method == "POST" and endpoint is not None:
            return await self._start(endpoint, request, key)
        raise ApiError(405, "Method not allowed")

    def _read(self, endpoint: Endpoint, job_id: str | None) -> web.Response:
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
            return json_response(200, job.final_bytes())
        if endpoint.bulk:
            return json_response(config.ongoing_status, orjson.dumps(job.progress_body(now)))
        return json_response(202, _ONGOING_SINGLE)

    async def _start(self, endpoint: Endpoint, request: web.Request, key: str) -> web.Response:
        wait = self.state.rate_limiter.retry_after(key)
        if wait is not None:
            self.state.stats.rate_limited += 1
            retry_after = f"{math.ceil(wait * 1000) / 1000:.3f}"
            raise ApiError(429, "Rate limit exceeded", headers={"Retry-After": retry_after})
        payload = parse_payload(await request.read())
        job = self.state.create(endpoint.path, payload, items_of(endpoint.path, payload))
        self.state.stats.created[endpoint.path] += 1
        body = {
            "message": endpoint.started,
            "id": job.id,
            "credits_used": number(job.credits_initial),
        }
        if endpoint.bulk:
            body["estimated_duration"] = max(1, math.ceil(job.duration / 60))
        return json_response(endpoint.created_status, orjson.dumps(body))
