"""Checks of the client's options, made at construction so that nothing fails later.

Each refusal is a [ConfigurationError][enrow_async.ConfigurationError] naming the option and the
value (never the API key's value: only what is wrong with it).
"""

from __future__ import annotations

import math

from ..errors import ConfigurationError

__all__ = ["api_key", "count", "seconds"]


def seconds(name: str, value: object) -> float:
    """A finite number of seconds > 0."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ConfigurationError(f"{name} must be a number of seconds, got {value!r}")
    if not math.isfinite(value) or value <= 0:
        raise ConfigurationError(f"{name} must be finite and > 0 seconds, got {value!r}")
    return float(value)


def count(name: str, value: object) -> int:
    """A whole number >= 1."""
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ConfigurationError(f"{name} must be a whole number >= 1, got {value!r}")
    return value


def api_key(value: object) -> str:
    """A non-empty key without whitespace or control characters (a pasted newline, say)."""
    if not isinstance(value, str) or not value:
        raise ConfigurationError("the API key must be a non-empty string")
    for position, char in enumerate(value):
        if char.isspace() or not char.isprintable():
            raise ConfigurationError(
                f"the API key has whitespace or a control character at position {position}"
                f" ({char!r}) of {len(value)}"
            )
    return value
