"""EnrowClient end to end against the simulator, in memory and in virtual time.

``tests/integration/test_client_http.py`` keeps what needs real HTTP (aiohttp's own errors,
a caller-owned session, a server that is not the simulator).
"""

from __future__ import annotations

import asyncio
import functools
import gc
import logging
import math
import warnings
import weakref
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any, TypeVar

import anyio
import anyio.to_thread
import orjson
import pytest
from helpers import LEADS, Connect, Simulate, assert_polling_stopped, client_tasks

from enrow_async import (
    AuthenticationError,
    BatchErrors,
    BatchFailedError,
    BatchNotFoundError,
    BatchStatus,
    BatchTimeoutError,
    BulkResults,
    ClientClosedError,
    ConfigurationError,
    EnrowClient,
    EnrowError,
    PollPolicy,
    Progress,
    RetryPolicy,
    WrongEventLoopError,
)
from enrow_async._core.convert import structure
from enrow_async.testing import EnrowSimulator, MemoryTransport, SimulatorConfig

pytestmark = pytest.mark.anyio

T = TypeVar("T")


@pytest.fixture
def sim_config() -> SimulatorConfig:
    return SimulatorConfig(duration=(0.2, 0.4), seed=7)


async def test_no_key_says_how_to_provide_one(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("ENROW_API_KEY", raising=False)
    with pytest.raises(ConfigurationError, match="ENROW_API_KEY"):
        EnrowClient()


async def test_key_from_environment(monkeypatch: pytest.MonkeyPatch, sim: EnrowSimulator) -> None:
    monkeypatch.setenv("ENROW_API_KEY", sim.api_key)
    job = None
    async with EnrowClient(base_url=sim.base_url, transport=MemoryTransport(sim)) as client:
        job = await client.start_bulk_search(LEADS)
    assert job.id


async def test_wait_for_batch_returns_what_the_server_holds(
    client: EnrowClient, sim: EnrowSimulator
) -> None:
    job = await client.start_bulk_search(LEADS, custom="campaign_q2")
    seen: list[Progress] = []
    batch = await client.wait_for_batch(job.id, timeout=10, on_progress=seen.append)
    assert batch.status is BatchStatus.COMPLETED
    assert batch == structure(sim.completed_body(job.id), BulkResults, body=b"{}")
    assert batch.custom == "campaign_q2"
    assert [r.index for r in batch.results] == [0, 1, 2]
    assert batch.results[0].custom == "lead_001"
    assert batch.results[2].custom == {"crm": 3}
    assert seen
    assert seen[-1].status is BatchStatus.COMPLETED
    assert seen[-1].finished == seen[-1].requested == 3
    finished = [p.finished for p in seen]
    assert finished == sorted(finished)
    assert len({(p.status, p.finished) for p in seen}) == len(seen)


async def test_async_progress_callback_is_awaited_in_order(client: EnrowClient) -> None:
    job = await client.start_bulk_search(LEADS)
    seen: list[int] = []

    async def record(progress: Progress) -> None:
        await asyncio.sleep(0)
        seen.append(progress.finished)

    await client.wait_for_batch(job.id, timeout=10, on_progress=record)
    assert seen
    assert seen[-1] == 3
    assert seen == sorted(seen)


async def test_get_bulk_results_while_ongoing(client: EnrowClient, sim: EnrowSimulator) -> None:
    batch_id = sim.add_batch(LEADS, duration=30.0)
    batch = await client.get_bulk_results(batch_id)
    assert batch.status is BatchStatus.ONGOING
    assert batch.results == ()
    assert batch.stats.requested == 3
    assert batch.stats.credits_cost is None


async def test_watch_batch_streams_until_done(client: EnrowClient, sim: EnrowSimulator) -> None:
    batch_id = sim.add_batch(LEADS * 10, duration=0.5)
    snapshots = [p async for p in client.watch_batch(batch_id, timeout=10)]
    assert snapshots[-1].status is BatchStatus.COMPLETED
    assert all(p.status is BatchStatus.ONGOING for p in snapshots[:-1])
    assert snapshots[-1].fraction == 1.0
    assert all(p.batch_id == batch_id for p in snapshots)


async def test_failed_batch_raises_with_last_snapshot(
    client: EnrowClient, sim: EnrowSimulator
) -> None:
    batch_id = sim.add_batch(LEADS, duration=0.2, fail=True)
    with pytest.raises(BatchFailedError) as info:
        await client.wait_for_batch(batch_id, timeout=10)
    assert info.value.batch_id == batch_id
    assert info.value.progress.status is BatchStatus.FAILED


async def test_timeout_carries_progress_and_never_returns_unfinished(
    client: EnrowClient, sim: EnrowSimulator
) -> None:
    batch_id = sim.add_batch(LEADS, duration=60.0)
    with pytest.raises(BatchTimeoutError) as info:
        await client.wait_for_batch(batch_id, timeout=0.3)
    assert isinstance(info.value, TimeoutError)
    assert isinstance(info.value, EnrowError)
    assert info.value.progress is not None
    assert info.value.progress.status is BatchStatus.ONGOING
    assert batch_id in str(info.value)


async def test_unknown_id(client: EnrowClient) -> None:
    with pytest.raises(BatchNotFoundError):
        await client.get_bulk_results("no-such-batch")
    with pytest.raises(BatchNotFoundError):
        await client.wait_for_batch("no-such-batch", timeout=5)


@pytest.mark.parametrize("status", [400, 404])
async def test_unknown_id_either_status(simulate: Simulate, connect: Connect, status: int) -> None:
    async with simulate(SimulatorConfig(not_found_status=status)) as sim:
        async with connect(sim) as client:
            with pytest.raises(BatchNotFoundError) as info:
                await client.get_bulk_results("nope")
    assert info.value.status == status


@pytest.mark.parametrize(("status", "index_as"), [(202, "int"), (200, "str")])
async def test_wire_variants_from_the_server(
    simulate: Simulate, connect: Connect, status: int, index_as: str
) -> None:
    config = SimulatorConfig(ongoing_status=status, index_as=index_as, duration=(0.2, 0.3))
    async with simulate(config) as sim:
        async with connect(sim) as client:
            job = await client.start_bulk_search(LEADS)
            ongoing = await client.get_bulk_results(job.id)
            batch = await client.wait_for_batch(job.id, timeout=10)
    assert ongoing.status is BatchStatus.ONGOING
    assert [r.index for r in batch.results] == [0, 1, 2]


async def test_bad_key_is_authentication_error(sim: EnrowSimulator, connect: Connect) -> None:
    async with connect(sim, key="wrong-key") as client:
        with pytest.raises(AuthenticationError) as info:
            await client.get_bulk_results("x")
    assert "wrong-key" not in str(info.value)


@pytest.mark.parametrize("bad", ["", None, 3])
async def test_bad_ids_refused_before_any_request(
    client: EnrowClient, sim: EnrowSimulator, bad: Any
) -> None:
    before = sim.stats.requests
    with pytest.raises((ValueError, TypeError)):
        await client.wait_for_batch(bad, timeout=1)
    with pytest.raises((ValueError, TypeError)):
        await client.get_bulk_results(bad)
    assert sim.stats.requests == before


@pytest.mark.parametrize("bad", [-1, math.nan, "5"])
async def test_bad_timeouts_refused(client: EnrowClient, bad: Any) -> None:
    with pytest.raises((ValueError, TypeError)):
        await client.wait_for_batch("b", timeout=bad)


async def test_id_with_query_characters_is_one_id(client: EnrowClient) -> None:
    with pytest.raises(BatchNotFoundError):
        await client.get_bulk_results("a&id=b")


@pytest.mark.parametrize("kind", ["server_error", "rate_limited", "drop", "truncate", "html_502"])
async def test_transient_faults_are_retried(
    sim: EnrowSimulator, client: EnrowClient, kind: Any
) -> None:
    batch_id = sim.add_batch(LEADS, duration=0.0)
    sim.inject(kind)
    batch = await client.get_bulk_results(batch_id)
    assert batch.status is BatchStatus.COMPLETED
    stats = sim.stats
    assert stats.faults == {kind: 1}
    assert stats.requests["GET", "/email/find/bulk"] == 2


async def test_transient_faults_in_a_row_are_retried_within_the_attempts(
    sim: EnrowSimulator, client: EnrowClient
) -> None:
    # Four failures then the answer: the fifth of the default five attempts.
    batch_id = sim.add_batch(LEADS, duration=0.0)
    for kind in ("server_error", "rate_limited", "drop", "truncate"):
        sim.inject(kind)
    batch = await client.get_bulk_results(batch_id)
    assert batch.status is BatchStatus.COMPLETED
    assert sim.stats.requests["GET", "/email/find/bulk"] == 5


@pytest.mark.parametrize(("draw", "first_poll"), [(0.0, 1.0), (0.5, 2.0), (0.75, 2.5)])
async def test_each_policys_rand_draws_its_jitter(
    sim: EnrowSimulator, connect: Connect, draw: float, first_poll: float
) -> None:
    """``PollPolicy.rand`` spreads the first poll (``initial * (1 +/- spread)``) and
    ``RetryPolicy.rand`` the retry after a fault (``rand * 0.2 s``)."""
    batch_id = sim.add_batch(LEADS, duration=0.0)
    sim.inject("server_error")
    polls = PollPolicy(initial=2.0, spread=0.5, tick=0.0, rand=lambda: draw)
    retries = RetryPolicy(rand=lambda: draw)
    async with connect(sim, poll_policy=polls, retry=retries) as client:
        start = anyio.current_time()
        await client.wait_for_batch(batch_id, timeout=60)
        assert anyio.current_time() - start == pytest.approx(first_poll + draw * 0.2)


async def test_wait_for_batches_yields_each_once_and_reports_errors(
    client: EnrowClient, sim: EnrowSimulator
) -> None:
    good = [sim.add_batch(LEADS, duration=d) for d in (0.1, 0.4, 0.2)]
    failed = sim.add_batch(LEADS, duration=0.1, fail=True)
    seen: list[str] = []
    with pytest.raises(BatchErrors) as info:
        async for batch in client.wait_for_batches([*good, failed, "missing-id"], timeout=10):
            seen.append(batch.id)
    assert sorted(seen) == sorted([*good, failed])
    assert len(seen) == len(set(seen))
    assert set(info.value.errors) == {"missing-id"}
    assert isinstance(info.value.errors["missing-id"], BatchNotFoundError)


async def test_wait_for_batches_auth_error_ends_at_once(
    sim: EnrowSimulator, connect: Connect
) -> None:
    ids = [sim.add_batch(LEADS, duration=5.0) for _ in range(3)]
    async with connect(sim, key="bad") as client:
        with pytest.raises(AuthenticationError):
            async for _ in client.wait_for_batches(ids, timeout=10):
                pass


async def test_deadline_yields_finished_first_then_names_the_rest(
    client: EnrowClient, sim: EnrowSimulator
) -> None:
    fast = sim.add_batch(LEADS, duration=0.05)
    slow = sim.add_batch(LEADS, duration=60.0)
    got = []
    with pytest.raises(BatchTimeoutError) as info:
        async for batch in client.wait_for_batches([slow, fast], timeout=1.0):
            got.append(batch.id)
    assert got == [fast]
    assert set(info.value.pending) == {slow}


async def test_break_stops_polling_and_leaves_no_task(
    client: EnrowClient, sim: EnrowSimulator
) -> None:
    fast = sim.add_batch(LEADS, duration=0.05)
    slows = [sim.add_batch(LEADS, duration=60.0) for _ in range(5)]
    async for batch in client.wait_for_batches([fast, *slows], timeout=10):
        assert batch.id == fast
        break
    await assert_polling_stopped(sim, turns=5)  # the loop's finalizer closes the stream


async def test_cancelling_a_wait_leaves_nothing_behind(
    client: EnrowClient, sim: EnrowSimulator
) -> None:
    slow = sim.add_batch(LEADS, duration=60.0)
    task = asyncio.ensure_future(client.wait_for_batch(slow, timeout=30))
    await asyncio.sleep(0.3)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    for _ in range(5):
        await asyncio.sleep(0.01)
    assert client_tasks() == set()


async def test_client_exit_through_exception_closes_everything(
    sim: EnrowSimulator, connect: Connect
) -> None:
    slow = sim.add_batch(LEADS, duration=60.0)
    client = connect(sim)
    with pytest.raises(RuntimeError, match="boom"):
        async with client:
            task = asyncio.ensure_future(client.wait_for_batch(slow, timeout=30))
            await asyncio.sleep(0.2)
            raise RuntimeError("boom")
    with pytest.raises(RuntimeError, match="closed while this wait was running"):
        await task
    assert client_tasks() == set()


async def test_key_never_logged_or_shown(
    sim: EnrowSimulator, connect: Connect, caplog: pytest.LogCaptureFixture
) -> None:
    secret = sim.api_key
    caplog.set_level(logging.DEBUG, logger="enrow_async")
    sim.inject("server_error", count=1, method="GET")
    async with connect(sim, key=secret) as client:
        assert secret not in repr(client)
        job = await client.start_bulk_search(LEADS)
        await client.wait_for_batch(job.id, timeout=10)
        with pytest.raises(BatchNotFoundError) as info:
            await client.get_bulk_results("nope")
    assert caplog.records, "DEBUG logging should have recorded requests"
    assert secret not in caplog.text
    assert secret not in str(info.value)
    assert secret not in repr(info.value)


# -- the lifecycle: no `async with` needed, one event loop, closed once ---------------------

FIRST_CALLS: dict[str, Callable[[EnrowClient, str], Awaitable[object]]] = {
    "start": lambda client, _: client.start_bulk_search(LEADS),
    "get": lambda client, batch_id: client.get_bulk_results(batch_id),
    "wait": lambda client, batch_id: client.wait_for_batch(batch_id, timeout=60),
    "watch": lambda client, batch_id: collect(client.watch_batch(batch_id, timeout=60)),
    "wait_many": lambda client, batch_id: collect(client.wait_for_batches([batch_id])),
    "find": lambda client, _: client.find_emails(LEADS * 4, batch_size=5, timeout=60),
    "account": lambda client, _: client.account.info(),
    "verify": lambda client, _: client.verify.single.start("jim@dundermifflin.com"),
}
"""One of each kind of call (start, read, wait, stream, the engine, account), by name."""


async def collect(stream: AsyncIterator[object]) -> list[object]:
    return [item async for item in stream]


async def in_a_task(call: Awaitable[T]) -> T:
    """``call`` run in a task of its own, as a notebook runs each cell."""
    return await asyncio.ensure_future(call)


@pytest.mark.parametrize("first", sorted(FIRST_CALLS))
async def test_a_client_opens_itself_on_its_first_call(
    sim: EnrowSimulator, connect: Connect, first: str
) -> None:
    batch_id = sim.add_batch(LEADS, duration=0.3)
    client = connect(sim)
    assert repr(client).endswith(" unused>")
    assert await FIRST_CALLS[first](client, batch_id)
    assert repr(client).endswith(" open>")
    batch = await client.wait_for_batch(batch_id, timeout=60)  # and every other call after it
    assert batch.status is BatchStatus.COMPLETED
    await client.aclose()
    assert repr(client).endswith(" closed>")
    assert client_tasks() == set()


async def test_find_emails_on_a_client_never_opened_pays_once_and_returns_all(
    sim: EnrowSimulator, connect: Connect
) -> None:
    people = [{"fullname": f"Person {i}", "company_domain": f"co{i}.com"} for i in range(12)]
    client = connect(sim)
    results = await client.find_emails(people, batch_size=5, timeout=60)
    assert [r.index for r in results] == list(range(12))
    assert sim.stats.created == {"/email/find/bulk": 3}
    await client.aclose()
    assert client_tasks() == set()


async def test_a_notebook_sequence_leaves_nothing_behind(
    sim: EnrowSimulator, connect: Connect
) -> None:
    """Each cell a task of its own: the client opened in one, used in others (a wait left
    running), closed in another."""
    slow = sim.add_batch(LEADS, duration=600.0)
    client = connect(sim)
    await in_a_task(client.__aenter__())  # cell 1
    job = await in_a_task(client.start_bulk_search(LEADS))  # cell 2
    left_running = asyncio.ensure_future(client.wait_for_batch(slow, timeout=3600))  # cell 3
    batch = await in_a_task(client.wait_for_batch(job.id, timeout=60))  # cell 4
    assert batch.status is BatchStatus.COMPLETED
    await asyncio.sleep(30.0)  # virtual: the slow wait polls meanwhile
    assert not left_running.done()
    await in_a_task(client.aclose())  # cell 5
    with pytest.raises(ClientClosedError, match="closed while this wait was running"):
        await left_running
    assert client_tasks() == set()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        gc.collect()
    assert [str(w.message) for w in caught] == []


async def test_a_closed_client_refuses_every_call_before_sending(
    sim: EnrowSimulator, connect: Connect
) -> None:
    batch_id = sim.add_batch(LEADS, duration=0.3)
    async with connect(sim) as client:
        await client.get_bulk_results(batch_id)
    await client.aclose()  # closing twice is harmless
    requests = sim.stats.requests
    for call in FIRST_CALLS.values():
        with pytest.raises(ClientClosedError, match="create a new EnrowClient"):
            await call(client, batch_id)
    with pytest.raises(ClientClosedError):
        await client.__aenter__()
    assert sim.stats.requests == requests
    assert isinstance(ClientClosedError("x"), RuntimeError)  # what it raised before


async def test_another_loop_is_refused_before_anything_is_sent(
    sim: EnrowSimulator, connect: Connect
) -> None:
    batch_id = sim.add_batch(LEADS, duration=0.3)
    client = connect(sim)
    await client.get_bulk_results(batch_id)  # bound to this loop
    requests = sim.stats.requests

    def from_another_loop(call: Callable[[], Awaitable[object]]) -> None:
        async def run() -> object:
            return await call()

        with pytest.raises(WrongEventLoopError, match="one EnrowClient per event loop"):
            asyncio.run(run())

    calls = [functools.partial(call, client, batch_id) for call in FIRST_CALLS.values()]
    for call in [*calls, client.__aenter__, client.aclose]:
        await anyio.to_thread.run_sync(from_another_loop, call)
    assert sim.stats.requests == requests
    batch = await client.wait_for_batch(batch_id, timeout=60)  # its own loop: unharmed
    assert batch.status is BatchStatus.COMPLETED
    await client.aclose()
    assert client_tasks() == set()


def test_a_client_whose_loop_has_ended_says_so() -> None:
    client = EnrowClient("k", base_url="http://127.0.0.1:9")
    asyncio.run(client.__aenter__())  # bound to a loop that then ends, never closed
    with pytest.raises(WrongEventLoopError, match="now closed"):
        asyncio.run(client.get_bulk_results("b"))
    assert isinstance(WrongEventLoopError("x"), ConfigurationError)


def test_a_client_never_used_holds_nothing() -> None:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        client = EnrowClient("k")  # no event loop here, and none needed
        assert repr(client).endswith(" unused>")
        gone = weakref.ref(client)
        del client
        gc.collect()
    assert gone() is None
    assert [str(w.message) for w in caught] == []


async def test_find_emails_returns_input_order(client: EnrowClient) -> None:
    people = [
        {"fullname": f"Person {i}", "company_domain": f"co{i % 7}.com", "custom": str(i)}
        for i in range(23)
    ]
    seen: list[Any] = []
    results = await client.find_emails(people, batch_size=5, timeout=20, on_progress=seen.append)
    assert [r.index for r in results] == list(range(23))
    assert [r.custom for r in results] == [str(i) for i in range(23)]
    assert [r.raw_params["fullname"] for r in results] == [p["fullname"] for p in people]
    assert seen[-1].batches == 5
    assert seen[-1].requested == 23
    assert orjson.dumps([r.raw_params for r in results])
