"""After a cancel, a break, dropped connections or an exception: no task, session or
connection left, over real HTTP.

The client talks to the simulator through ``relays.Relay``, a TCP relay that counts, on the
server's side, the connections held open and those still waiting for an answer. Each test
checks only public state: no task running client code is pending (``asyncio.all_tasks``),
a client-owned session and connector are closed (``.closed``) and hold no connection to the
server; a caller-owned session is left open with no connection waiting for an answer; a
garbage collection raises no ResourceWarning. ``tests/unit/_io/test_sender.py`` checks in
virtual time that cancelled waits stop polling.
"""

from __future__ import annotations

import asyncio
import gc
import logging
import random
import warnings
from collections.abc import AsyncIterator, Callable
from functools import partial
from typing import Any

import aiohttp
import anyio
import anyio.to_thread
import attrs
import pytest
from helpers import BULK, QUICK_POLLS, QUICK_RETRY, SEARCHES, client_tasks, until

from enrow_async import (
    AiohttpTransport,
    BatchStatus,
    BatchTimeoutError,
    ClientClosedError,
    EnrowClient,
    PollPolicy,
    TransportError,
    WrongEventLoopError,
)
from enrow_async.testing import EnrowSimulator, Faults, SimulatorConfig

from .relays import Relay

pytestmark = pytest.mark.anyio


@pytest.fixture
def sim_config() -> SimulatorConfig:
    return SimulatorConfig(duration=(0.05, 0.1), seed=11, faults=Faults(slow_seconds=0.05))


@pytest.fixture
async def relay(sim: EnrowSimulator) -> AsyncIterator[Relay]:
    async with Relay(sim.base_url) as opened:
        yield opened


Make = Callable[..., EnrowClient]


@pytest.fixture
async def make_client(
    sim: EnrowSimulator, relay: Relay, caplog: pytest.LogCaptureFixture
) -> AsyncIterator[Make]:
    """A client of ``sim`` through ``relay`` with quick retries and polls; after the test,
    nothing of any client made is left (:func:`assert_nothing_left`)."""

    def make(**options: Any) -> EnrowClient:
        draw = random.Random(0).random  # the jitter of retries and polls, reproducible
        options.setdefault("retry", attrs.evolve(QUICK_RETRY, rand=draw))
        options.setdefault("poll_policy", attrs.evolve(QUICK_POLLS, rand=draw))
        return EnrowClient(sim.api_key, base_url=relay.url, **options)

    caplog.set_level(logging.ERROR, logger="asyncio")  # where aiohttp reports unclosed ones
    yield make
    await assert_nothing_left(relay, caplog)


def assert_closed(session: aiohttp.ClientSession) -> None:
    """A client-owned session closed, and its connector with it."""
    assert session.closed
    assert session.connector is None or session.connector.closed


async def assert_nothing_waits(relay: Relay, session: aiohttp.ClientSession) -> None:
    """A caller-owned session left open, no connection of it waiting for an answer."""
    assert not session.closed
    await until(lambda: relay.waiting == 0)


async def assert_nothing_left(relay: Relay, caplog: pytest.LogCaptureFixture) -> None:
    """No connection to the server, no task running client code, and nothing unclosed for
    a garbage collection to find (no ResourceWarning, no "Unclosed" in asyncio's log)."""
    await until(lambda: relay.open == 0)
    assert client_tasks() == set()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        gc.collect()
    leaks = [w for w in caught if issubclass(w.category, ResourceWarning)]
    assert not leaks, [str(w.message) for w in leaks]
    assert "Unclosed" not in caplog.text


# -- cancelling waits --------------------------------------------------------------------------


async def test_cancel_one_wait_with_its_poll_in_flight(
    sim: EnrowSimulator, relay: Relay, make_client: Make
) -> None:
    batch_id = sim.add_batch(SEARCHES, duration=60.0)
    sim.inject("hang", count=1, path=BULK)
    transport = AiohttpTransport()
    async with make_client(transport=transport) as client:
        session = transport.session
        task = asyncio.ensure_future(client.wait_for_batch(batch_id, timeout=30))
        await until(lambda: sim.stats.faults["hang"] == 1)
        assert relay.waiting == 1  # the hung poll holds its connection
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        await until(lambda: relay.waiting == 0)  # the cancelled poll gave its connection up
        await until(lambda: client_tasks() == set())
    assert_closed(session)


async def test_cancel_scope_around_a_wait(
    sim: EnrowSimulator, relay: Relay, make_client: Make
) -> None:
    batch_id = sim.add_batch(SEARCHES, duration=60.0)
    sim.inject("hang", count=1, path=BULK)
    async with aiohttp.ClientSession() as own:
        async with make_client(transport=AiohttpTransport(session=own)) as client:
            async with anyio.create_task_group() as tg:
                tg.start_soon(partial(client.wait_for_batch, batch_id, timeout=30))
                await until(lambda: sim.stats.faults["hang"] == 1)
                tg.cancel_scope.cancel()  # cancelled with that poll in flight
            await until(lambda: client_tasks() == set())
        await assert_nothing_waits(relay, own)


