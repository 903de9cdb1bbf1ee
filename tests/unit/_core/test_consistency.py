"""A completed answer must agree with itself and with the request before it is returned."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from enrow_async import BulkResults, InconsistentAnswerError
from enrow_async._core.http import Response
from enrow_async._core.jobs import EMAIL_BULK

EMAIL = EMAIL_BULK


def completed(
    indexes: list[Any], *, requested: int = 3, finished: Any = None, batch_id: str = "b1"
) -> dict[str, Any]:
    return {
        "general": {"id": batch_id, "status": "completed"},
        "stats": {
            "finished": requested if finished is None else finished,
            "requested": requested,
            "valid": 0,
            "credits_cost": {"initial": requested, "refunded": requested, "final": 0},
        },
        "results": [
            {"index": str(i), "qualification": "invalid", "email": None, "raw_params": {}}
            for i in indexes
        ],
    }


def wire(body: dict[str, Any]) -> bytes:
    return json.dumps(body).encode()  # stdlib: a 30-digit count travels as it is


def read(body: dict[str, Any], job_id: str = "b1") -> BulkResults:
    return EMAIL.read(job_id, Response(200, {}, wire(body)))


@pytest.mark.parametrize(
    ("body", "problem"),
    [
        (completed([]), "0 results for 3 searches"),
        (completed([0, 1]), "2 results for 3 searches"),
        (completed([0, 0, 1]), "given twice: 0"),
        (completed([0, 1, 7]), "outside 0-2: 7"),
        (completed([-1, 0, 1]), "outside 0-2: -1"),
        (completed([0, 1, 2], finished=5), "finished is 5 of 3"),
        (completed([0, 1, 2], finished=-3), "finished is -3 of 3"),
        (completed([0, 1, 2], requested=10**30), "requested is 10000000000000000"),
        (completed([0, 1, 2], batch_id="another"), "general.id is 'another'"),
    ],
)
def test_an_inconsistent_completed_answer_is_named(body: dict[str, Any], problem: str) -> None:
    with pytest.raises(InconsistentAnswerError, match=problem) as info:
        read(body)
    assert info.value.body == wire(body)
    assert problem in info.value.problem


def test_valid_cannot_exceed_requested() -> None:
    body = completed([0, 1, 2])
    body["stats"]["valid"] = 4
    with pytest.raises(InconsistentAnswerError, match="valid is 4 of 3"):
        read(body)


def test_an_ongoing_answer_about_another_batch_is_inconsistent() -> None:
    body = {
        "general": {"id": "other", "status": "ongoing"},
        "stats": {"finished": 1, "requested": 3},
    }
    with pytest.raises(InconsistentAnswerError, match="not the batch asked for"):
        read(body)


@given(st.integers(1, 60), st.randoms())
def test_any_consistent_batch_in_any_order_passes(requested: int, rng: Any) -> None:
    indexes = list(range(requested))
    rng.shuffle(indexes)
    batch = read(completed(indexes, requested=requested))
    assert [r.index for r in batch.results] == list(range(requested))
