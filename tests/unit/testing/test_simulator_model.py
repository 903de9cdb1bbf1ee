"""Pure parts of the simulator: progress curves, result generation, configuration checks."""

from __future__ import annotations

from typing import Any

import pytest
from helpers import BULK
from hypothesis import given
from hypothesis import strategies as st

from enrow_async.testing import (
    CURVES,
    EnrowSimulator,
    Faults,
    ManualClock,
    SimulatorConfig,
)
from enrow_async.testing._jobs import ENDPOINTS, Job
from enrow_async.testing._results import normalise_domain

SEARCH = {"fullname": "Jim Halpert", "company_domain": "dundermifflin.com"}


def bulk_job(requested: int, curve: Any) -> Job:
    items = [SEARCH] * requested
    config = SimulatorConfig()
    return Job("b", ENDPOINTS[BULK], {"searches": items}, items, config, 0.0, 10.0, curve)


@pytest.mark.parametrize("curve", [c for c in CURVES if c != "random"])
@given(requested=st.integers(1, 300), times=st.lists(st.floats(0, 20), min_size=1, max_size=30))
def test_finished_is_monotonic_and_complete_only_at_the_end(
    curve: Any, requested: int, times: list[float]
) -> None:
    job = bulk_job(requested, curve)
    counts = [job.finished(t) for t in sorted(times)]
    assert counts == sorted(counts)
    for t, finished in zip(sorted(times), counts, strict=True):
        assert (finished == requested) == (t >= 10.0)
        assert (job.status(t) == "completed") == (t >= 10.0)


def test_steps_move_in_coarse_jumps() -> None:
    job = bulk_job(100, "steps")
    assert {job.finished(t / 10) for t in range(100)} == {0, 25, 50, 75}


def test_add_batch_refuses_what_the_api_refuses() -> None:
    simulator = EnrowSimulator()
    with pytest.raises(ValueError, match="n°2 of 2"):
        simulator.add_batch([{"fullname": "A B", "company_name": "C"}, {"fullname": "X"}])


@pytest.mark.parametrize(
    ("raw", "domain"),
    [
        ("dundermifflin.com", "dundermifflin.com"),
        ("https://www.dundermifflin.com", "dundermifflin.com"),
        ("http://WWW.DunderMifflin.com/about?x=1#top", "dundermifflin.com"),
        ("www.dundermifflin.com:443/", "dundermifflin.com"),
        ("  sales@dundermifflin.com ", "dundermifflin.com"),
        ("dundermifflin", None),
        ("", None),
    ],
)
def test_domain_normalisation(raw: str, domain: str | None) -> None:
    assert normalise_domain(raw) == domain


@pytest.mark.parametrize(
    "kwargs",
    [
        {"fail_rate": 1.5},
        {"valid_rate": -0.1},
        {"ongoing_status": 201},
        {"not_found_status": 410},
        {"index_as": "float"},
        {"curve": "zigzag"},
        {"duration": (2.0, 1.0)},
        {"duration": -1.0},
        {"insufficient_status": 400},
        {"credits": -5},
    ],
)
def test_config_refuses_what_the_api_never_does(kwargs: dict[str, Any]) -> None:
    with pytest.raises(ValueError, match=next(iter(kwargs))):
        SimulatorConfig(**kwargs)


def test_faults_refuse_more_than_certainty() -> None:
    with pytest.raises(ValueError, match="add up to"):
        Faults(drop=0.6, truncate=0.6)
    assert Faults(methods=["get", "post"]).methods == ("GET", "POST")


def test_inject_refuses_unknown_kinds() -> None:
    simulator = EnrowSimulator()
    with pytest.raises(ValueError, match="unknown fault kind"):
        simulator.inject("explode")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="count"):
        simulator.inject("drop", count=0)


def test_manual_clock_only_moves_forward() -> None:
    clock = ManualClock(5.0)
    clock.advance(1.5)
    assert clock() == 6.5
    with pytest.raises(ValueError, match="forward"):
        clock.advance(-1)


def test_base_url_needs_a_running_simulator() -> None:
    with pytest.raises(RuntimeError, match="not running"):
        _ = EnrowSimulator().base_url


def test_results_are_drawn_the_same_each_time_and_match_the_final_body() -> None:
    config = SimulatorConfig(duration=0.0, valid_rate=0.5, seed=7, clock=ManualClock())
    simulator = EnrowSimulator(config)
    people = [{"fullname": f"Person {i}", "company_domain": f"c{i}.com"} for i in range(40)]
    job = simulator.batch(simulator.add_batch(people))
    assert job.results == job.results
    body = simulator.completed_body(job.id)
    assert body["results"] == job.results
    assert (
        job.found
        == body["stats"]["valid"]
        == sum(r["qualification"] == "valid" for r in job.results)
    )
    assert 0 < job.found < len(people)
