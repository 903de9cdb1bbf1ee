"""EnrowSimulator: the simulated API, served over real HTTP or kept in memory, as an async
context manager."""

from __future__ import annotations

import ipaddress
from collections.abc import Mapping, Sequence
from typing import Any, Literal, Self

import orjson
from aiohttp import web

from ._api import Api
from ._app import web_application
from ._config import Curve, FaultKind, SimulatorConfig
from ._families import FAMILIES
from ._faults import FaultPicker
from ._jobs import ENDPOINTS, Job
from ._state import Simulation, SimulatorStats
from ._validate import ApiError
from ._webhooks import WebhookSender

__all__ = ["MEMORY_BASE_URL", "EnrowSimulator"]

MEMORY_BASE_URL = "https://enrow-simulator.invalid"
"""``base_url`` of a simulator kept in memory: reachable through MemoryTransport only (the
``.invalid`` domain never resolves, so no other transport can reach anything with it)."""

_BULKS = {e.family: e for e in ENDPOINTS.values() if e.bulk}
"""The bulk endpoint of each family, for ``add_batch``."""


class EnrowSimulator:
    """A local Enrow API on ``host:port`` (port 0 picks a free one), faithful to the docs.

    With ``serve=False`` it opens no socket: requests reach it through
    [MemoryTransport][enrow_async.testing.MemoryTransport] only, and ``base_url`` is
    [MEMORY_BASE_URL][enrow_async.testing.MEMORY_BASE_URL]. Webhook deliveries go over HTTP
    either way.

    >>> async with EnrowSimulator(SimulatorConfig(seed=1)) as sim:  # doctest: +SKIP
    ...     client = EnrowClient(sim.api_key, base_url=sim.base_url)
    >>> async with EnrowSimulator(serve=False) as sim:  # doctest: +SKIP
    ...     client = EnrowClient(sim.api_key, base_url=sim.base_url,
    ...                          transport=MemoryTransport(sim))
    """

    def __init__(
        self,
        config: SimulatorConfig | None = None,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        serve: bool = True,
    ) -> None:
        self.config: SimulatorConfig = config or SimulatorConfig()
        self._host, self._port, self._serve = host, port, serve
        self._state = Simulation(self.config, on_webhook_job=self._schedule_webhook)
        self._faults = FaultPicker(self.config.faults, self.config.seed)
        self._api = Api(self._state, self._faults)
        self._webhooks = WebhookSender(self.config, self._state.stats)
        self._runner: web.AppRunner | None = None
        self._base_url: str | None = None

    def __repr__(self) -> str:
        return f"EnrowSimulator({self._base_url or 'not started'})"

    @property
    def running(self) -> bool:
        """Started and not closed yet."""
        return self._api.up

    @property
    def base_url(self) -> str:
        """``http://host:port`` once started
        ([MEMORY_BASE_URL][enrow_async.testing.MEMORY_BASE_URL] with ``serve=False``)."""
        if self._base_url is None:
            raise RuntimeError("the simulator is not running: use `async with EnrowSimulator()`")
        return self._base_url

    @property
    def api_key(self) -> str:
        """The only key the simulator accepts."""
        return self.config.api_key

    @property
    def stats(self) -> SimulatorStats:
        """A snapshot of the counters, detached from later requests."""
        return self._state.stats.snapshot()

    async def start(self) -> None:
        if self._api.up:
            raise RuntimeError("the simulator is already running")
        self._api.open()
        try:
            self._base_url = await self._listen() if self._serve else MEMORY_BASE_URL
        except BaseException:
            await self.close()
            raise
        self._webhooks.start()

    async def _listen(self) -> str:
        """Serve the API on ``host:port``; return the base URL."""
        runner = web.AppRunner(web_application(self._api), access_log=None, shutdown_timeout=1.0)
        self._runner = runner
        await runner.setup()
        await web.TCPSite(runner, self._host, self._port).start()
        host, port = runner.addresses[0][:2]
        host = f"[{host}]" if ipaddress.ip_address(host).version == 6 else host
        return f"http://{host}:{port}"

    async def close(self) -> None:
        """Release hanging requests, stop webhook deliveries, close the server."""
        self._api.shut()
        await self._webhooks.aclose()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None
        self._base_url = None

    async def __aenter__(self) -> Self:
        await self.start()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.close()

    def batch(self, batch_id: str) -> Job:
        """The server's state of one job (``KeyError`` if unknown), results in wire form."""
        return self._state.jobs[batch_id]

    def completed_body(self, batch_id: str) -> dict[str, Any]:
        """The exact JSON body the GET returns once the job is over (completed or failed)."""
        body: dict[str, Any] = orjson.loads(self.batch(batch_id).final_bytes())
        return body

    def add_batch(
        self,
        searches: Sequence[Any],
        *,
        duration: float | None = None,
        curve: Curve | None = None,
        fail: bool = False,
        kind: Literal["email", "verify", "phone"] = "email",
        custom: Any = None,
        settings: Mapping[str, Any] | None = None,
    ) -> str:
        """Create a bulk job without HTTP (no key, rate limit or credits); return its id.

        ``searches`` are what the POST would carry: search objects, or addresses for
        ``kind="verify"``. ``duration`` and ``curve`` default to the config's draws;
        ``custom=None`` sends no custom. Invalid searches raise ``ValueError`` with the
        API's message.
        """
        endpoint = _BULKS[FAMILIES[kind]]
        payload: dict[str, Any] = {endpoint.family.key: list(searches)}
        if custom is not None:
            payload["custom"] = custom
        if settings is not None:
            payload["settings"] = settings
        payload = orjson.loads(orjson.dumps(payload))
        try:
            items = endpoint.family.items(endpoint, payload)
        except ApiError as error:
            raise ValueError(str(error)) from None
        job = self._state.create(
            endpoint.path, payload, items, charge=False, duration=duration, curve=curve, fail=fail
        )
        return job.id

    def inject(
        self, kind: FaultKind, count: int = 1, path: str | None = None, method: str | None = None
    ) -> None:
        """Force the next ``count`` requests matching ``path``/``method`` (None: any) to get
        fault ``kind``, before any random fault; injections are served in order.

        aiohttp resends an idempotent request (GET) once after a dropped kept-alive
        connection: inject ``drop`` twice for such a client to see the error.
        """
        self._faults.inject(kind, count, path, method)

    def _schedule_webhook(self, job: Job) -> None:
        self._webhooks.schedule(job)
