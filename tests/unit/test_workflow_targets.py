"""Issue 5's targets, end to end against the simulator, in memory and in virtual time.

- ``find_emails`` over 12,345 searches: every result, in input order, never a 429;
- a burst of 25 concurrent starts stays under the POST rate limit (and the client's own
  limiter is what keeps it there);
- never pay twice: a POST that may have created a batch is not resent, a 429 is;
- bad searches are refused before any request is sent.

The webhook-driven waits travel over real HTTP: ``tests/integration/test_webhook_waits.py``.
"""

from __future__ import annotations

import asyncio
import re
from typing import Any

import anyio
import pytest
from helpers import BULK, Connect, Simulate

from enrow_async import (
    EnrowClient,
    IncompleteResultsError,
    JobProgress,
    OutcomeUnknownError,
)
from enrow_async._io.ratelimit import SlidingWindow
from enrow_async.testing import EnrowSimulator, Faults, SimulatorConfig

pytestmark = pytest.mark.anyio


POST = ("POST", BULK)


def people(n: int) -> list[dict[str, Any]]:
    """``n`` distinct searches; every third by company name, customs alternate str/dict."""
    out: list[dict[str, Any]] = []
    for i in range(n):
        search: dict[str, Any] = {"fullname": f"Person {i} Example"}
        if i % 3 == 2:
            search["company_name"] = f"Company {i % 97}"
        else:
            search["company_domain"] = f"co{i % 89}.example.com"
        search["custom"] = f"row-{i}" if i % 2 else {"row": i}
        out.append(search)
    return out


def params(search: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in search.items() if k != "custom"}


@pytest.fixture
def sim_config() -> SimulatorConfig:
    config = SimulatorConfig(duration=(0.2, 0.5), seed=5)
    assert config.post_rate_limit == 10  # the default POST rate limit is on
    return config


# -- find_emails over 12,345 searches --------------------------------------------------------


