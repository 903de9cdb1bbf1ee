"""Figures as the command line prints them: credits exactly (reserved, refunded and kept),
shares as whole percents, rounded."""

from __future__ import annotations

from enrow_async import ListReport, credits_text

__all__ = ["credits_line", "credits_text", "percent"]


def percent(part: int, whole: int) -> int:
    """``part`` of ``whole`` in percent, rounded half up (16 of 24: 67), never 100 before
    ``part`` is ``whole`` nor 0 once it is more than 0; 0 of 0 is 0."""
    if whole <= 0:
        return 0
    share = (200 * part + whole) // (2 * whole)
    if part < whole:
        share = min(share, 99)
    return max(share, 1) if part > 0 else share


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
