"""The cells a result becomes in a table: what a list job appends to each input row
(``FOUND_COLUMNS``), and one row per result (``RESULT_COLUMNS``), for every front-end that
writes tables (the CLI, the DataFrame helpers)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import orjson

from ..models import EmailResult

__all__ = [
    "FOUND_COLUMNS",
    "RESULT_COLUMNS",
    "added_columns",
    "found_cells",
    "record_cells",
    "result_record",
]

FOUND_COLUMNS = ("email", "qualification", "firstname", "lastname", "gender", "company")
"""What ``find`` appends to every input row."""

RESULT_COLUMNS = (
    "batch_id",
    "index",
    "fullname",
    "company_domain",
    "company_name",
    "custom",
    *FOUND_COLUMNS,
)
"""One row per result for ``wait`` and ``results``: the search as sent, then what was found."""


def added_columns(header: Sequence[str], names: Iterable[str]) -> list[str]:
    """``names``, prefixed ``enrow_`` where the input already has a column of that name."""
    taken = {name.strip().casefold() for name in header}
    return [f"enrow_{name}" if name.casefold() in taken else name for name in names]


def _company(result: EmailResult) -> str:
    info = result.info
    if info is None or info.company_info is None:
        return ""
    return info.company_info.name or ""


def found_cells(result: EmailResult | None, qualification: str | None = None) -> list[str]:
    """The FOUND_COLUMNS cells of one input row; ``qualification`` overrides (skipped, ...)."""
    if result is None:
        return ["", qualification or "", "", "", "", ""]
    info = result.info
    return [
        result.email or "",
        qualification or str(result.qualification),
        (info.firstname or "") if info else "",
        (info.lastname or "") if info else "",
        (info.gender or "") if info else "",
        _company(result),
    ]


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    return orjson.dumps(value).decode()


def result_record(batch_id: str, result: EmailResult) -> dict[str, Any]:
    """One result as a flat record with the RESULT_COLUMNS keys (``custom`` kept as sent)."""
    params = result.raw_params
    record: dict[str, Any] = {
        "batch_id": batch_id,
        "index": result.index,
        "fullname": params.get("fullname"),
        "company_domain": params.get("company_domain"),
        "company_name": params.get("company_name"),
        "custom": result.custom,
    }
    found = found_cells(result)
    record.update({name: cell or None for name, cell in zip(FOUND_COLUMNS, found, strict=True)})
    return record


def record_cells(record: Mapping[str, Any]) -> list[str]:
    return [_text(record[name]) for name in RESULT_COLUMNS]
