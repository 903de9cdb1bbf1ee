"""How the MCP server puts figures into words: the library's words for a plan
(``plan_lines``), and what to do after a refusal."""

from __future__ import annotations

from enrow_async import Estimate, SpendingRefusedError, credits_text, plan_lines

__all__ = ["message", "plan_text", "refusal_hint"]


def message(error: Exception) -> str:
    """An error's message alone (a TableError may carry a second argument, an exit
    status, that ``str`` would show)."""
    first = error.args[0] if error.args else ""
    return first if isinstance(first, str) and first else str(error)


def plan_text(estimate: Estimate) -> str:
    """The plan in one sentence: the library's words (``plan_lines``), joined."""
    return "; ".join(plan_lines(estimate))


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