async def test_cancel_many_waits_mid_flight(
    sim: EnrowSimulator, relay: Relay, make_client: Make
) -> None:
    slow = [sim.add_batch(SEARCHES * 5, duration=60.0) for _ in range(30)]
    quick = [sim.add_batch(SEARCHES, duration=0.05) for _ in range(5)]
    sim.inject("hang", count=8, path=BULK)
    done: list[str] = []
    connector = aiohttp.TCPConnector(limit=8)
    async with aiohttp.ClientSession(connector=connector) as own:
        async with make_client(
            transport=AiohttpTransport(session=own), poll_policy=PollPolicy(tick=0.0)
        ) as client:

            async def many() -> None:
                async for batch in client.wait_for_batches([*slow[:20], *quick], timeout=30):
                    done.append(batch.id)

            tasks: list[asyncio.Future[Any]] = [asyncio.ensure_future(many())]
            tasks += [
                asyncio.ensure_future(client.wait_for_batch(bid, timeout=30)) for bid in slow[20:]
            ]
            await until(lambda: sim.stats.faults["hang"] == 8)
            assert relay.waiting == 8  # every connection of the pool holds a hung poll
            for task in tasks:
                task.cancel()
            results = await asyncio.gather(*tasks, return_exceptions=True)
            assert all(isinstance(r, asyncio.CancelledError) for r in results)
            await until(lambda: client_tasks() == set())
            await assert_nothing_waits(relay, own)
        await assert_nothing_waits(relay, own)
        # Every connection is back: the pool of 8 serves 8 requests at once.
        async with asyncio.timeout(5):  # a guard: a leaked connection would block one
            statuses = await asyncio.gather(*(account(own, relay, sim) for _ in range(8)))
        assert statuses == [200] * 8


async def account(session: aiohttp.ClientSession, relay: Relay, sim: EnrowSimulator) -> int:
    headers = {"x-api-key": sim.api_key}
    async with session.get(f"{relay.url}/account/info", headers=headers) as response:
        await response.read()
        return response.status


async def test_breaking_out_of_many_waits_then_closing(
    sim: EnrowSimulator, relay: Relay, make_client: Make
) -> None:
    ids = [sim.add_batch(SEARCHES, duration=d) for d in (0.05, 30.0, 30.0, 30.0)]
    sim.inject("slow", count=20, path=BULK)
    transport = AiohttpTransport()
    async with make_client(transport=transport) as client:
        session = transport.session
        async for batch in client.wait_for_batches(ids, timeout=30):
            assert batch.id == ids[0]
            break
        await until(lambda: client_tasks() == set())
        await until(lambda: relay.waiting == 0)  # the slow polls in flight were let go
    assert_closed(session)


# -- dropped connections -----------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["drop", "drop_after", "truncate"])
async def test_after_dropped_connections_the_wait_completes_cleanly(
    sim: EnrowSimulator,
    relay: Relay,
    make_client: Make,
    kind: Any,
) -> None:
    ids = [sim.add_batch(SEARCHES, duration=0.1) for _ in range(4)]
    sim.inject(kind, count=3, path=BULK)  # short of an outage: each poll backs off alone
    async with aiohttp.ClientSession() as own:
        async with make_client(transport=AiohttpTransport(session=own)) as client:
            got = [b.id async for b in client.wait_for_batches(ids, timeout=20)]
            assert sorted(got) == sorted(ids)
            await assert_nothing_waits(relay, own)
        assert sim.stats.faults[kind] == 3
    transport = AiohttpTransport()
    async with make_client(transport=transport) as client:
        session = transport.session
        sim.inject(kind, count=2, path=BULK)
        batch = await client.wait_for_batch(ids[0], timeout=10)
        assert batch.status is BatchStatus.COMPLETED
    assert_closed(session)


async def test_drops_past_every_retry_end_a_call_or_a_wait_and_leave_nothing(
    sim: EnrowSimulator, relay: Relay, make_client: Make
) -> None:
    batch_id = sim.add_batch(SEARCHES, duration=0.0)
    sim.inject("drop", count=1000, path=BULK)
    transport = AiohttpTransport()
    async with make_client(transport=transport) as client:
        session = transport.session
        with pytest.raises(TransportError):
            await client.get_bulk_results(batch_id)
        with pytest.raises(BatchTimeoutError):  # a wait polls through drops to its deadline
            await client.wait_for_batch(batch_id, timeout=0.3)
        await until(lambda: client_tasks() == set())
        await until(lambda: relay.open == 0)  # the server closed every one of them
    assert_closed(session)


