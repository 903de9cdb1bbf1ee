"""A local, faithful simulator of the Enrow API, for testing code that talks to Enrow.

It answers every documented endpoint: email finder (bulk and single), email verifier
(bulk and single), phone finder (bulk and single) and ``/account/info``, either over real
HTTP on loopback (``aiohttp.web``) or in memory through
[MemoryTransport][enrow_async.testing.MemoryTransport] (``EnrowSimulator(serve=False)``: no
socket). Jobs progress over time on a configurable curve, results are realistic and
deterministic for a given seed, and faults can be injected. On
[VirtualClockLoop][enrow_async.testing.VirtualClockLoop], an asyncio loop whose clock jumps
whenever every task waits, an hour-long batch, its polls and its retries take milliseconds
(with anyio's pytest plugin: ``anyio_backend = ("asyncio", {"loop_factory":
VirtualClockLoop})``):

>>> async def hour_long_batch() -> None:  # on VirtualClockLoop  # doctest: +SKIP
...     async with EnrowSimulator(SimulatorConfig(duration=3600), serve=False) as sim:
...         async with EnrowClient(sim.api_key, base_url=sim.base_url,
...                                transport=MemoryTransport(sim)) as client:
...             batch = await client.wait_for_batch(sim.add_batch(searches), timeout=7200)

>>> from enrow_async.testing import EnrowSimulator, SimulatorConfig, Faults
>>> async def demo() -> None:  # doctest: +SKIP
...     config = SimulatorConfig(duration=(0.2, 0.5), faults=Faults(server_error=0.1))
...     async with EnrowSimulator(config) as sim:
...         batch_id = sim.add_batch([{"fullname": "Jim Halpert",
...                                    "company_domain": "dundermifflin.com"}])
...         async with EnrowClient(sim.api_key, base_url=sim.base_url) as client:
...             batch = await client.wait_for_batch(batch_id, timeout=10)
...         assert batch.results[0].email == sim.batch(batch_id).results[0].get("email")

What it does, and what to configure ([SimulatorConfig][enrow_async.testing.SimulatorConfig]):

- **Auth and credits**: the ``x-api-key`` header must equal ``api_key`` (401 otherwise,
  with the documented messages). ``credits`` sets a balance (default unlimited): starting
  a job charges it up front, misses are refunded when the job ends, too little answers
  ``insufficient_status`` (402, or 422 ``Insufficient balance`` as in the older reference).
- **Progress**: each job runs ``duration`` seconds (a number, or a ``(min, max)`` range
  drawn per job) along a ``curve`` (``linear``, ``fast_start``, ``slow_start``, ``steps``
  or ``random``). ``finished`` is read from ``clock`` when asked, by default the event
  loop's (so virtual time on [VirtualClockLoop][enrow_async.testing.VirtualClockLoop]); pass
  a [ManualClock][enrow_async.testing.ManualClock] and call ``advance()`` for progress that
  moves only when told to. A share ``fail_rate`` of bulk jobs ends ``failed``;
  ``valid_rate`` of the searches find someone.
- **Wire variants** the sources disagree on: ``ongoing_status`` (200 or 202),
  ``not_found_status`` (400 ``Could not retrieve ...`` or 404 ``... not found``) and
  ``index_as`` (``"str"`` or ``"int"``) for the bulk GET endpoints.
- **Rate limit**: at most ``post_rate_limit`` POSTs per key in any second (of the event
  loop's clock);
  over it, 429 ``Rate limit exceeded`` with a ``Retry-After`` header in seconds.
- **Faults** ([Faults][enrow_async.testing.Faults]): per-request probabilities of
  ``server_error`` (500/503), ``html_502``, ``rate_limited`` (429 + ``Retry-After``),
  ``drop`` (connection closed before the API acts), ``drop_after`` (closed after it acted:
  the job exists), ``truncate`` (body cut short), ``slow`` and ``hang`` (no answer until the
  simulator stops), for the HTTP ``methods`` listed (GET only by default).
  [MemoryTransport][enrow_async.testing.MemoryTransport] reports each one as the aiohttp
  transport does over HTTP. ``sim.inject(kind, count, path, method)`` forces the next
  matching requests to get a fault.
- **Webhooks**: a job started with ``settings.webhook`` POSTs its documented event to that
  URL ``webhook_delay`` seconds after it ends; failed deliveries are only counted.

Inspection: ``sim.stats`` (requests per method and path, jobs created by POSTs, faults,
rate-limit answers, webhook deliveries; also served as JSON at ``GET /_simulator/stats``),
``sim.batch(id)`` (a job and its wire-form results), ``sim.completed_body(id)``.

From a shell: ``python -m enrow_async.testing`` or ``enrow-async simulator`` (the same
options, [add_simulator_options][enrow_async.testing.add_simulator_options]; ``--help`` lists them).
For synchronous code, [SimulatorThread][enrow_async.testing.SimulatorThread] serves one from
a background thread with its own event loop. With pytest, opt in with ``pytest_plugins =
["enrow_async.testing.pytest_plugin"]`` in a ``conftest.py``: ``enrow_simulator``,
``enrow_base_url`` and ``enrow_client`` serve one simulator per test on the test's own loop
(pytest-asyncio or anyio), ``enrow_memory_simulator`` and ``enrow_memory_transport`` keep
one in memory, ``enrow_simulator_thread`` serves synchronous tests; the
``enrow_simulator_config`` fixture configures them all (override it to change).
"""

