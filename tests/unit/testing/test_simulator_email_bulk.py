"""The simulated bulk email finder: POST validation, progress over time, completed bodies;
in memory, progress on a manual clock."""

from __future__ import annotations

from typing import Any

import orjson
import pytest
from helpers import BULK

from enrow_async._core.http import Action, Request
from enrow_async.testing import EnrowSimulator, ManualClock, MemoryTransport, SimulatorConfig

from .simulator_calls import Call, caller

pytestmark = pytest.mark.anyio

SEED_SEARCHES = [
    {"company_domain": "dundermifflin.com", "fullname": "Dwight Schrute", "custom": "lead_001"},
    {"company_domain": "dundermifflin.com", "fullname": "Jim Halpert", "custom": "lead_002"},
    {"company_domain": "dundermifflin.com", "fullname": "Ryan Howard", "custom": "lead_003"},
]


def people(n: int) -> list[dict[str, Any]]:
    return [{"fullname": f"Person Number{i}", "company_domain": f"co{i}.com"} for i in range(n)]


@pytest.fixture
def sim_config(clock: ManualClock) -> SimulatorConfig:
    """Progress that moves only with ``clock``: jobs take 10 s along a straight line."""
    return SimulatorConfig(clock=clock, duration=10.0, curve="linear", seed=3)


async def test_start_answers_201_with_id_credits_and_estimate(call: Call) -> None:
    status, body = await call("POST", BULK, json={"searches": people(3)})
    assert status == 201
    assert body.keys() == {"message", "id", "credits_used", "estimated_duration"}
    assert body["message"] == "Bulk search operating"
    assert body["credits_used"] == 3
    assert isinstance(body["estimated_duration"], int)


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "Missing payload"),
        (b"null", "Missing payload"),
        (b"{}", "Missing payload"),
        (b"{nope", "Invalid JSON input"),
        (b"[1, 2]", "Invalid JSON input"),
        (b'{"searches": []}', "Missing searches payload"),
        (b'{"custom": "x"}', "Missing searches payload"),
        (
            orjson.dumps({"searches": people(5001)}),
            "Too many searches. Limit is currently at 5000 per batch.",
        ),
        (
            orjson.dumps({"searches": [*people(7), {"fullname": "No Company"}, *people(42)]}),
            "Missing mandatory property on search n°8 of 50",
        ),
        (
            orjson.dumps({"searches": [{"company_name": "Acme"}]}),
            "Missing mandatory property on search n°1 of 1",
        ),
    ],
)
async def test_start_validation_messages(
    call: Call, sim: EnrowSimulator, data: bytes, message: str
) -> None:
    status, body = await call("POST", BULK, data=data, headers={"content-type": "application/json"})
    assert (status, body) == (400, {"message": message})
    assert sim.stats.batches_created == 0


async def test_missing_and_unknown_ids(call: Call) -> None:
    assert await call("GET", BULK) == (400, {"message": "Missing id in the query params"})
    assert await call("GET", BULK, params={"id": "nope"}) == (
        400,
        {"message": "Could not retrieve bulk search results"},
    )


async def test_unknown_id_as_404_when_configured() -> None:
    async with EnrowSimulator(SimulatorConfig(not_found_status=404), serve=False) as other:
        status, body = await caller(other)("GET", BULK, params={"id": "nope"})
    assert (status, body) == (404, {"message": "Bulk search not found"})


async def test_progress_follows_the_clock(call: Call, clock: ManualClock) -> None:
    _, started = await call("POST", BULK, json={"searches": people(100)})
    seen = []
    for now in (0.0, 2.5, 5.0, 9.99):
        clock.now = now
        status, body = await call("GET", BULK, params={"id": started["id"]})
        assert status == 200
        assert body == {
            "general": {"id": started["id"], "status": "ongoing"},
            "stats": {"finished": body["stats"]["finished"], "requested": 100},
        }
        seen.append(body["stats"]["finished"])
    assert seen == [0, 25, 50, 99]
    clock.now = 10.0
    _, body = await call("GET", BULK, params={"id": started["id"]})
    assert body["general"]["status"] == "completed"
    assert body["stats"]["finished"] == 100


async def test_ongoing_status_202_when_configured(clock: ManualClock) -> None:
    config = SimulatorConfig(clock=clock, ongoing_status=202, duration=5.0)
    async with EnrowSimulator(config, serve=False) as other:
        call = caller(other)
        batch_id = other.add_batch(people(2))
        status, body = await call("GET", BULK, params={"id": batch_id})
        assert (status, body["general"]["status"]) == (202, "ongoing")
        clock.advance(5.0)
        status, body = await call("GET", BULK, params={"id": batch_id})
        assert (status, body["general"]["status"]) == (200, "completed")


async def test_completed_body_has_the_seed_shape(
    call: Call, clock: ManualClock, seed_json: Any
) -> None:
    _, started = await call("POST", BULK, json={"searches": SEED_SEARCHES, "custom": "campaign_q2"})
    clock.advance(10)
    status, body = await call("GET", BULK, params={"id": started["id"]})
    assert status == 200
    assert body.keys() == seed_json.keys()
    assert body["general"] == {"id": started["id"], "status": "completed", "custom": "campaign_q2"}
    assert body["stats"].keys() == seed_json["stats"].keys()
    assert body["stats"]["credits_cost"].keys() == seed_json["stats"]["credits_cost"].keys()
    seed_valid, seed_invalid = seed_json["results"][0], seed_json["results"][2]
    for i, (result, search) in enumerate(zip(body["results"], SEED_SEARCHES, strict=True)):
        assert result["index"] == str(i)
        assert result["raw_params"] == {k: v for k, v in search.items() if k != "custom"}
        assert result["custom"] == search["custom"]
        if result["qualification"] == "valid":
            assert result.keys() == seed_valid.keys()
            assert result["info"].keys() == {*seed_valid["info"].keys(), "fullname"}
        else:
            assert result == {**seed_invalid, "raw_params": result["raw_params"], "index": str(i)}


