"""``wait_batches``: the library's wait, and a typed Problem for each batch without results."""

from __future__ import annotations

import io

import pytest
from cli_support import FAST

from enrow_async import BatchNotFoundError, BatchStatus, EnrowClient
from enrow_async.cli.streams import Streams
from enrow_async.cli.waiting import Problem, ProblemKind, WaitOptions, wait_batches
from enrow_async.testing import EnrowSimulator, ManualClock, SimulatorConfig

pytestmark = pytest.mark.anyio

SEARCH = {"fullname": "Jim Halpert", "company_domain": "dundermifflin.com"}


async def test_each_batch_has_results_or_a_problem() -> None:
    clock = ManualClock()
    err = io.StringIO()
    streams = Streams(err, err)
    async with EnrowSimulator(SimulatorConfig(clock=clock, duration=10.0)) as sim:
        done = sim.add_batch([SEARCH] * 2, duration=0.0)
        failed = sim.add_batch([SEARCH], duration=0.0, fail=True)
        running = sim.add_batch([SEARCH] * 3)
        async with EnrowClient(sim.api_key, base_url=sim.base_url, poll_policy=FAST) as client:
            sizes = {done: 2, failed: 1, "nope": 0}
            waited = await wait_batches(
                client.email.bulk.wait_many, sizes, {}, WaitOptions(None, 5), streams
            )
            late = await wait_batches(
                client.email.bulk.wait_many, {running: 3}, {}, WaitOptions(0, 5), streams
            )
    assert set(waited.batches) == {done, failed}
    assert waited.batches[done].status is BatchStatus.COMPLETED
    assert waited.problems[failed] == Problem(ProblemKind.FAILED)
    assert str(waited.problems[failed]) == "failed"
    error = waited.problems["nope"]
    assert error.kind is ProblemKind.ERROR
    assert isinstance(error.error, BatchNotFoundError)
    assert str(error) == f"error: {error.error}"
    assert done not in waited.problems
    assert not late.batches
    assert late.problems == {running: Problem(ProblemKind.PENDING)}
    lines = err.getvalue().splitlines()
    assert lines[0] == "progress: 0/3 searches (0%), batches 0/3 done"
    assert lines[-1] == "progress: 0/3 searches (0%), batches 0/1 done"


async def test_nothing_to_wait_for() -> None:
    async with EnrowSimulator() as sim, EnrowClient(sim.api_key, base_url=sim.base_url) as client:
        err = io.StringIO()
        waited = await wait_batches(
            client.email.bulk.wait_many, {}, {}, WaitOptions(None, 5), Streams(err, err)
        )
    assert not waited.batches
    assert not waited.problems
    assert err.getvalue() == ""
