"""``client.phone``: bulk and single phone searches against the simulator, in virtual time."""

from __future__ import annotations

import pytest

from enrow_async import (
    BatchStatus,
    EnrowClient,
    PhoneQualification,
    PhoneSearch,
)

pytestmark = pytest.mark.anyio


LINKEDIN = "https://www.linkedin.com/in/dwight-schrute"
PEOPLE = [
    {"linkedin_url": LINKEDIN, "custom": "r0"},
    PhoneSearch(firstname="Jim", lastname="Halpert", company_domain="dundermifflin.com"),
    {"firstname": "Pam", "lastname": "Beesly", "company_name": "Dunder Mifflin"},
]


async def test_bulk_end_to_end(client: EnrowClient) -> None:
    job = await client.phone.bulk.start(PEOPLE, custom="phones")
    batch = await client.phone.bulk.wait(job.id, timeout=10)
    assert batch.status is BatchStatus.COMPLETED
    assert batch.custom == "phones"
    assert [r.index for r in batch.results] == [0, 1, 2]
    assert batch.results[0].params["linkedin_url"] == LINKEDIN
    assert batch.results[1].params["firstname"] == "Jim"
    assert batch.stats.finished == batch.stats.requested == 3
    assert batch.stats.found == sum(r.found for r in batch.results)
    for result in batch.results:
        assert result.qualification in PhoneQualification
        assert (result.number is not None) == result.found
    again = await client.phone.bulk.get(job.id)
    assert again == batch


async def test_single_end_to_end(client: EnrowClient) -> None:
    job = await client.phone.single.start(
        PhoneSearch(firstname="Jim", lastname="Halpert", company_domain="dm.com", custom="lead")
    )
    assert (await client.phone.single.get(job.id)).status is BatchStatus.ONGOING
    done = await client.phone.single.wait(job.id, timeout=10)
    assert done.result is not None
    assert done.result.qualification in PhoneQualification
    assert done.result.custom == "lead"
    assert await client.phone.single.get(job.id) == done


async def test_single_by_linkedin_url(client: EnrowClient) -> None:
    job = await client.phone.single.start({"linkedin_url": LINKEDIN})
    result = (await client.phone.single.wait(job.id, timeout=10)).result
    assert result is not None
    assert result.params["linkedin_url"] == LINKEDIN
