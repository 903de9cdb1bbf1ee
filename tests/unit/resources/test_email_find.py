"""``client.email.find`` (``find_emails``): each distinct search paid once, partial results
kept on every failure, ``on_started`` and resuming after a crash; in memory, virtual time."""

from __future__ import annotations

from typing import Any

import anyio
import anyio.lowlevel
import pytest
from helpers import GET_BULK, Connect, Simulate

from enrow_async import (
    APIError,
    AuthenticationError,
    BatchTimeoutError,
    EnrowClient,
    FindEmailsTimeoutError,
    IncompleteResultsError,
    InsufficientCreditsError,
    JobProgress,
    SpendingRefusedError,
    StartedBatch,
    to_dict,
)
from enrow_async.testing import EnrowSimulator, Faults, SimulatorConfig

pytestmark = pytest.mark.anyio


POST = ("POST", "/email/find/bulk")


def people(n: int) -> list[dict[str, Any]]:
    return [
        {"fullname": f"Person {i}", "company_domain": f"co{i}.example.com", "custom": f"row-{i}"}
        for i in range(n)
    ]


def sent(sim: EnrowSimulator, ids: list[str]) -> list[dict[str, Any]]:
    """Every search the simulator received in the batches ``ids``, in order."""
    return [search for bid in ids for search in sim.batch(bid).payload["searches"]]


# -- never pay twice -------------------------------------------------------------------------


async def test_identical_searches_are_sent_once_and_every_copy_gets_the_result(
    sim: EnrowSimulator, client: EnrowClient
) -> None:
    searches: list[dict[str, Any]] = [
        {"fullname": "Jim Halpert", "company_domain": "dundermifflin.com", "custom": "a"},
        {"fullname": "Pam Beesly", "company_name": "Dunder Mifflin", "custom": "b"},
        {"fullname": "  JIM   halpert ", "company_domain": "https://www.DunderMifflin.com/about"},
        {"fullname": "Jim Halpert", "company_domain": "dundermifflin.com", "custom": {"n": 4}},
        {"fullname": "Pam Beesly", "company_name": "dunder  mifflin", "custom": "e"},
        {"fullname": "Dwight Schrute", "company_domain": "dundermifflin.com", "custom": "f"},
    ]
    started: list[StartedBatch] = []
    seen: list[JobProgress] = []
    results = await client.find_emails(
        searches, batch_size=2, timeout=20, on_started=started.append, on_progress=seen.append
    )
    # Three distinct people: two batches (2 + 1), three searches paid for.
    assert sim.stats.requests[POST] == 2
    assert [s["fullname"] for s in sent(sim, [b.id for b in started])] == [
        "Jim Halpert",
        "Pam Beesly",
        "Dwight Schrute",
    ]
    assert [b.positions for b in started] == [(0, 1, 2, 3, 4), (5,)]
    assert [r.index for r in results] == list(range(6))
    assert [r.custom for r in results] == ["a", "b", None, {"n": 4}, "e", "f"]
    for copy, first in [(2, 0), (3, 0), (4, 1)]:
        assert (results[copy].qualification, results[copy].email) == (
            results[first].qualification,
            results[first].email,
        )
    # Progress counts what is sent, and says how many searches were not.
    assert {(p.requested, p.batches, p.duplicates) for p in seen} == {(3, 2, 3)}
    assert seen[-1].finished == 3


async def test_a_list_without_duplicates_reports_none(client: EnrowClient) -> None:
    seen: list[JobProgress] = []
    results = await client.find_emails(people(4), timeout=20, on_progress=seen.append)
    assert [r.custom for r in results] == [f"row-{i}" for i in range(4)]
    last = seen[-1]
    assert (last.finished, last.requested, last.batches_done, last.batches) == (4, 4, 1, 1)
    assert (last.duplicates, last.eta) == (0, 0.0)


# -- partial results kept --------------------------------------------------------------------