# -- the client's own block exits through an exception -----------------------------------------


async def test_exception_in_the_block_with_polls_in_flight(
    sim: EnrowSimulator, make_client: Make
) -> None:
    ids = [sim.add_batch(SEARCHES, duration=60.0) for _ in range(6)]
    sim.inject("hang", count=3, path=BULK)
    transport = AiohttpTransport()
    client = make_client(transport=transport, poll_policy=PollPolicy(tick=0.0))
    tasks: list[asyncio.Future[object]] = []
    with pytest.raises(RuntimeError, match="boom"):
        async with client:
            session = transport.session
            tasks = [asyncio.ensure_future(client.wait_for_batch(bid, timeout=30)) for bid in ids]
            await until(lambda: sim.stats.faults["hang"] == 3)
            raise RuntimeError("boom")
    for task in tasks:
        with pytest.raises(RuntimeError, match="closed while this wait was running"):
            await task
    assert_closed(session)


async def test_exception_inside_iteration_with_caller_session(
    sim: EnrowSimulator, relay: Relay, make_client: Make
) -> None:
    ids = [sim.add_batch(SEARCHES, duration=d) for d in (0.05, 60.0, 60.0)]
    sim.inject("slow", count=20, path=BULK)
    async with aiohttp.ClientSession() as own:
        with pytest.raises(KeyError):
            async with make_client(transport=AiohttpTransport(session=own)) as client:
                async for _ in client.wait_for_batches(ids, timeout=30):
                    raise KeyError("boom")
        await assert_nothing_waits(relay, own)


async def test_cancelled_while_inside_the_block(sim: EnrowSimulator, make_client: Make) -> None:
    ids = [sim.add_batch(SEARCHES, duration=60.0) for _ in range(3)]
    sim.inject("hang", count=2, path=BULK)
    transport = AiohttpTransport()
    sessions: list[aiohttp.ClientSession] = []

    async def body() -> None:
        async with make_client(transport=transport) as client:
            sessions.append(transport.session)
            async for _ in client.wait_for_batches(ids, timeout=30):
                pass

    task = asyncio.ensure_future(body())
    await until(lambda: sim.stats.faults["hang"] == 2)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    for session in sessions:
        assert_closed(session)


# -- a client without `async with`, and one event loop per client -------------------------------


async def test_a_notebook_sequence_over_http_leaves_nothing_behind(
    sim: EnrowSimulator, make_client: Make
) -> None:
    slow = sim.add_batch(SEARCHES, duration=60.0)
    transport = AiohttpTransport()
    client = make_client(transport=transport)
    await asyncio.ensure_future(client.__aenter__())  # one cell
    job = await asyncio.ensure_future(client.start_bulk_search(SEARCHES))  # another
    session = transport.session
    left_running = asyncio.ensure_future(client.wait_for_batch(slow, timeout=30))
    batch = await asyncio.ensure_future(client.wait_for_batch(job.id, timeout=30))
    assert batch.status is BatchStatus.COMPLETED
    await until(lambda: sim.stats.requests[("GET", BULK)] > 2)  # the slow wait polls
    await asyncio.ensure_future(client.aclose())  # a third
    with pytest.raises(ClientClosedError):
        await left_running
    assert_closed(session)


async def test_a_worker_threads_loop_is_refused_and_the_clients_own_loop_unharmed(
    sim: EnrowSimulator, make_client: Make
) -> None:
    batch_id = sim.add_batch(SEARCHES, duration=0.3)
    transport = AiohttpTransport()
    async with make_client(transport=transport) as client:
        await client.get_bulk_results(batch_id)
        session = transport.session
        requests = sim.stats.requests

        def worker() -> list[BaseException]:
            refused = []
            for call in (
                lambda: client.wait_for_batch(batch_id, timeout=5),
                lambda: client.get_bulk_results(batch_id),
            ):
                with pytest.raises(WrongEventLoopError) as info:
                    asyncio.run(call())
                refused.append(info.value)
            return refused

        refused = await anyio.to_thread.run_sync(worker)
        assert all("one EnrowClient per event loop" in str(error) for error in refused)
        assert sim.stats.requests == requests  # nothing sent from the worker
        assert transport.session is session  # no session made on the worker's loop
        batch = await client.wait_for_batch(batch_id, timeout=10)  # its own loop works on
        assert batch.status is BatchStatus.COMPLETED
    assert_closed(session)


def test_a_client_never_used_leaves_nothing_to_collect() -> None:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        client = EnrowClient("k", transport=AiohttpTransport())
        del client
        gc.collect()
    assert [str(w.message) for w in caught] == []
