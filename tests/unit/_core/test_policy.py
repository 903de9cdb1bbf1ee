"""The poll schedule's knobs: defaults in order, bad values refused naming the field."""

from __future__ import annotations

import math

import pytest

from enrow_async._core.policy import PollPolicy


def test_default_policy_is_valid_and_ordered() -> None:
    p = PollPolicy()
    assert p.min_interval <= p.initial <= p.max_interval
    assert p.factor > 1.0
    assert 0.0 <= p.jitter < 1.0


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("initial", 0.0),
        ("initial", 4000.0),  # above max_interval
        ("factor", 0.5),
        ("max_interval", 0.1),  # below min_interval
        ("min_interval", 0.0),
        ("min_interval", math.nan),
        ("jitter", -0.1),
        ("jitter", 0.9),
        ("spread", 1.0),
        ("margin", -1.0),
        ("near", math.inf),
        ("approach", 0.0),
        ("approach", 1.5),
        ("horizon", 0.0),
        ("caution", -1.0),
        ("tick", -0.1),
        ("tick", 1.5),
        ("tick", math.nan),
    ],
)
def test_policy_rejects_bad_values_naming_the_field(field: str, value: float) -> None:
    with pytest.raises(ValueError, match=f"PollPolicy.{field} "):
        PollPolicy(**{field: value})