@pytest.mark.parametrize("batch_size", [5000, 500])
async def test_find_emails_12345_in_order_without_429(
    sim: EnrowSimulator, connect: Connect, batch_size: int
) -> None:
    searches = people(12_345)
    batches = -(-len(searches) // batch_size)  # 3 full-size batches, or 25 (over 10/s)
    seen: list[JobProgress] = []
    async with connect(sim) as client:
        results = await client.find_emails(
            searches, batch_size=batch_size, timeout=60, on_progress=seen.append
        )
    assert len(results) == 12_345
    assert [r.index for r in results] == list(range(12_345))
    assert [dict(r.raw_params) for r in results] == [params(s) for s in searches]
    assert [r.custom for r in results] == [s["custom"] for s in searches]
    stats = sim.stats
    assert stats.rate_limited == 0
    assert stats.batches_created == stats.requests[POST] == batches
    # Combined progress: every snapshot covers the whole job, the last one is the end.
    assert seen
    assert all(isinstance(p, JobProgress) for p in seen)
    assert {(p.batches, p.requested) for p in seen} == {(batches, 12_345)}
    assert [p.finished for p in seen] == sorted(p.finished for p in seen)
    assert (seen[-1].finished, seen[-1].batches_done) == (12_345, batches)


async def test_a_failed_batch_names_the_missing_positions_and_keeps_the_rest(
    simulate: Simulate, connect: Connect
) -> None:
    # fail_rate=0.5 with this seed fails some of the 4 batches and not the others.
    config = SimulatorConfig(duration=(0.1, 0.3), fail_rate=0.5, seed=3)
    searches = people(20)
    async with simulate(config) as sim, connect(sim) as client:
        with pytest.raises(IncompleteResultsError) as info:
            await client.find_emails(searches, batch_size=5, timeout=20)
        failed = {bid: sim.batch(bid) for bid in info.value.failed}
    error = info.value
    assert all(job.fail for job in failed.values())
    # The positions of the failed batches' searches, read back from the server's own copy.
    lost = sorted(
        searches.index(search) for job in failed.values() for search in job.payload["searches"]
    )
    assert 0 < len(lost) < 20
    assert error.missing == lost
    assert f"{len(lost)} of 20 searches have no result" in str(error)
    assert len(error.results) == 20
    for position, result in enumerate(error.results):
        if position in lost:
            assert result is None
        else:
            assert result is not None
            assert result.index == position
            assert result.custom == searches[position]["custom"]
            assert dict(result.raw_params) == params(searches[position])


# -- a burst of 25 starts ----------------------------------------------------------------------


async def burst(client: EnrowClient, n: int = 25) -> list[str]:
    """``n`` tasks sharing ``client`` each start one batch at the same moment."""
    searches = people(3)
    async with asyncio.TaskGroup() as tg:
        tasks = [tg.create_task(client.start_bulk_search(searches)) for _ in range(n)]
    return [task.result().id for task in tasks]


async def test_burst_of_25_starts_never_gets_a_429(
    sim: EnrowSimulator, client: EnrowClient
) -> None:
    ids = await burst(client)
    assert len(set(ids)) == 25
    stats = sim.stats
    assert stats.rate_limited == 0
    assert stats.batches_created == stats.requests[POST] == 25


async def test_a_slow_first_wave_does_not_let_the_second_come_too_early(
    simulate: Simulate, connect: Connect
) -> None:
    # The first 10 POSTs reach the server's rate-limit check 0.2 s late (as over a slow
    # network, a TLS handshake or a stalled process): a window counted from each send would
    # let the 11th in less than a second after the server counted the 10th.
    config = SimulatorConfig(faults=Faults(slow_seconds=0.2))
    async with simulate(config) as sim:
        sim.inject("slow", count=10, method="POST")
        async with connect(sim) as client:
            ids = await burst(client)
        stats = sim.stats
    assert len(set(ids)) == 25
    assert stats.faults == {"slow": 10}
    assert stats.rate_limited == 0
    assert stats.batches_created == stats.requests[POST] == 25


async def test_a_slot_is_held_until_the_answer_then_for_the_window() -> None:
    window = SlidingWindow(limit=2, period=0.2, margin=0.0)
    await window.acquire()
    await window.acquire()
    third = anyio.Event()

    async def acquire_third() -> None:
        await window.acquire()
        third.set()

    async with anyio.create_task_group() as tg:
        tg.start_soon(acquire_third)
        await anyio.sleep(1.0)  # five windows: both slots still wait for their answers
        assert not third.is_set()
        window.release()
        answered = anyio.current_time()
        await third.wait()
        assert anyio.current_time() - answered == pytest.approx(0.2)  # virtual seconds
    window.release()
    window.release()


async def test_without_the_limiter_the_burst_trips_429s_yet_starts_each_batch_once(
    sim: EnrowSimulator, connect: Connect
) -> None:
    async with connect(sim, posts_per_second=1000) as client:
        ids = await burst(client)
    assert len(set(ids)) == 25
    stats = sim.stats
    assert stats.rate_limited > 0
    assert stats.batches_created == 25  # every 429 retried, none created twice
    assert stats.requests[POST] == 25 + stats.rate_limited


# -- never pay twice ---------------------------------------------------------------------------


async def test_a_post_dropped_after_the_server_acted_is_not_resent(
    simulate: Simulate, connect: Connect
) -> None:
    config = SimulatorConfig(faults=Faults(drop_after=1.0, methods=("POST",)))
    async with simulate(config) as sim, connect(sim) as client:
        with pytest.raises(OutcomeUnknownError, match="not sent again"):
            await client.start_bulk_search(people(3))
        stats = sim.stats
    assert stats.requests[POST] == 1
    assert stats.batches_created == 1
    assert stats.faults == {"drop_after": 1}


async def test_find_emails_waits_for_the_batches_it_already_started(
    sim: EnrowSimulator, client: EnrowClient
) -> None:
    # The first POST is slow but answered; the second is lost after the server acted.
    sim.inject("slow", method="POST")
    sim.inject("drop_after", method="POST")
    searches = people(12)
    with pytest.raises(IncompleteResultsError) as info:
        await client.find_emails(searches, batch_size=5, timeout=20)
    stats = sim.stats
    assert stats.requests[POST] == 3  # the unknown start is recorded, the next goes on
    assert stats.batches_created == 3
    error = info.value
    assert error.stopped_by is None
    # The started batches were waited for: their results are kept, by input position.
    first, third = error.started
    assert (first.number, first.positions) == (0, (0, 1, 2, 3, 4))
    assert (third.number, third.positions) == (2, (10, 11))
    assert sim.batch(first.id).payload["searches"] == searches[:5]
    assert [r is not None for r in error.results] == [True] * 5 + [False] * 5 + [True] * 2
    assert error.missing == list(range(5, 10))
    # The second batch had no answer: it may exist, so its rows are not "unstarted".
    assert error.uncertain == list(range(5, 10))
    assert error.unstarted == []
    notes = " ".join(getattr(error, "__notes__", []))
    assert re.findall(r"[0-9a-f]{8}-[0-9a-f-]{27}", notes) == [first.id, third.id]


async def test_a_429_on_a_post_is_retried_and_creates_one_batch(
    sim: EnrowSimulator, client: EnrowClient
) -> None:
    sim.inject("rate_limited", method="POST")
    job = await client.start_bulk_search(people(3))
    stats = sim.stats
    assert stats.requests[POST] == 2
    assert stats.batches_created == 1
    assert sim.batch(job.id).payload["searches"] == people(3)


# -- validation before sending -----------------------------------------------------------------


def without(position: int, field: str, n: int = 10) -> list[dict[str, Any]]:
    searches = people(n)
    for key in [field] if field == "fullname" else ["company_domain", "company_name"]:
        searches[position].pop(key, None)
    return searches


@pytest.mark.parametrize(
    ("searches", "message"),
    [
        (without(3, "fullname"), r"search 3: fullname is required"),
        (without(7, "company"), r"search 7: company_domain or company_name is required"),
        (people(5_001), r"1 to 5000 searches, got 5001"),
    ],
    ids=["no-fullname", "no-company", "5001"],
)
async def test_start_bulk_search_refuses_bad_searches_before_sending(
    sim: EnrowSimulator, client: EnrowClient, searches: list[dict[str, Any]], message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        await client.start_bulk_search(searches)
    assert not sim.stats.requests


async def test_find_emails_refuses_a_bad_search_anywhere_before_sending(
    sim: EnrowSimulator, client: EnrowClient
) -> None:
    searches = without(12_000, "company", 12_345)
    with pytest.raises(ValueError, match=r"search 12000: company_domain or company_name"):
        await client.find_emails(searches, timeout=10)
    with pytest.raises(ValueError, match=r"search 0: fullname is required"):
        await client.find_emails([{"fullname": "  ", "company_domain": "a.com"}], timeout=10)
    assert not sim.stats.requests
