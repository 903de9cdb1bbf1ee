"""Credits as the command line counts them: exactly, reserved, refunded and kept."""

from __future__ import annotations

from decimal import Decimal

from enrow_async import ListReport

__all__ = ["credits_line", "credits_text"]


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
