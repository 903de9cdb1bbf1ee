"""The cells the commands write: what ``find`` appends to a row, one row per result."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from decimal import Decimal
from typing import Any

import orjson

from enrow_async import EmailResult, ListReport

__all__ = [
    "FOUND_COLUMNS",
    "RESULT_COLUMNS",
    "added_columns",
    "credits_line",
    "credits_text",
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


def credits_text(amount: float) -> str:
    """Credits exactly as counted: ``1234567``, ``0.25``, never ``1.23457e+06``."""
    if amount == int(amount):
        return str(int(amount))
    return format(Decimal(repr(amount)), "f")


def credits_line(report: ListReport, *, refunds: bool) -> str:
    """Credits reserved when the batches started, and (``refunds``) given back and kept
    once they ended."""
    estimated = any(batch.credits_used is None for batch in report.batches)
    text = f"credits: {'~' if estimated else ''}{credits_text(report.reserved)} reserved"
    left = len(report.batches) - report.settled
    if not left:
        refunded = f", {credits_text(report.refunded)} refunded" if refunds else ""
        return f"{text}{refunded}, {credits_text(report.final)} final"
    so_far = (
        f", {credits_text(report.refunded)} refunded so far" if refunds and report.settled else ""
    )
    when = " (refunds come when they end)" if refunds else ""
    return f"{text}{so_far}; {left} batch(es) not settled yet{when}"


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
