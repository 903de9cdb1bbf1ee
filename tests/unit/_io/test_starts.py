"""Starting a paid job: resent only when the API certainly did not act (issue 12, rule 2).

Every fault runs in memory on the virtual clock; the simulator counts what it created.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest

from enrow_async import EnrowClient, OutcomeUnknownError
from enrow_async.testing import EnrowSimulator, FaultKind

pytestmark = pytest.mark.anyio

Connect = Callable[..., EnrowClient]
POST = ("POST", "/email/find/bulk")
SEARCHES = [{"fullname": "Jim Halpert", "company_domain": "dundermifflin.com"}]


@pytest.mark.parametrize(
    "kind", ["cut_json", "drop", "drop_after", "truncate", "server_error", "html_502"]
)
async def test_an_answer_after_sending_is_an_unknown_outcome_never_resent(
    sim: EnrowSimulator, connect: Connect, kind: FaultKind
) -> None:
    sim.inject(kind, count=1, method="POST")
    async with connect(sim) as client:
        with pytest.raises(OutcomeUnknownError, match="not sent again") as info:
            await client.start_bulk_search(SEARCHES)
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
            await client.start_bulk_search(SEARCHES)
    assert info.value.status == 201
    assert info.value.body.startswith(b'{"message"')
    assert sim.stats.created["/email/find/bulk"] == 1  # the batch exists: it was paid for


async def test_a_429_is_sent_again_and_starts_one_batch(
    sim: EnrowSimulator, connect: Connect
) -> None:
    sim.inject("rate_limited", count=1, method="POST")
    async with connect(sim) as client:
        job = await client.start_bulk_search(SEARCHES)
    assert sim.stats.requests[POST] == 2
    assert sim.stats.created["/email/find/bulk"] == 1
    assert sim.batch(job.id).requested == 1
