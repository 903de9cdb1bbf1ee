"""After cancellation, dropped connections or an exception: no task, session or connection left.

Each test ends with the same checks: no task running client code is still pending, the
client-owned session and connector are closed and hold no connection (a caller-owned
session is left open but holds no connection in use), and a garbage collection raises no
ResourceWarning (pytest runs with ``filterwarnings=error``; the check here is explicit).
"""

from __future__ import annotations

import asyncio
import gc
import logging
import warnings
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import aiohttp
import anyio
import pytest

import enrow_async
from enrow_async import Backoff, BatchStatus, EnrowClient, PollPolicy, RetryPolicy, TransportError
from enrow_async.testing import EnrowSimulator, SimulatorConfig

pytestmark = pytest.mark.anyio

SEARCHES = [
    {"fullname": "Dwight Schrute", "company_domain": "dundermifflin.com"},
    {"fullname": "Jim Halpert", "company_domain": "dundermifflin.com"},
]
BULK = "/email/find/bulk"
FAST_RETRY = RetryPolicy(backoff=Backoff(initial=0.02, cap=0.1))
FAST_POLLS = PollPolicy(initial=0.1, min_interval=0.05, max_interval=0.5)


def make_client(sim: EnrowSimulator, **options: Any) -> EnrowClient:
    """A client of ``sim`` with quick retries and polls (the defaults wait ~1.5 s to start)."""
    return EnrowClient(
        sim.api_key, base_url=sim.base_url, retry=FAST_RETRY, poll_policy=FAST_POLLS, **options
    )


@pytest.fixture
async def sim() -> AsyncIterator[EnrowSimulator]:
    async with EnrowSimulator(SimulatorConfig(duration=(0.2, 0.4), seed=11)) as simulator:
        yield simulator


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


async def settle() -> None:
    for _ in range(5):
        await asyncio.sleep(0.01)


async def until(check: Callable[[], bool], timeout: float = 5.0) -> None:
    for _ in range(int(timeout / 0.01)):
        if check():
            return
        await asyncio.sleep(0.01)
    raise AssertionError(f"still false after {timeout} s")


def owned_parts(client: EnrowClient) -> tuple[aiohttp.ClientSession, aiohttp.BaseConnector]:
    """The session and connector the client created (call while it is open)."""
    session = client._transport.session
    connector = session.connector
    assert connector is not None
    return session, connector


def assert_closed(session: aiohttp.ClientSession, connector: aiohttp.BaseConnector) -> None:
    assert session.closed
    assert connector.closed
    assert not connector._conns
    assert len(connector._acquired) == 0


def assert_no_connection_in_use(connector: aiohttp.BaseConnector) -> None:
    assert len(connector._acquired) == 0
    for conns in connector._conns.values():
        for proto, _ in conns:
            assert proto.is_connected()


def assert_no_leaks(caplog: pytest.LogCaptureFixture) -> None:
    assert client_tasks() == set()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        gc.collect()
    leaks = [w for w in caught if issubclass(w.category, ResourceWarning)]
    assert not leaks, [str(w.message) for w in leaks]
    assert "Unclosed" not in caplog.text


@pytest.fixture(autouse=True)
def _asyncio_log(caplog: pytest.LogCaptureFixture) -> None:
    """aiohttp reports an unclosed session or connector through the loop's handler."""
    caplog.set_level(logging.ERROR, logger="asyncio")


# -- cancelling waits --------------------------------------------------------------------------


async def test_cancel_one_wait_with_its_poll_in_flight(
    sim: EnrowSimulator, caplog: pytest.LogCaptureFixture
) -> None:
    batch_id = sim.add_batch(SEARCHES, duration=60.0)
    sim.inject("hang", count=1, path=BULK)
    async with make_client(sim) as client:
        session, connector = owned_parts(client)
        task = asyncio.ensure_future(client.wait_for_batch(batch_id, timeout=30))
        await until(lambda: sim.stats.faults["hang"] == 1)
        assert len(connector._acquired) == 1  # the hung poll holds its connection
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        await settle()
        assert client_tasks() == set()
        assert client._scheduler.watched == 0
        assert len(connector._acquired) == 0  # the cancelled poll gave its connection up
        requests = sim.stats.requests
        await asyncio.sleep(0.3)
        assert sim.stats.requests == requests  # and nothing polls any more
    assert_closed(session, connector)
    assert_no_leaks(caplog)


async def test_cancel_scope_around_a_wait(
    sim: EnrowSimulator, caplog: pytest.LogCaptureFixture
) -> None:
    batch_id = sim.add_batch(SEARCHES, duration=60.0)
    sim.inject("hang", count=1, path=BULK)
    async with aiohttp.ClientSession() as own:
        async with make_client(sim, session=own) as client:
            with anyio.move_on_after(0.5) as scope:
                await client.wait_for_batch(batch_id, timeout=30)
            assert scope.cancelled_caught
            assert sim.stats.faults["hang"] == 1  # cancelled with that poll in flight
            await settle()
            assert client_tasks() == set()
        assert not own.closed
        assert own.connector is not None
        assert_no_connection_in_use(own.connector)
    assert_no_leaks(caplog)


