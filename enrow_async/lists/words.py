"""A list job's figures in words, the same in every front-end (the CLI, the DataFrame
helpers, the MCP server): credits exactly as counted, shares in whole percents, the plan
of an [Estimate][enrow_async.Estimate], and the credits and gaps of a
[ListReport][enrow_async.ListReport]."""

from __future__ import annotations

from decimal import Decimal

from .report import Estimate, GapReason, ListReport

__all__ = ["credits_line", "credits_text", "gap_lines", "percent", "plan_lines", "report_lines"]


def credits_text(amount: float) -> str:
    """Credits exactly as counted, for people: ``1234567``, ``0.25``, never ``1.23457e+06``."""
    return str(int(amount)) if amount == int(amount) else format(Decimal(repr(amount)), "f")


def percent(part: int, whole: int) -> int:
    """``part`` of ``whole`` in percent, rounded half up (16 of 24: 67), never 100 before
    ``part`` is ``whole`` nor 0 once it is more than 0; 0 of 0 is 0."""
    if whole <= 0:
        return 0
    share = (200 * part + whole) // (2 * whole)
    if part < whole:
        share = min(share, 99)
    return max(share, 1) if part > 0 else share


def plan_lines(
    estimate: Estimate, rows: int | None = None, *, resend: str | None = None
) -> list[str]:
    """What a run would do, a line per point: the items among the list's ``rows`` (default:
    as many as items), distinct ones and duplicates; the batches a record shows started,
    waited for and not paid again, and those holding items no longer in the list; the
    starts without an answer, not sent again (``resend`` names how to send them anyway);
    what is sent and the credits it reserves; the balance."""
    noun = estimate.noun
    dupes = estimate.duplicates
    verb = "search" if noun == "search" else "verify"
    text = [
        f"{estimate.rows if rows is None else rows} row(s), {estimate.rows} to {verb}:"
        f" {estimate.distinct} distinct {noun}(es)"
        + (f" ({dupes} duplicate(s) sent once)" if dupes else "")
    ]
    if estimate.started:
        text.append(
            f"{estimate.reused} already started in {len(estimate.started)} batch(es)"
            " (journal): waited for, not paid again"
        )
    changed = [match for match in estimate.started if match.kept < match.size]
    if changed or estimate.unused:
        text.append(
            f"{len(changed) + len(estimate.unused)} started batch(es) hold {noun}(es) no"
            " longer in the list (already paid; their results for those are not written)"
        )
    if estimate.uncertain:
        text.append(
            f"{estimate.uncertain} {noun}(es) whose start had no answer are not sent again"
            + (f" ({resend})" if resend else "")
        )
    text.append(
        f"{estimate.to_send} {noun}(es) to send in {estimate.batches} new batch(es),"
        f" reserving {credits_text(estimate.credits)} credit(s) up front"
        + ("; misses are refunded when a batch ends" if noun == "search" else "")
    )
    if estimate.balance is not None:
        text.append(f"account balance {credits_text(estimate.balance)} credit(s)")
    return text


def credits_line(report: ListReport, *, refunds: bool = True) -> str:
    """Credits reserved when the batches started (``~`` when an answer did not say and
    they were counted), and (``refunds``: searches, whose misses are refunded) given
    back and kept once they ended, or how many batches are not settled yet."""
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


def report_lines(
    report: ListReport, found: int, not_found: int, *, noun: str = "search", rows: int | None = None
) -> list[str]:
    """How a run went, a line per point: the items run (among the list's ``rows``), the
    distinct ones and the batches, how many were ``found`` (valid) and not; the duplicates
    and the credits they saved; the credits (``credits_line``, refunds for searches)."""
    sent, batches = report.rows, len(report.batches)
    if noun == "search":
        share = f" ({percent(found, sent)}%)" if sent else ""
        skipped = (sent if rows is None else rows) - sent
        text = (
            f"searched {sent} row(s) ({report.distinct} distinct searches) in {batches}"
            f" batch(es): {found} email(s) found{share}, {not_found} not found"
            + (f", {skipped} row(s) skipped" if skipped else "")
        )
        copies = "row(s) got the result of an identical search sent once"
    else:
        text = (
            f"verified {sent} {noun}(es) ({report.distinct} distinct) in {batches} batch(es):"
            f" {found} valid, {not_found} invalid"
        )
        copies = f"{noun}(es) checked once"
    lines = [text]
    if report.duplicates:
        saved = credits_text(report.saved)
        lines.append(f"duplicates: {report.duplicates} {copies}: {saved} credit(s) saved")
    return [*lines, credits_line(report, refunds=noun == "search")]


def gap_lines(report: ListReport) -> list[str]:
    """Why items have no result, a phrase per cause: batches still running at the
    deadline, failed, come back without every result (the first problem said), whose
    start had no answer; and what stopped the run early."""

    def batches(reason: GapReason) -> int:
        return len({gap.batch_id or id(gap) for gap in report.gaps if gap.reason is reason})

    errors = [gap.detail for gap in report.gaps if gap.reason is GapReason.ERROR]
    said = {
        "still running at the deadline": batches(GapReason.PENDING),
        "failed": batches(GapReason.FAILED),
        f"came back without every result ({errors[0] if errors else ''})": len(errors),
        "may or may not have started (written as 'unknown'; check your Enrow dashboard)": (
            batches(GapReason.UNKNOWN)
        ),
    }
    parts = [f"{count} batch(es) {what}" for what, count in said.items() if count]
    if report.stopped_by is not None:
        parts.append(f"stopped by {report.stopped_by}")
    return parts
