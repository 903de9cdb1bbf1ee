"""Every row of the job table is served, with nothing listed anywhere else: the client's
front for a row is named by it (``"email bulk"``: ``client.email.bulk``), and the simulator
serves the row's path, limit, price and event as the row says."""

from __future__ import annotations

from typing import Any

import pytest

from enrow_async import BatchStatus, BulkJob, EnrowClient, SingleAnswer, SingleJob
from enrow_async._core.jobs import JOBS, JobSpec
from enrow_async.testing import EnrowSimulator
from enrow_async.testing._jobs import ENDPOINTS

pytestmark = pytest.mark.anyio

SAMPLES: dict[str, Any] = {
    "email": {"fullname": "Jim Halpert", "company_domain": "dundermifflin.com"},
    "verify": "jim@dundermifflin.com",
    "phone": {"linkedin_url": "https://www.linkedin.com/in/jim-halpert"},
}
"""One item of each family, as its start takes it."""


@pytest.mark.parametrize("spec", JOBS, ids=lambda spec: spec.name)
async def test_every_row_is_served_by_the_client_and_the_simulator(
    spec: JobSpec[Any], client: EnrowClient, sim: EnrowSimulator
) -> None:
    family, size = spec.name.split()
    jobs: Any = getattr(getattr(client, family), size)
    sample = SAMPLES[family]
    started = await jobs.start([sample, sample] if spec.bulk else sample)
    assert type(started) is (BulkJob if spec.bulk else SingleJob)
    assert started.credits_used == spec.price * (2 if spec.bulk else 1)
    assert sim.stats.created == {spec.path: 1}
    assert sim.batch(started.id).webhook_event()["event"] == spec.event
    done = await jobs.wait(started.id, timeout=60)
    assert done.status is BatchStatus.COMPLETED
    if spec.bulk:
        assert type(done) is spec.model
        assert len(done.results) == 2
    else:
        assert type(done) is SingleAnswer
        assert type(done.result) is spec.model
    assert await jobs.get(started.id) == done
    assert sim.stats.requests["GET", spec.path] >= 2


def test_the_simulator_serves_the_table_and_nothing_else() -> None:
    assert {path: endpoint.spec for path, endpoint in ENDPOINTS.items()} == {
        spec.path: spec for spec in JOBS
    }