async def test_results_are_realistic(clock: ManualClock) -> None:
    config = SimulatorConfig(clock=clock, duration=0.0, valid_rate=1.0)
    searches = [
        {"fullname": "dwight SCHRUTE", "company_domain": "https://www.DunderMifflin.com/about"},
        {"fullname": "Jean-luc Picard", "company_name": "Star Fleet"},
        {"fullname": "Amélie Poulain", "company_name": "Les Deux Moulins"},
    ]
    async with EnrowSimulator(config, serve=False) as other:
        batch_id = other.add_batch(
            searches, settings={"retrieve_gender": True, "country_code": "fr"}
        )
        results = other.completed_body(batch_id)["results"]
    dwight, picard, amelie = results
    assert dwight["email"] == "dwight.schrute@dundermifflin.com"
    assert dwight["info"]["domain"] == "dundermifflin.com"
    assert (dwight["info"]["firstname"], dwight["info"]["lastname"]) == ("Dwight", "Schrute")
    assert dwight["info"]["fullname"] == "Dwight Schrute"
    assert dwight["info"]["companyInfo"] == {"name": "Dundermifflin"}
    assert dwight["info"]["gender"] in ("male", "female")
    assert picard["email"] == "jean-luc.picard@starfleet.fr"
    assert picard["info"]["firstname"] == "Jean-Luc"
    assert picard["info"]["companyInfo"] == {"name": "Star Fleet"}
    assert amelie["email"] == "amelie.poulain@lesdeuxmoulins.fr"
    assert amelie["info"]["firstname"] == "Amélie"


async def test_gender_only_when_asked_and_custom_only_when_sent(sim: EnrowSimulator) -> None:
    batch_id = sim.add_batch(people(40), duration=0.0)
    body = sim.completed_body(batch_id)
    assert "custom" not in body["general"]
    valid = [r for r in body["results"] if r["qualification"] == "valid"]
    invalid = [r for r in body["results"] if r["qualification"] == "invalid"]
    assert valid
    assert invalid
    assert all("gender" not in r["info"] and "custom" not in r for r in valid)
    assert all(r["email"] is None and "info" not in r for r in invalid)


async def test_credits_and_valid_count_add_up(sim: EnrowSimulator) -> None:
    stats = sim.completed_body(sim.add_batch(people(1000), duration=0.0))["stats"]
    assert 640 <= stats["valid"] <= 760  # valid_rate 0.7
    cost = stats["credits_cost"]
    assert cost == {"initial": 1000, "refunded": 1000 - stats["valid"], "final": stats["valid"]}


async def test_index_as_int(clock: ManualClock) -> None:
    async with EnrowSimulator(SimulatorConfig(clock=clock, index_as="int"), serve=False) as other:
        results = other.completed_body(other.add_batch(people(3), duration=0.0))["results"]
    assert [r["index"] for r in results] == [0, 1, 2]


async def test_same_seed_same_batches(clock: ManualClock) -> None:
    bodies = []
    for seed in (5, 5, 6):
        async with EnrowSimulator(SimulatorConfig(clock=clock, seed=seed), serve=False) as other:
            batch_id = other.add_batch(people(50), duration=0.0)
            bodies.append(other.completed_body(batch_id))
    assert bodies[0] == bodies[1]
    assert bodies[0]["general"]["id"] != bodies[2]["general"]["id"]
    # Whether a search finds someone depends on the search and the seed, not the batch.
    assert [r["qualification"] for r in bodies[0]["results"]] != [
        r["qualification"] for r in bodies[2]["results"]
    ]


async def test_failed_batch(call: Call, sim: EnrowSimulator, clock: ManualClock) -> None:
    batch_id = sim.add_batch(people(10), duration=2.0, fail=True)
    clock.advance(1.0)
    _, body = await call("GET", BULK, params={"id": batch_id})
    assert body["general"]["status"] == "ongoing"
    clock.advance(1.0)
    status, body = await call("GET", BULK, params={"id": batch_id})
    assert status == 200
    assert body == {
        "general": {"id": batch_id, "status": "failed"},
        "stats": {"finished": 9, "requested": 10},
    }
    assert sim.completed_body(batch_id) == body


async def test_fail_rate_draws_failed_batches(clock: ManualClock) -> None:
    config = SimulatorConfig(clock=clock, fail_rate=0.5, duration=0.0, post_rate_limit=None)
    async with EnrowSimulator(config, serve=False) as other:
        call = caller(other)
        statuses = []
        for _ in range(40):
            _, started = await call("POST", BULK, json={"searches": people(1)})
            statuses.append(other.completed_body(started["id"])["general"]["status"])
    assert 8 <= statuses.count("failed") <= 32


async def test_completed_body_is_built_once_and_served_as_is(sim: EnrowSimulator) -> None:
    batch_id = sim.add_batch(people(5000), duration=0.0, custom={"campaign": "q2"})
    transport = MemoryTransport(sim)
    headers = {"x-api-key": sim.api_key}
    request = Request("GET", sim.base_url, BULK, headers, Action.READ, params={"id": batch_id})
    bodies = [(await transport.send(request)).body for _ in range(2)]
    assert bodies[0] == bodies[1] == sim.batch(batch_id).final_bytes()
    assert orjson.loads(bodies[0]) == sim.completed_body(batch_id)
    assert len(sim.batch(batch_id).results) == 5000
