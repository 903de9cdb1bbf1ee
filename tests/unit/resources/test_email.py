"""``client.email``: single searches, bulk through the resource, and ``find``, in virtual time.

The email-bulk calls kept on the client (``wait_for_batch`` and the rest) are tested in
``tests/unit/test_client.py``; here, the resource under them.
"""

from __future__ import annotations

import anyio
import anyio.lowlevel
import pytest
from helpers import LEADS

from enrow_async import (
    BatchNotFoundError,
    BatchStatus,
    EnrowClient,
    JobProgress,
    Progress,
    Qualification,
)
from enrow_async.testing import EnrowSimulator

pytestmark = pytest.mark.anyio


async def test_single_end_to_end(client: EnrowClient) -> None:
    job = await client.email.single.start(
        {"fullname": "Jim Halpert", "company_domain": "dundermifflin.com", "custom": {"crm": 1}}
    )
    answer = await client.email.single.get(job.id)
    assert answer.status is BatchStatus.ONGOING
    assert answer.result is None
    done = await client.email.single.wait(job.id, timeout=10)
    assert done.status is BatchStatus.COMPLETED
    result = done.result
    assert result is not None
    assert result.qualification in Qualification
    assert result.custom == {"crm": 1}
    if result.found:
        assert result.email
        assert result.info is not None
    assert await client.email.single.get(job.id) == done


async def test_bulk_through_the_resource(client: EnrowClient) -> None:
    job = await client.email.bulk.start(LEADS, custom="q2", country_code="fr")
    batch = await client.email.bulk.wait(job.id, timeout=10, estimated_minutes=1)
    assert batch.status is BatchStatus.COMPLETED
    assert batch.custom == "q2"
    assert [r.index for r in batch.results] == [0, 1, 2]
    assert batch.results[0].custom == "lead_001"
    assert await client.email.bulk.get(job.id) == batch
    assert await client.get_bulk_results(job.id) == batch


async def test_find_returns_input_order_with_combined_progress(client: EnrowClient) -> None:
    people = [{"fullname": f"Person {i}", "company_domain": f"co{i}.com"} for i in range(7)]
    seen: list[JobProgress] = []

    async def record(progress: JobProgress) -> None:
        await anyio.lowlevel.checkpoint()
        seen.append(progress)

    results = await client.email.find(people, batch_size=3, timeout=20, on_progress=record)
    assert [r.index for r in results] == list(range(7))
    assert [r.raw_params["fullname"] for r in results] == [p["fullname"] for p in people]
    assert seen[-1].batches == 3
    assert seen[-1].requested == 7
    assert await client.email.find([]) == []


async def test_a_not_found_error_names_the_id(client: EnrowClient) -> None:
    with pytest.raises(BatchNotFoundError, match=r"\(id 'no-such-batch'\)"):
        await client.get_bulk_results("no-such-batch")
    with pytest.raises(BatchNotFoundError, match=r"\(id 'no-such-job'\)"):
        await client.email.single.get("no-such-job")


async def test_a_callback_may_return_anything(client: EnrowClient, sim: EnrowSimulator) -> None:
    """``on_progress`` is typed to take any return value (tqdm's ``update`` returns bool)."""
    seen: list[int] = []

    def update(progress: Progress) -> bool:
        seen.append(progress.finished)
        return True

    batch_id = sim.add_batch([{"fullname": "Jim Halpert", "company_domain": "dm.com"}])
    await client.wait_for_batch(batch_id, timeout=60, on_progress=update)
    assert seen[-1] == 1
