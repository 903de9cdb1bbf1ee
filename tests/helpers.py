"""Names the test modules share (importable as ``helpers``: ``tests/`` is on the path).

The fixtures themselves are in ``tests/conftest.py``; these are their types, the inputs
and answers many tests use (searches, a key, one item of each job family, quick policies
for real time), the paths the tests count requests by, the client's front for a row of
the job table, and the checks many tests make: tasks left behind, polling stopped,
everything an exception shows, and waiting for what another task does.
"""

from __future__ import annotations

import asyncio
import traceback
from collections.abc import Callable
from pathlib import Path
from typing import Any

import enrow_async
from enrow_async import Backoff, EnrowClient, PollPolicy, RetryPolicy
from enrow_async._core.config import ApiConfig
from enrow_async._core.jobs import JobSpec
from enrow_async.testing import EnrowSimulator

__all__ = [
    "BULK",
    "COMPLETED",
    "CONFIG",
    "DWIGHT",
    "DWIGHT_FOUND",
    "GET_BULK",
    "JIM",
    "KEY",
    "LEADS",
    "QUICK_POLLS",
    "QUICK_RETRY",
    "SAMPLES",
    "SEARCHES",
    "Connect",
    "Simulate",
    "all_text",
    "assert_polling_stopped",
    "client_tasks",
    "front",
    "items",
    "until",
]

Connect = Callable[..., EnrowClient]
"""The ``connect`` fixture: ``connect(simulator, key=None, **options)``, an EnrowClient onto
``simulator`` (not yet entered), with the simulator's key unless ``key`` is given, and
seeded jitter (the policies' ``rand``) unless given: on virtual time a run repeats
exactly."""

Simulate = Callable[..., EnrowSimulator]
"""The ``simulate`` fixture: ``simulate(config=None)``, an EnrowSimulator, served or in
memory as ``served`` says."""

KEY = "sk_live_SECRET_123"
"""An API key, to look for in what must never show it."""

CONFIG = ApiConfig.create(KEY, "https://api.enrow.io")
"""The API's configuration with :data:`KEY`, for building requests without a client."""

BULK = "/email/find/bulk"
"""The email bulk endpoint's path."""

GET_BULK = ("GET", BULK)
"""How the simulator's stats count reads of email batches."""

JIM = [{"fullname": "Jim Halpert", "company_domain": "dundermifflin.com"}]
"""One search, as a bulk start sends it."""

SEARCHES = [
    {"fullname": "Dwight Schrute", "company_domain": "dundermifflin.com"},
    {"fullname": "Jim Halpert", "company_domain": "dundermifflin.com"},
]
"""Two searches."""

DWIGHT = {"fullname": "Dwight Schrute", "company_domain": "dundermifflin.com"}
"""One search."""

DWIGHT_FOUND = {
    "email": "dwight.schrute@dundermifflin.com",
    "qualification": "valid",
    "info": {
        "company_domain": "dundermifflin.com",
        "firstname": "Dwight",
        "lastname": "Schrute",
        "fullname": "Dwight Schrute",
    },
}
"""The simulator's answer to :data:`DWIGHT` when it finds the address (``valid_rate=1``)."""

LEADS = [
    {"fullname": "Dwight Schrute", "company_domain": "dundermifflin.com", "custom": "lead_001"},
    {"fullname": "Jim Halpert", "company_domain": "https://www.dundermifflin.com"},
    {"fullname": "Ryan Howard", "company_name": "Dunder Mifflin", "custom": {"crm": 3}},
]
"""Three searches as users write them: a custom value of each kind, a URL for a domain, a
company name instead of a domain."""

SAMPLES: dict[str, Any] = {
    "email": {"fullname": "Jim Halpert", "company_domain": "dundermifflin.com"},
    "verify": "jim@dundermifflin.com",
    "phone": {"linkedin_url": "https://www.linkedin.com/in/jim-halpert"},
}
"""One item of each family of jobs, as its starts take it."""

QUICK_POLLS = PollPolicy(initial=0.05, min_interval=0.02, max_interval=0.2)
"""Polls close together, for tests in real time (``tests/integration``)."""

QUICK_RETRY = RetryPolicy(backoff=Backoff(initial=0.01, cap=0.05))
"""Retries close together, for tests in real time (``tests/integration``)."""

COMPLETED: dict[str, Any] = {
    "general": {"id": "b1", "status": "completed"},
    "stats": {
        "finished": 1,
        "requested": 1,
        "valid": 1,
        "credits_cost": {"initial": 1, "refunded": 0, "final": 1},
    },
    "results": [
        {
            "index": "0",
            "qualification": "valid",
            "email": "jim@dundermifflin.com",
            "raw_params": {"fullname": "Jim Halpert", "company_domain": "dundermifflin.com"},
        }
    ],
}
"""A completed batch ``b1`` of one result, as the API sends it."""


def front(client: EnrowClient, spec: JobSpec[Any]) -> Any:
    """The client's front for a row of the job table, named by it: ``client.email.bulk`` for
    "email bulk"."""
    family, size = spec.name.split()
    return getattr(getattr(client, family), size)


def items(spec: JobSpec[Any], count: int = 1) -> Any:
    """What a start of ``spec`` takes: ``count`` :data:`SAMPLES` for a bulk, one for a
    single."""
    sample = SAMPLES[spec.name.split()[0]]
    return [sample] * count if spec.bulk else sample


def client_tasks() -> set[str]:
    """Tasks still running code of the client (the simulator's own tasks excluded)."""
    package = Path(enrow_async.__file__).parent
    left = set()
    for task in asyncio.all_tasks():
        if task is asyncio.current_task() or task.done():
            continue
        code = getattr(task.get_coro(), "cr_code", None)
        if code is None:
            continue
        where = Path(code.co_filename)
        if package in where.parents and (package / "testing") not in where.parents:
            left.add(code.co_qualname)
    return left


def all_text(exc: BaseException) -> str:
    """Everything an exception can show: str, repr and the whole chained traceback."""
    parts = ["".join(traceback.format_exception(exc))]
    seen: BaseException | None = exc
    while seen is not None:
        parts += [str(seen), repr(seen), repr(seen.args)]
        seen = seen.__cause__ or seen.__context__
    return "\n".join(parts)


async def until(check: Callable[[], bool], timeout: float = 5.0) -> None:
    """Wait for what another task or the server side does (a guard, not a measure)."""
    for _ in range(int(timeout / 0.005)):
        if check():
            return
        await asyncio.sleep(0.005)
    raise AssertionError(f"still false after {timeout} s")


async def assert_polling_stopped(sim: EnrowSimulator, turns: int = 1) -> None:
    """After a cancel, a break or a deadline: ``turns`` turns of the loop later no task runs
    client code, and ten minutes (virtual time) pass without a request to ``sim``."""
    for _ in range(turns):
        await asyncio.sleep(0)
    assert client_tasks() == set()
    requests = sim.stats.requests
    await asyncio.sleep(600)
    assert sim.stats.requests == requests, "nothing may poll any more"
