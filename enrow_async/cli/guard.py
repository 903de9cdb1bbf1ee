"""The cost guard of ``find`` and ``verify``: the plan shown before anything is paid for.

Before its first POST a command prints its ``Plan`` (rows, distinct searches, batches,
the credits those batches reserve up front, the balance the API reports) on stderr, then:

- refuses (exit 2) when the credits exceed ``--max-credits``;
- refuses (exit 1) when the balance cannot cover them;
- with ``--dry-run``, stops there: nothing is sent;
- on a terminal (stdin and stderr both are), above ``--ask-above`` credits, asks before
  spending unless ``--yes`` is given (anything but ``y``/``yes`` sends nothing); a
  ``--sandbox`` run spends no credits and never asks.

A run that is not interactive (a script, a pipe, cron) never asks: it goes ahead when the
credits are within the balance and ``--max-credits``, and refuses otherwise.
"""

from __future__ import annotations

import attrs

from enrow_async import EnrowClient

from .errors import CliError
from .records import credits_text
from .streams import Streams

__all__ = ["ASK_ABOVE", "Guard", "Plan", "check_plan"]

ASK_ABOVE = 100.0
"""Credits above which an interactive run asks before spending (``--ask-above``)."""


@attrs.frozen
class Guard:
    """What the user allowed: ``--max-credits``, ``--dry-run``, ``--yes``, ``--ask-above``."""

    max_credits: float | None = None
    dry_run: bool = False
    yes: bool = False
    ask_above: float = ASK_ABOVE


@attrs.frozen
class Plan:
    """What a run is about to do, in the words of its summary."""

    rows: int
    """Input rows (data lines)."""
    sendable: int
    """Rows that can be sent (with a name and a company, or a valid address)."""
    distinct: int
    """Distinct searches among them: each is sent once."""
    todo: int
    """Distinct searches this run sends (fewer when a journal says some were started)."""
    batches: int
    """Batches this run starts."""
    credits: float
    """Credits those batches reserve when they start (misses are refunded later)."""
    noun: str = "search"

    def lines(self, balance: float | None) -> list[str]:
        dupes = self.sendable - self.distinct
        text = [
            f"plan: {self.rows} row(s), {self.sendable} to send, {self.distinct} distinct"
            f" {self.noun}(es)" + (f" ({dupes} duplicate(s) sent once)" if dupes else "")
        ]
        if self.todo != self.distinct:
            text.append(f"plan: {self.distinct - self.todo} already started (journal)")
        text.append(
            f"plan: {self.batches} batch(es) to start, reserving {credits_text(self.credits)}"
            " credit(s) up front"
            + ("; misses are refunded when a batch ends" if self.noun == "search" else "")
        )
        if balance is not None:
            text.append(f"plan: account balance {credits_text(balance)} credit(s)")
        return text


async def check_plan(plan: Plan, guard: Guard, client: EnrowClient, streams: Streams) -> bool:
    """Show ``plan`` and apply ``guard``; False for a dry run (send nothing), CliError for a
    refusal, True to go ahead."""
    balance = (await client.account.info()).credits if plan.batches else None
    for line in plan.lines(balance):
        streams.say(line)
    cost = credits_text(plan.credits)
    if guard.max_credits is not None and plan.credits > guard.max_credits:
        raise CliError(
            f"this run would reserve {cost} credit(s), above --max-credits"
            f" {credits_text(guard.max_credits)}; nothing was sent",
            2,
        )
    if balance is not None and plan.credits > balance:
        raise CliError(
            f"this run would reserve {cost} credit(s) but the account has"
            f" {credits_text(balance)}; nothing was sent",
        )
    if guard.dry_run:
        streams.say("dry run: nothing was sent")
        return False
    if plan.credits > guard.ask_above and not guard.yes and streams.interactive():
        print(f"reserve {cost} credit(s) now? [y/N] ", end="", file=streams.err, flush=True)
        answer = streams.inp.readline().strip().casefold()
        if answer not in ("y", "yes"):
            raise CliError("not confirmed; nothing was sent", 1)
    return True
