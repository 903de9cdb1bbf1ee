"""How the MCP server puts figures into words: credits exactly as counted, a plan, a run's
progress, and what to do after a refusal."""

from __future__ import annotations

from enrow_async import Estimate, JobProgress, SpendingRefusedError, credits_text

__all__ = ["message", "plan_text", "progress_text", "refusal_hint"]


def message(error: Exception) -> str:
    """An error's message alone (a TableError may carry a second argument, an exit
    status, that ``str`` would show)."""
    first = error.args[0] if error.args else ""
    return first if isinstance(first, str) and first else str(error)


def plan_text(estimate: Estimate) -> str:
    """One sentence: what a run would send, reuse and reserve, and the balance."""
    noun = estimate.noun
    parts = [f"{estimate.rows} {noun}(es) to run, {estimate.distinct} distinct"]
    if estimate.duplicates:
        parts.append(f"{estimate.duplicates} duplicate(s) sent once")
    if estimate.reused:
        parts.append(f"{estimate.reused} already started earlier (waited for, not paid again)")
    if estimate.uncertain:
        parts.append(f"{estimate.uncertain} whose start had no answer (not sent again)")
    reserve = (
        f"{estimate.batches} batch(es) to start reserving {credits_text(estimate.credits)}"
        " credit(s)"
    )
    if noun == "search" and estimate.to_send:
        reserve += " (misses are refunded when a batch ends)"
    parts.append(reserve)
    if estimate.balance is not None:
        parts.append(f"balance {credits_text(estimate.balance)} credit(s)")
    return ", ".join(parts)


def progress_text(progress: JobProgress, noun: str) -> str:
    text = (
        f"{progress.finished}/{progress.requested} {noun}(es) done,"
        f" {progress.batches_done}/{progress.batches} batch(es)"
    )
    if progress.eta is not None and progress.finished < progress.requested:
        text += f", about {max(0, round(progress.eta))} s left"
    return text


def refusal_hint(
    refused: SpendingRefusedError, server_cap: float, limit: float | None, *, asked: bool
) -> str:
    """What would let a refused call through (``asked``: the user was asked, and said no)."""
    cost = credits_text(refused.credits)
    cap = credits_text(server_cap)
    if refused.reason == "balance":
        return "the account cannot cover it: top up the balance, or send fewer rows"
    if refused.reason == "cap" and limit is not None and limit < server_cap:
        return f"raise this call's max_credits to {cost} (this server's cap is {cap})"
    if refused.reason == "cap":
        return (
            f"this server's cap is {cap} credit(s) per call, set when it was started"
            " (enrow-async mcp --max-credits); no argument can raise it: split the list"
            " into smaller calls, or ask the user to raise the cap"
        )
    if asked:
        return "the user said no: do not try again unless they ask for it"
    return (
        f"to go ahead, call again with max_credits={cost} (or more, up to this server's"
        f" cap of {cap}) once the user agrees to spend it"
    )
