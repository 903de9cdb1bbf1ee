"""Auth, credits, the account endpoint, the single endpoints, the verifier and phone bulks;
in memory, progress on a manual clock."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from helpers import DWIGHT, DWIGHT_FOUND

from enrow_async.testing import EnrowSimulator, ManualClock, SimulatorConfig

from .simulator_calls import Call, caller

pytestmark = pytest.mark.anyio

PATHS = [
    "/email/find/bulk",
    "/email/find/single",
    "/email/verify/bulk",
    "/email/verify/single",
    "/phone/bulk",
    "/phone/single",
    "/account/info",
]
PHONE = {"firstname": "Dwight", "lastname": "Schrute", "company_domain": "dundermifflin.com"}


@pytest.fixture
def sim_config(clock: ManualClock) -> SimulatorConfig:
    """Progress that moves only with ``clock``: jobs take 10 s along a straight line."""
    return SimulatorConfig(clock=clock, duration=10.0, curve="linear", seed=3)


@pytest.mark.parametrize("path", PATHS)
@pytest.mark.parametrize("method", ["GET", "POST"])
async def test_every_endpoint_checks_the_key(
    call: Call, sim: EnrowSimulator, path: str, method: str
) -> None:
    missing = await call(method, path, headers={"x-api-key": ""})
    wrong = await call(method, path, headers={"x-api-key": "nope"})
    assert missing == (401, {"message": "No apikey found in the x-api-key headers"})
    assert wrong == (401, {"message": "This apikey is not valid"})
    assert sim.stats.requests[method, path] == 2


async def test_unknown_route_and_method(call: Call) -> None:
    assert await call("GET", "/email/find/everything") == (404, {"message": "Not found"})
    assert await call("POST", "/account/info") == (405, {"message": "Method not allowed"})
    assert await call("DELETE", "/email/find/bulk") == (405, {"message": "Method not allowed"})


async def test_account_info(call: Call) -> None:
    assert await call("GET", "/account/info") == (200, {"credits": 1_000_000, "webhooks": []})


@pytest.mark.parametrize(
    ("path", "payload", "status", "message"),
    [
        ("/email/find/single", DWIGHT, 200, "Search operating"),
        ("/email/verify/single", {"email": "jim@dundermifflin.com"}, 200, "Verification operating"),
        ("/phone/single", PHONE, 201, "Phone search operating"),
        ("/phone/single", {"linkedin_url": "https://www.linkedin.com/in/dschrute"}, 201, None),
    ],
)
async def test_single_jobs_go_ongoing_then_done(
    call: Call, clock: ManualClock, path: str, payload: Any, status: int, message: str | None
) -> None:
    code, started = await call("POST", path, json={**payload, "custom": "row-7"})
    assert code == status
    assert started.keys() == {"id", "credits_used", "message"}
    assert started["message"] == (message or "Phone search operating")
    assert await call("GET", path, params={"id": started["id"]}) == (
        202,
        {"qualification": "ongoing"},
    )
    clock.advance(10)
    code, body = await call("GET", path, params={"id": started["id"]})
    assert code == 200
    assert body["custom"] == "row-7"
    assert body["qualification"] in ("valid", "invalid", "found", "not_found")


async def test_single_email_result_says_company_domain(clock: ManualClock) -> None:
    config = SimulatorConfig(clock=clock, valid_rate=1, duration=0)
    async with EnrowSimulator(config, serve=False) as other:
        call = caller(other)
        _, started = await call("POST", "/email/find/single", json=DWIGHT)
        _, body = await call("GET", "/email/find/single", params={"id": started["id"]})
    assert body == DWIGHT_FOUND


@pytest.mark.parametrize(
    ("path", "missing", "unknown"),
    [
        (
            "/email/find/single",
            "Missing id in the query params",
            "Could not retrieve single search results",
        ),
        (
            "/email/verify/single",
            "The single verif id is missing in the URL query string",
            "Could not retrieve single verification results",
        ),
        (
            "/phone/single",
            "Missing id in the query params",
            "Could not retrieve single phone search results",
        ),
        (
            "/email/verify/bulk",
            "Missing id in the query params",
            "Could not retrieve bulk verification results",
        ),
        (
            "/phone/bulk",
            "Missing id in the query params",
            "Could not retrieve bulk phone search results",
        ),
    ],
)
async def test_missing_and_unknown_ids(call: Call, path: str, missing: str, unknown: str) -> None:
    assert await call("GET", path) == (400, {"message": missing})
    status = 400 if "bulk" in path else 500
    assert await call("GET", path, params={"id": "nope"}) == (status, {"message": unknown})


async def test_an_id_belongs_to_its_endpoint(call: Call, sim: EnrowSimulator) -> None:
    batch_id = sim.add_batch([DWIGHT])
    status, _ = await call("GET", "/phone/bulk", params={"id": batch_id})
    assert status == 400


@pytest.mark.parametrize(
    ("path", "payload", "message"),
    [
        (
            "/email/find/single",
            {"fullname": "Dwight Schrute"},
            "Missing fullname, or company_domain or company_name",
        ),
        ("/email/verify/single", {"email": "not-an-address"}, "invalid email format"),
        ("/email/verify/single", {"custom": "x"}, "invalid email format"),
        ("/phone/single", {"linkedin_url": "https://example.com/dwight"}, "Invalid linkedin_url"),
        (
            "/phone/single",
            {"firstname": "Dwight"},
            "Missing linkedin_url, or firstname, lastname and company",
        ),
        ("/email/verify/bulk", {"custom": "x"}, "Missing verifications payload"),
        (
            "/email/verify/bulk",
            {"verifications": [{"mail": "x"}]},
            "Missing mandatory property on verification n°1 of 1",
        ),
        (
            "/email/verify/bulk",
            {"emails": ["a@b.co"] * 5001},
            "Too many verifications. Limit is currently at 5000 per batch.",
        ),
        (
            "/phone/bulk",
            {"searches": [PHONE] * 3001},
            "Too many searches. Limit is currently at 3000 per batch.",
        ),
        (
            "/phone/bulk",
            {"searches": [PHONE, {"firstname": "Jim"}]},
            "Missing mandatory property on search n°2 of 2",
        ),
        (
            "/email/find/bulk",
            {"searches": [DWIGHT], "settings": "fast"},
            "Invalid settings payload",
        ),
    ],
)
async def test_start_validation_messages(call: Call, path: str, payload: Any, message: str) -> None:
    assert await call("POST", path, json=payload) == (400, {"message": message})


@pytest.mark.parametrize("key", ["verifications", "emails"])
async def test_verify_bulk(call: Call, clock: ManualClock, key: str) -> None:
    emails = ["jim@dundermifflin.com", "pam@dundermifflin.com", "nobody"]
    items = [{"email": e} for e in emails] if key == "verifications" else emails
    status, started = await call("POST", "/email/verify/bulk", json={key: items, "custom": "v"})
    assert status == 201
    assert started["message"] == "Bulk verification operating"
    assert started["credits_used"] == 0.75
    assert "estimated_duration" in started
    _, ongoing = await call("GET", "/email/verify/bulk", params={"id": started["id"]})
    assert ongoing["general"]["status"] == "ongoing"
    assert ongoing["stats"] == {"finished": 0, "requested": 3}
    clock.advance(10)
    status, body = await call("GET", "/email/verify/bulk", params={"id": started["id"]})
    assert status == 200
    assert body["general"] == {"id": started["id"], "status": "completed", "custom": "v"}
    assert [r["email"] for r in body["results"]] == emails
    for result in body["results"]:
        assert uuid.UUID(result["index"]).version == 4
    assert body["results"][2]["qualification"] == "invalid"
    valid = sum(r["qualification"] == "valid" for r in body["results"])
    assert body["stats"] == {"finished": 3, "requested": 3, "valid": valid, "credits_cost": 0.75}


async def test_phone_bulk(clock: ManualClock) -> None:
    config = SimulatorConfig(clock=clock, duration=1.0, valid_rate=0.5)
    searches = [{**PHONE, "firstname": f"Dwight{i}"} for i in range(20)]
    async with EnrowSimulator(config, serve=False) as other:
        call = caller(other)
        payload = {"searches": searches, "settings": {"country_code": "FR"}}
        status, started = await call("POST", "/phone/bulk", json=payload)
        assert (status, started["credits_used"]) == (201, 800)
        clock.advance(1)
        _, body = await call("GET", "/phone/bulk", params={"id": started["id"]})
    results = body["results"]
    assert [r["index"] for r in results] == list(range(20))
    assert [r["params"] for r in results] == searches
    found = [r for r in results if r["qualification"] == "found"]
    assert 0 < len(found) < 20
    assert all(r["number"].startswith("+33") and r["country"] == "FR" for r in found)
    assert all(r["number"] is None for r in results if r["qualification"] == "not_found")
    assert body["stats"] == {
        "finished": 20,
        "requested": 20,
        "found": len(found),
        "credits_cost": 40 * len(found),
        "credits_to_refund": 40 * (20 - len(found)),
    }


async def test_credits_are_charged_up_front_and_refunded_at_the_end(clock: ManualClock) -> None:
    config = SimulatorConfig(clock=clock, credits=10, duration=5.0, valid_rate=0.5)
    people = [{"fullname": f"Person {i}", "company_domain": "acme.com"} for i in range(8)]
    async with EnrowSimulator(config, serve=False) as other:
        call = caller(other)
        _, started = await call("POST", "/email/find/bulk", json={"searches": people})
        assert await call("GET", "/account/info") == (200, {"credits": 2, "webhooks": []})
        refused = await call("POST", "/email/find/bulk", json={"searches": people})
        assert refused == (402, {"message": "Insufficient credits"})
        single = await call("POST", "/phone/single", json=PHONE)
        assert single == (402, {"reason": "Insufficient credits", "success": False})
        assert other.stats.batches_created == 1
        clock.advance(5)
        cost = other.completed_body(started["id"])["stats"]["credits_cost"]
        _, account = await call("GET", "/account/info")
    assert account["credits"] == 10 - cost["final"]


async def test_insufficient_balance_as_422_when_configured() -> None:
    config = SimulatorConfig(credits=0, insufficient_status=422)
    async with EnrowSimulator(config, serve=False) as other:
        status, body = await caller(other)(
            "POST", "/email/verify/single", json={"email": "jim@dundermifflin.com"}
        )
    assert (status, body) == (422, {"message": "Insufficient balance"})
