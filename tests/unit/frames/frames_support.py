"""What the DataFrame helpers' tests share: frames of either backend and their cells."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import narwhals as nw

Make = Callable[[dict[str, Sequence[object]]], Any]
"""``make(columns)``: a frame of the test's backend with these columns, in order."""


def column(frame: Any, name: str) -> list[Any]:
    """A column's cells, nulls (``None``, ``NaN``) as ``None``."""
    series = nw.from_native(frame, eager_only=True).get_column(name)
    nulls = series.is_null().to_list()
    return [None if null else value for value, null in zip(series.to_list(), nulls, strict=True)]
