"""Figures as the command line prints them: credits exactly, shares rounded."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from enrow_async.cli.credits import credits_text, percent


@pytest.mark.parametrize(
    ("part", "whole", "shown"),
    [
        (16, 24, 67),
        (1, 8, 13),
        (1, 2, 50),
        (0, 7, 0),
        (7, 7, 100),
        (0, 0, 0),
        (199, 200, 99),
        (1, 1000, 1),
        (2, 3, 67),
        (1, 3, 33),
    ],
)
def test_percent_rounds(part: int, whole: int, shown: int) -> None:
    assert percent(part, whole) == shown


@given(
    st.integers(1, 10**6).flatmap(lambda whole: st.tuples(st.integers(0, whole), st.just(whole)))
)
def test_percent_is_the_nearest_whole_share_within_its_bounds(given: tuple[int, int]) -> None:
    part, whole = given
    shown = percent(part, whole)
    assert (shown == 100) == (part == whole)
    assert (shown == 0) == (part == 0)
    if 0 < shown < 99 and shown > 1:
        assert abs(shown - 100 * part / whole) <= 0.5


def test_credits_text_is_exact() -> None:
    assert credits_text(1234567.0) == "1234567"
    assert credits_text(0.25) == "0.25"