async def test_cancel_many_waits_mid_flight(
    sim: EnrowSimulator, caplog: pytest.LogCaptureFixture
) -> None:
    slow = [sim.add_batch(SEARCHES * 5, duration=60.0) for _ in range(30)]
    quick = [sim.add_batch(SEARCHES, duration=0.1) for _ in range(5)]
    sim.inject("hang", count=8, path=BULK)
    done: list[str] = []
    async with aiohttp.ClientSession() as own:
        async with make_client(sim, session=own, poll_coalesce=0.0) as client:

            async def many() -> None:
                async for batch in client.wait_for_batches([*slow[:20], *quick], timeout=30):
                    done.append(batch.id)

            tasks: list[asyncio.Future[Any]] = [asyncio.ensure_future(many())]
            tasks += [
                asyncio.ensure_future(client.wait_for_batch(bid, timeout=30)) for bid in slow[20:]
            ]
            await until(lambda: sim.stats.faults["hang"] == 8)
            assert own.connector is not None
            assert len(own.connector._acquired) >= 8
            for task in tasks:
                task.cancel()
            results = await asyncio.gather(*tasks, return_exceptions=True)
            assert all(isinstance(r, asyncio.CancelledError) for r in results)
            await settle()
            assert client_tasks() == set()
            assert client._scheduler.watched == 0
            assert_no_connection_in_use(own.connector)
        assert not own.closed
        assert_no_connection_in_use(own.connector)
    assert_no_leaks(caplog)


async def test_breaking_out_of_many_waits_then_closing(
    sim: EnrowSimulator, caplog: pytest.LogCaptureFixture
) -> None:
    ids = [sim.add_batch(SEARCHES, duration=d) for d in (0.05, 30.0, 30.0, 30.0)]
    sim.inject("slow", count=20, path=BULK)
    async with make_client(sim) as client:
        session, connector = owned_parts(client)
        async for batch in client.wait_for_batches(ids, timeout=30):
            assert batch.id == ids[0]
            break
        await settle()
        assert client_tasks() == set()
    assert_closed(session, connector)
    assert_no_leaks(caplog)


# -- dropped connections -----------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["drop", "drop_after", "truncate"])
async def test_after_dropped_connections_the_wait_completes_cleanly(
    sim: EnrowSimulator, caplog: pytest.LogCaptureFixture, kind: str
) -> None:
    ids = [sim.add_batch(SEARCHES, duration=0.3) for _ in range(4)]
    sim.inject(kind, count=6, path=BULK)  # type: ignore[arg-type]
    async with aiohttp.ClientSession() as own:
        async with make_client(sim, session=own) as client:
            got = [b.id async for b in client.wait_for_batches(ids, timeout=20)]
            assert sorted(got) == sorted(ids)
            assert own.connector is not None
            assert_no_connection_in_use(own.connector)
        assert sim.stats.faults[kind] == 6
    async with make_client(sim) as client:
        session, connector = owned_parts(client)
        sim.inject(kind, count=4, path=BULK)  # type: ignore[arg-type]
        batch = await client.wait_for_batch(ids[0], timeout=10)
        assert batch.status is BatchStatus.COMPLETED
    assert_closed(session, connector)
    assert_no_leaks(caplog)


async def test_drops_past_every_retry_end_in_transport_error_and_leave_nothing(
    sim: EnrowSimulator, caplog: pytest.LogCaptureFixture
) -> None:
    batch_id = sim.add_batch(SEARCHES, duration=0.0)
    sim.inject("drop", count=1000, path=BULK)
    async with make_client(sim) as client:
        session, connector = owned_parts(client)
        with pytest.raises(TransportError):
            await client.get_bulk_results(batch_id)
        with pytest.raises(TransportError):
            await client.wait_for_batch(batch_id, timeout=20)
        await settle()
        assert client_tasks() == set()
        assert len(connector._acquired) == 0
    assert_closed(session, connector)
    assert_no_leaks(caplog)


# -- the client's own block exits through an exception -----------------------------------------


async def test_exception_in_the_block_with_polls_in_flight(
    sim: EnrowSimulator, caplog: pytest.LogCaptureFixture
) -> None:
    ids = [sim.add_batch(SEARCHES, duration=60.0) for _ in range(6)]
    sim.inject("hang", count=3, path=BULK)
    client = make_client(sim, poll_coalesce=0.0)
    tasks: list[asyncio.Future[object]] = []
    with pytest.raises(RuntimeError, match="boom"):
        async with client:
            session, connector = owned_parts(client)
            tasks = [asyncio.ensure_future(client.wait_for_batch(bid, timeout=30)) for bid in ids]
            await until(lambda: sim.stats.faults["hang"] == 3)
            raise RuntimeError("boom")
    for task in tasks:
        with pytest.raises(RuntimeError, match="closed while this wait was running"):
            await task
    assert_closed(session, connector)
    assert_no_leaks(caplog)


async def test_exception_inside_iteration_with_caller_session(
    sim: EnrowSimulator, caplog: pytest.LogCaptureFixture
) -> None:
    ids = [sim.add_batch(SEARCHES, duration=d) for d in (0.05, 60.0, 60.0)]
    sim.inject("slow", count=20, path=BULK)
    async with aiohttp.ClientSession() as own:
        with pytest.raises(KeyError):
            async with make_client(sim, session=own) as client:
                async for _ in client.wait_for_batches(ids, timeout=30):
                    raise KeyError("boom")
        assert not own.closed
        assert own.connector is not None
        await settle()
        assert_no_connection_in_use(own.connector)
    assert_no_leaks(caplog)


async def test_cancelled_while_inside_the_block(
    sim: EnrowSimulator, caplog: pytest.LogCaptureFixture
) -> None:
    ids = [sim.add_batch(SEARCHES, duration=60.0) for _ in range(3)]
    sim.inject("hang", count=2, path=BULK)
    parts: list[tuple[aiohttp.ClientSession, aiohttp.BaseConnector]] = []

    async def body() -> None:
        async with make_client(sim) as client:
            parts.append(owned_parts(client))
            async for _ in client.wait_for_batches(ids, timeout=30):
                pass

    task = asyncio.ensure_future(body())
    await until(lambda: sim.stats.faults["hang"] == 2)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert_closed(*parts[0])
    assert_no_leaks(caplog)