async def test_a_timeout_keeps_what_arrived_by_position_and_resume_collects_the_rest(
    simulate: Simulate, connect: Connect
) -> None:
    # Batches take 1-60 s; with this seed some of the four are done by the 20 s deadline.
    searches = people(20)
    searches[7] = dict(searches[2], custom="copy of 2")  # a duplicate across batches
    async with (
        simulate(SimulatorConfig(duration=(1.0, 60.0), seed=4)) as sim,
        connect(sim) as client,
    ):
        with pytest.raises(FindEmailsTimeoutError) as info:
            await client.find_emails(searches, batch_size=5, timeout=20)
        error = info.value
        assert isinstance(error, BatchTimeoutError)
        assert isinstance(error, IncompleteResultsError)
        assert error.timeout == 20
        assert len(error.started) == 4
        pending = set(error.pending)
        assert 0 < len(pending) < 4
        assert pending <= {b.id for b in error.started}
        for batch in error.started:
            for position in batch.positions:
                result = error.results[position]
                assert (result is None) is (batch.id in pending)
                if result is not None:
                    assert (result.index, result.custom) == (position, searches[position]["custom"])
        covered = sorted(p for b in error.started for p in b.positions)
        assert covered == list(range(20))
        assert error.missing == [i for i, r in enumerate(error.results) if r is None]
        assert error.unstarted == []
        assert error.stopped_by is None
        posts = sim.stats.requests[POST]
        # Resumed from the error's own record: waited for, nothing started again.
        results = await client.find_emails(
            searches, batch_size=5, timeout=120, resume=error.started
        )
        assert sim.stats.requests[POST] == posts == 4
    assert [r.index for r in results] == list(range(20))
    assert [r.custom for r in results] == [s["custom"] for s in searches]
    assert results[7].email == results[2].email
    kept = [r for r in error.results if r is not None]
    assert kept == [results[r.index] for r in kept]


async def test_a_refused_start_waits_for_the_started_batches_and_keeps_their_results(
    simulate: Simulate, connect: Connect
) -> None:
    # The balance covers the list when the guard reads it, but another process spends
    # 5 credits once the first batch starts: the third start is refused (402).
    async with simulate(SimulatorConfig(credits=15, seed=2)) as sim, connect(sim) as client:

        async def elsewhere(batch: StartedBatch) -> None:
            if batch.number == 0:
                await client.start_bulk_search(people(5))

        with pytest.raises(IncompleteResultsError) as info:
            await client.find_emails(people(14), batch_size=5, timeout=20, on_started=elsewhere)
        assert sim.stats.requests[POST] == 4
        assert sim.stats.batches_created == 3
    error = info.value
    assert isinstance(error.stopped_by, InsufficientCreditsError)
    assert error.__cause__ is error.stopped_by
    assert [b.number for b in error.started] == [0, 1]
    assert error.unstarted == error.missing == list(range(10, 14))
    assert [r.index for r in error.results if r is not None] == list(range(10))
    assert "stopped by InsufficientCreditsError" in str(error)


async def test_a_balance_that_cannot_cover_the_list_is_refused_before_any_post(
    simulate: Simulate, connect: Connect
) -> None:
    async with simulate(SimulatorConfig(credits=2)) as sim, connect(sim) as client:
        with pytest.raises(SpendingRefusedError, match=r"reserve 3 credit.*has 2") as info:
            await client.find_emails(people(3), timeout=20)
        assert sim.stats.requests.get(POST, 0) == 0
    assert info.value.credits == 3


async def test_a_cap_below_the_cost_is_refused_before_any_post(
    sim: EnrowSimulator, client: EnrowClient
) -> None:
    with pytest.raises(SpendingRefusedError, match="above the cap of 2"):
        await client.email.find(people(3), max_credits=2, timeout=20)
    assert sim.stats.requests.get(POST, 0) == 0


