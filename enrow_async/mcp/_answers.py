"""What the tools answer: a few lines of text for the model and the same figures as
structured content, never the full results (those are in the job's file and resource).

Every answer about spending says the credits: estimated before (``credits``, the
``balance``), reserved, refunded and final after; a refusal says why nothing was sent and
what would let the call through.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from mcp.types import CallToolResult, TextContent

from enrow_async import (
    AccountInfo,
    BatchStatus,
    BulkResults,
    BulkVerification,
    Estimate,
    GapReason,
    ListProgress,
    ListReport,
    SpendingRefusedError,
    credits_line,
    credits_text,
)

from ._inputs import ListInput
from ._words import plan_text

__all__ = [
    "account",
    "batch",
    "estimate",
    "refused",
    "report",
    "running",
    "unstarted",
]


def _answer(
    lines: Sequence[str], data: Mapping[str, Any], *, error: bool = False
) -> CallToolResult:
    text = TextContent(type="text", text="\n".join(line for line in lines if line))
    return CallToolResult(content=[text], structured_content=dict(data), is_error=error)


def _listed(listed: ListInput) -> tuple[str, dict[str, Any]]:
    skipped = listed.skip_counts()
    text = f"{len(listed.rows)} row(s) from {listed.source}: {len(listed.items)} to send"
    if skipped:
        why = ", ".join(f"{reason}: {count}" for reason, count in skipped.items())
        text += f", {len(listed.skipped)} skipped before anything is paid ({why})"
    return text, {"rows": len(listed.rows), "sent": len(listed.items), "skipped": skipped}


def _estimate(value: Estimate) -> dict[str, Any]:
    return {
        "distinct": value.distinct,
        "duplicates": value.duplicates,
        "already_started": value.reused,
        "uncertain": value.uncertain,
        "to_send": value.to_send,
        "batches": value.batches,
        "credits": value.credits,
        "balance": value.balance,
    }


def estimate(
    job: str, listed: ListInput, value: Estimate, *, cap: float, confirm: str
) -> CallToolResult:
    """The plan of a list (nothing sent), the cap, and how a run would be confirmed."""
    text, data = _listed(listed)
    lines = [
        f"job {job}: estimate, nothing was sent.",
        f"{text}.",
        f"plan: {plan_text(value)}.",
        f"this server's cap: {credits_text(cap)} credit(s) per call. {confirm}",
    ]
    fields = {"job_id": job, "status": "estimate", **data, **_estimate(value), "cap": cap}
    return _answer(lines, fields)


def refused(
    job: str, listed: ListInput, value: Estimate, refusal: SpendingRefusedError, hint: str
) -> CallToolResult:
    """A run the guard refused: nothing was sent."""
    text, data = _listed(listed)
    lines = [f"job {job}: refused: {refusal}.", f"{text}.", f"plan: {plan_text(value)}.", hint]
    fields = {
        "job_id": job,
        "status": "refused",
        "reason": refusal.reason,
        "message": str(refusal),
        "hint": hint,
        **data,
        **_estimate(value),
    }
    return _answer(lines, fields, error=True)


def _credits(value: ListReport) -> tuple[str, dict[str, Any]]:
    data = {
        "reserved": value.reserved,
        "refunded": value.refunded,
        "final": value.final,
        "batches": len(value.batches),
        "settled": value.settled,
        "saved_by_duplicates": value.saved,
    }
    return credits_line(value), data


_NEXT = {
    GapReason.PENDING: "still running at the deadline: call get_job with this job_id later to"
    " collect them (no credits)",
    GapReason.UNKNOWN: "their start got no answer (they may exist, and be paid): not sent"
    " again; check the Enrow dashboard",
    GapReason.FAILED: "their batch failed: call the same tool with the same list and"
    " retry_failed=true to send them once more (costs credits)",
    GapReason.ERROR: "their batch came back without them: call the same tool with the same"
    " list and retry_failed=true to send them once more (costs credits)",
    GapReason.UNSENT: "never sent (the run stopped first): call the same tool with the same"
    " list to start them (nothing started is paid again)",
}


def _gaps(value: ListReport) -> tuple[list[str], dict[str, Any]]:
    lines: list[str] = []
    data: dict[str, Any] = {}
    for reason in GapReason:
        gaps = [gap for gap in value.gaps if gap.reason is reason]
        if not gaps:
            continue
        positions = sum(len(gap.positions) for gap in gaps)
        ids = sorted({gap.batch_id for gap in gaps if gap.batch_id})
        data[reason.value] = {"items": positions, "batch_ids": ids, "detail": gaps[0].detail}
        lines.append(f"{positions} item(s) {reason.value}: {_NEXT[reason]}.")
    if value.stopped_by is not None:
        lines.append(f"the run stopped early: {value.stopped_by}")
    return lines, data


def report(
    job: str,
    listed: ListInput,
    value: ListReport,
    *,
    counts: Mapping[str, int],
    sample: Sequence[Mapping[str, Any]],
    file: Path,
    uri: str,
    confirmed_by: str,
) -> CallToolResult:
    """A run's outcome: counts, credits, what has no result and why, a sample, and where
    the full rows are."""
    text, data = _listed(listed)
    credit_text, credit_data = _credits(value)
    gap_lines, gap_data = _gaps(value)
    status = "complete" if value.complete else "incomplete"
    tally = ", ".join(f"{name or 'none'} {count}" for name, count in counts.items())
    lines = [
        f"job {job}: {status}.",
        f"{text}; {value.distinct} distinct, {value.duplicates} duplicate(s) sent once.",
        f"rows by qualification: {tally}.",
        f"{credit_text}.",
        *gap_lines,
        f"full rows: resource {uri} (file {file}).",
        *(f"  {_line(entry)}" for entry in sample),
    ]
    fields = {
        "job_id": job,
        "status": status,
        **data,
        "distinct": value.distinct,
        "duplicates": value.duplicates,
        "found": value.found,
        "qualifications": dict(counts),
        "credits": credit_data,
        "confirmed_by": confirmed_by,
        "batch_ids": [started.id for started in value.batches],
        "gaps": gap_data,
        "sample": list(sample),
        "results": {"uri": uri, "file": str(file)},
    }
    return _answer(lines, fields)


def _line(entry: Mapping[str, Any]) -> str:
    return "; ".join(f"{name} {value}" for name, value in entry.items())


def running(job: str, progress: ListProgress | None) -> CallToolResult:
    """A job another call of this server is running now."""
    where = progress.line() if progress is not None else "starting"
    lines = [
        f"job {job}: running in this server now ({where}); nothing more was sent.",
        "call get_job with this job_id later for its results.",
    ]
    return _answer(lines, {"job_id": job, "status": "running", "progress": where})


def unstarted(job: str, listed: ListInput, value: Estimate, tool: str) -> CallToolResult:
    """A job whose list still has items never started: reading it pays for nothing."""
    text, data = _listed(listed)
    lines = [
        f"job {job}: {value.to_send} item(s) were never started; nothing was sent.",
        f"{text}.",
        f"plan: {plan_text(value)}.",
        f"to start them (costs credits), call {tool} with the same list and job_id={job}.",
    ]
    fields = {"job_id": job, "status": "unstarted", **data, **_estimate(value)}
    return _answer(lines, fields)


def batch(
    value: BulkResults | BulkVerification, sample: Sequence[Mapping[str, Any]], uri: str
) -> CallToolResult:
    """One batch as read once: its status, progress, and a sample of its results."""
    stats = value.stats
    lines = [f"batch {value.id}: {value.status.value}, {stats.finished}/{stats.requested} done."]
    fields: dict[str, Any] = {
        "batch_id": value.id,
        "status": value.status.value,
        "finished": stats.finished,
        "requested": stats.requested,
        "valid": stats.valid,
    }
    if value.status is BatchStatus.COMPLETED:
        lines.append(f"{stats.valid} valid; full results: resource {uri}.")
        lines += [f"  {_line(entry)}" for entry in sample]
        fields.update(sample=list(sample), results={"uri": uri})
    return _answer(lines, fields)


def account(info: AccountInfo) -> CallToolResult:
    hooks = [hook if isinstance(hook, str | dict) else str(hook) for hook in info.webhooks]
    lines = [f"balance: {credits_text(info.credits)} credit(s); {len(hooks)} webhook(s)."]
    return _answer(lines, {"credits": info.credits, "webhooks": hooks})
