"""Options are checked at construction: each refusal names the option and the value."""

from __future__ import annotations

import math
from typing import Any

import pytest

from enrow_async import ConfigurationError, EmailSearch, EnrowClient
from enrow_async._core.requests import email_bulk_body, to_searches

KEY = "sk_live_SECRET"


@pytest.mark.parametrize(
    "name", ["connect_timeout", "read_timeout", "call_timeout", "webhook_poll_interval"]
)
@pytest.mark.parametrize("value", [0, -1, -0.5, math.nan, math.inf, "10", True])
def test_timeouts_must_be_finite_and_positive(name: str, value: Any) -> None:
    with pytest.raises(ConfigurationError, match=name) as info:
        EnrowClient(KEY, **{name: value})
    assert repr(value) in str(info.value)


@pytest.mark.parametrize(
    "name", ["max_in_flight", "max_connections", "max_response_bytes", "posts_per_second"]
)
@pytest.mark.parametrize("value", [0, -1, 1.5, "3", True])
def test_sizes_and_limits_must_be_whole_and_positive(name: str, value: Any) -> None:
    with pytest.raises(ConfigurationError, match=name) as info:
        EnrowClient(KEY, **{name: value})
    assert repr(value) in str(info.value)


@pytest.mark.parametrize("key", [KEY + "\n", " " + KEY, "sk live", KEY + "\x00", KEY + "\t"])
def test_a_key_with_whitespace_or_control_characters_is_refused_without_showing_it(
    key: str,
) -> None:
    with pytest.raises(ConfigurationError, match="whitespace or a control character") as info:
        EnrowClient(key)
    assert KEY not in str(info.value)


def test_good_options_are_accepted() -> None:
    client = EnrowClient(KEY, connect_timeout=1, read_timeout=0.5, max_in_flight=1)
    assert "redacted" in repr(client)


@pytest.mark.parametrize(
    ("custom", "error", "where"),
    [
        ({"score": math.nan}, ValueError, "custom.score"),
        ({"deep": [1, {"x": math.inf}]}, ValueError, "custom.deep[1].x"),
        ({1: "a"}, TypeError, "not a string"),
        ({"when": object()}, TypeError, "custom.when holds a object"),
    ],
)
def test_custom_must_be_json_clean(custom: Any, error: type[Exception], where: str) -> None:
    with pytest.raises(error, match=where.replace("[", r"\[").replace("]", r"\]")):
        to_searches([EmailSearch("Jim Halpert", "dundermifflin.com", custom=custom)])
    with pytest.raises(error):
        email_bulk_body(to_searches([EmailSearch("A B", "a.com")]), limit=5, custom=custom)