@pytest.mark.parametrize("status", [303, 307])
async def test_a_start_answered_with_a_redirect_is_uncertain_not_unstarted(
    simulate: Simulate, connect: Connect, status: int
) -> None:
    """The server created the second batch and answered 303 See Other (or 307): its
    positions may be paid for, so they are ``uncertain`` (never sent again), not
    ``unstarted``; the next batch goes on."""
    config = SimulatorConfig(seed=2, faults=Faults(redirect_status=status))
    async with simulate(config) as sim, connect(sim) as client:
        batches: list[StartedBatch] = []

        def started(batch: StartedBatch) -> None:
            batches.append(batch)
            if len(batches) == 1:
                sim.inject("redirect", method="POST", path=POST[1])  # the next start

        with pytest.raises(IncompleteResultsError) as info:
            await client.find_emails(people(14), batch_size=5, timeout=20, on_started=started)
        assert sim.stats.requests[POST] == 3
        assert sim.stats.batches_created == 3
    error = info.value
    assert error.uncertain == error.missing == list(range(5, 10))
    assert error.unstarted == []
    assert [b.number for b in error.started] == [b.number for b in batches] == [0, 2]
    found = [r.index for r in error.results if r is not None]
    assert found == [*range(5), *range(10, 14)]


async def test_a_refused_first_start_is_raised_as_it_is(
    simulate: Simulate, connect: Connect
) -> None:
    async with simulate(SimulatorConfig(seed=1)) as sim, connect(sim) as client:
        sim.inject("echo_key", path="/email/find/bulk", method="POST")  # a 400: refused
        with pytest.raises(APIError) as info:
            await client.find_emails(people(3), timeout=20)
        assert info.value.status == 400


# -- on_started and resume -------------------------------------------------------------------


async def test_on_started_gets_each_batch_before_any_wait(
    sim: EnrowSimulator, client: EnrowClient
) -> None:
    seen: list[tuple[StartedBatch, int]] = []

    async def save(batch: StartedBatch) -> bool:
        await anyio.lowlevel.checkpoint()
        seen.append((batch, sim.stats.requests[GET_BULK]))
        return True  # whatever it returns is ignored

    await client.find_emails(people(7), batch_size=3, timeout=20, on_started=save)
    assert [(b.number, b.positions, polls) for b, polls in seen] == [
        (0, (0, 1, 2), 0),
        (1, (3, 4, 5), 0),
        (2, (6,), 0),
    ]
    assert all(b.credits_used is not None for b, _ in seen)


async def test_a_crash_after_some_starts_resumes_from_the_saved_records(
    sim: EnrowSimulator, client: EnrowClient
) -> None:
    searches = people(23)
    store: list[dict[str, Any]] = []  # what a service would persist: JSON-ready records

    with anyio.CancelScope() as crash:

        def save(batch: StartedBatch) -> None:
            store.append(to_dict(batch))
            if len(store) == 3:
                crash.cancel()  # the process dies right after the third batch started

        await client.find_emails(searches, batch_size=5, timeout=20, on_started=save)
    assert crash.cancelled_caught
    assert sim.stats.batches_created == 3
    restarted: list[StartedBatch] = []
    saved = [StartedBatch(**record) for record in store]
    results = await client.find_emails(
        searches, batch_size=5, timeout=20, resume=saved, on_started=restarted.append
    )
    # Only the two missing batches were started; each search was sent exactly once.
    assert [b.number for b in restarted] == [3, 4]
    assert sim.stats.requests[POST] == sim.stats.batches_created == 5
    ids = [b.id for b in sorted(saved + restarted, key=lambda b: b.number)]
    assert [s["fullname"] for s in sent(sim, ids)] == [s["fullname"] for s in searches]
    assert [r.index for r in results] == list(range(23))
    assert [r.custom for r in results] == [s["custom"] for s in searches]