import importlib
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ._config import (
        CURVES,
        FAULT_KINDS,
        Curve,
        FaultKind,
        Faults,
        ManualClock,
        Outage,
        OutageKind,
        SimulatorConfig,
    )
    from ._jobs import Job
    from ._memory import MemoryTransport
    from ._server import MEMORY_BASE_URL, EnrowSimulator
    from ._state import SimulatorStats
    from ._thread import SimulatorThread
    from ._virtual import DeadlockError, LivelockError, VirtualClockLoop
    from .options import (
        DEFAULT_PORT,
        SPEEDS,
        add_simulator_options,
        parse_duration,
        simulator_config_from,
    )

_WHERE = {
    "CURVES": "_config",
    "FAULT_KINDS": "_config",
    "Curve": "_config",
    "FaultKind": "_config",
    "Faults": "_config",
    "ManualClock": "_config",
    "Outage": "_config",
    "OutageKind": "_config",
    "SimulatorConfig": "_config",
    "Job": "_jobs",
    "MemoryTransport": "_memory",
    "MEMORY_BASE_URL": "_server",
    "EnrowSimulator": "_server",
    "SimulatorStats": "_state",
    "SimulatorThread": "_thread",
    "DeadlockError": "_virtual",
    "LivelockError": "_virtual",
    "VirtualClockLoop": "_virtual",
    "DEFAULT_PORT": "options",
    "SPEEDS": "options",
    "add_simulator_options": "options",
    "parse_duration": "options",
    "simulator_config_from": "options",
}


def __getattr__(name: str) -> object:
    """Each name loads its module when first asked for: the pytest plugin (a submodule)
    loads none of them until a fixture needs one."""
    if name not in _WHERE:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f"{__name__}.{_WHERE[name]}"), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))


__all__ = [
    "CURVES",
    "DEFAULT_PORT",
    "FAULT_KINDS",
    "MEMORY_BASE_URL",
    "SPEEDS",
    "Curve",
    "DeadlockError",
    "EnrowSimulator",
    "FaultKind",
    "Faults",
    "Job",
    "LivelockError",
    "ManualClock",
    "MemoryTransport",
    "Outage",
    "OutageKind",
    "SimulatorConfig",
    "SimulatorStats",
    "SimulatorThread",
    "VirtualClockLoop",
    "add_simulator_options",
    "parse_duration",
    "simulator_config_from",
]
