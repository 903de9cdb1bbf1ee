"""Starting a paid job: resent only when the API certainly did not act (issue 12, rule 2).

Every fault runs in memory on the virtual clock; the simulator counts what it created.
"""

from __future__ import annotations

from typing import Any

import pytest
from helpers import JIM, Connect, Simulate, front, items

from enrow_async import OutcomeUnknownError
from enrow_async._core.jobs import JOBS, JobSpec
from enrow_async.testing import (
    EnrowSimulator,
    FaultKind,
    Faults,
    MemoryTransport,
    SimulatorConfig,
)

pytestmark = pytest.mark.anyio

POST = ("POST", "/email/find/bulk")


@pytest.mark.parametrize(
    "kind", ["cut_json", "drop", "drop_after", "truncate", "server_error", "html_502"]
)
async def test_an_answer_after_sending_is_an_unknown_outcome_never_resent(
    sim: EnrowSimulator, connect: Connect, kind: FaultKind
) -> None:
    sim.inject(kind, count=1, method="POST")
    async with connect(sim) as client:
        with pytest.raises(OutcomeUnknownError, match="not sent again") as info:
            await client.start_bulk_search(JIM)
    assert sim.stats.requests[POST] == 1  # never resent
    error = info.value
    assert error.request_sent
    if kind in ("cut_json", "server_error", "html_502"):  # an answer came: it is kept
        assert error.status is not None
        assert error.body


async def test_a_2xx_without_a_readable_id_keeps_status_and_body(
    sim: EnrowSimulator, connect: Connect
) -> None:
    sim.inject("cut_json", count=1, method="POST")
    async with connect(sim) as client:
        with pytest.raises(OutcomeUnknownError) as info:
            await client.start_bulk_search(JIM)
    assert info.value.status == 201
    assert info.value.body.startswith(b'{"message"')
    assert sim.stats.created["/email/find/bulk"] == 1  # the batch exists: it was paid for


async def test_a_429_is_sent_again_and_starts_one_batch(
    sim: EnrowSimulator, connect: Connect
) -> None:
    sim.inject("rate_limited", count=2, method="POST")
    async with connect(sim) as client:
        job = await client.start_bulk_search(JIM)
    assert sim.stats.requests[POST] == 3
    assert sim.stats.created["/email/find/bulk"] == 1
    assert sim.batch(job.id).requested == 1


@pytest.mark.parametrize("status", range(300, 309))
@pytest.mark.parametrize("spec", JOBS, ids=lambda spec: spec.name)
async def test_a_start_answered_with_a_redirect_is_an_unknown_outcome_never_resent(
    simulate: Simulate, connect: Connect, status: int, spec: JobSpec[Any]
) -> None:
    """The POST-then-redirect pattern (303 See Other) after creating the job, or any other
    3xx: the job may exist, so the start is not a refusal and is never sent again."""
    config = SimulatorConfig(seed=1, faults=Faults(redirect_status=status))
    async with simulate(config) as sim, connect(sim) as client:
        sim.inject("redirect", method="POST", path=spec.path)
        with pytest.raises(OutcomeUnknownError, match="not sent again") as info:
            await front(client, spec).start(items(spec))
    assert info.value.status == status
    assert f"HTTP {status} (redirect to " in str(info.value)
    assert sim.stats.requests["POST", spec.path] == 1  # never resent
    assert sim.stats.created[spec.path] == 1  # rightly in doubt: it exists


async def test_a_start_answered_over_the_size_cap_is_an_unknown_outcome_never_resent(
    connect: Connect,
) -> None:
    """The answer is refused unread (a body that decodes past ``max_response_bytes``), but
    the server acted: the batch exists, and a second POST would pay for it again."""
    config = SimulatorConfig(faults=Faults(bomb_bytes=4 * 2**20), duration=0.0)
    async with EnrowSimulator(config, serve=False) as sim:
        sim.inject("bomb", count=1, method="POST")
        transport = MemoryTransport(sim, max_body=256 * 1024)
        async with connect(sim, transport=transport) as client:
            with pytest.raises(OutcomeUnknownError, match="exceeds the 262144-byte cap"):
                await client.start_bulk_search(JIM)
        assert sim.stats.requests[POST] == 1
        assert sim.stats.created["/email/find/bulk"] == 1