async def test_resuming_every_batch_starts_nothing(
    sim: EnrowSimulator, client: EnrowClient
) -> None:
    started: list[StartedBatch] = []
    first = await client.find_emails(people(8), batch_size=4, on_started=started.append)
    again = await client.find_emails(people(8), batch_size=4, resume=started)
    assert again == first
    assert sim.stats.requests[POST] == 2


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"batch_size": 3}, "is not a batch of these searches"),
        ({"country_code": "fr"}, "is not a batch of these searches"),
        ({"searches": people(9)[1:]}, "is not a batch of these searches"),
        ({"number": 7}, r"\(number 7\) is not a batch"),
        ({"twice": True}, "two saved batches for number 0"),
    ],
    ids=["batch-size", "country", "other-list", "number", "twice"],
)
async def test_a_saved_batch_of_another_plan_is_refused_before_any_request(
    sim: EnrowSimulator, client: EnrowClient, change: dict[str, Any], message: str
) -> None:
    started: list[StartedBatch] = []
    await client.find_emails(people(8), batch_size=4, on_started=started.append)
    before = sim.stats.requests
    saved = list(started)
    if "number" in change:
        saved[0] = StartedBatch(saved[0].id, change.pop("number"), saved[0].key)
    if change.pop("twice", False):
        saved.append(StartedBatch("another-id", 0, saved[0].key))
    options: dict[str, Any] = {"batch_size": 4} | change
    with pytest.raises(ValueError, match=message):
        await client.find_emails(options.pop("searches", people(8)), resume=saved, **options)
    assert sim.stats.requests == before


async def test_on_started_must_be_callable(client: EnrowClient) -> None:
    with pytest.raises(TypeError, match="on_started must be callable"):
        await client.find_emails(people(2), on_started="print")  # type: ignore[arg-type]


async def test_a_wait_that_cannot_go_on_names_its_cause_and_keeps_the_batches(
    sim: EnrowSimulator, client: EnrowClient, connect: Connect
) -> None:
    started: list[StartedBatch] = []
    await client.find_emails(people(6), batch_size=3, on_started=started.append)
    # Resumed with a key the API refuses: nothing is started, the first read fails (401).
    async with connect(sim, key="not-the-key") as refused:
        with pytest.raises(IncompleteResultsError) as info:
            await refused.find_emails(people(6), batch_size=3, resume=started)
    error = info.value
    assert isinstance(error.stopped_by, AuthenticationError)
    assert error.__cause__ is error.stopped_by
    assert error.started == started
    assert error.missing == list(range(6))
    assert error.unstarted == []
    assert sim.stats.requests[POST] == 2


async def test_an_error_in_on_started_ends_the_call_at_once(
    sim: EnrowSimulator, client: EnrowClient
) -> None:
    def broken(batch: StartedBatch) -> None:
        raise RuntimeError(f"could not save {batch.id}")

    with pytest.raises(RuntimeError, match="could not save"):
        await client.find_emails(people(6), batch_size=3, on_started=broken)
    assert sim.stats.requests[POST] == 1
    assert sim.stats.requests[GET_BULK] == 0


async def test_failed_batches_are_sent_again_only_when_asked(
    simulate: Simulate, connect: Connect
) -> None:
    config = SimulatorConfig(duration=(0.2, 0.4), seed=1, fail_rate=0.5)
    async with simulate(config) as sim, connect(sim) as client:
        searches = people(12)
        with pytest.raises(IncompleteResultsError) as info:
            await client.find_emails(searches, batch_size=3, timeout=20)
        failed = info.value.missing
        assert failed
        assert "retry_failed=True sends again only" in " ".join(info.value.__notes__)
        posts = sim.stats.requests[POST]
        again = await client.find_emails(
            searches, batch_size=3, timeout=20, resume=info.value.started, retry_failed=True
        )
        assert [r.index for r in again] == list(range(12))
        assert sim.stats.requests[POST] - posts == -(-len(failed) // 3)  # only the failed
