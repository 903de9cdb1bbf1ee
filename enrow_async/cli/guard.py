"""The cost guard of ``find`` and ``verify``, as the command line shows it.

The library's [ListJob][enrow_async.ListJob] estimates and guards; this module prints its
[Estimate][enrow_async.Estimate] as the plan (rows, distinct searches, batches already
started, the searches really sent and the credits their new batches reserve, the balance)
on stderr before the first POST, and turns the user's options into the guard's:

- ``--max-credits``: the job's cap (refused with exit 2);
- a balance that cannot cover the credits: refused with exit 1;
- ``--dry-run``: the plan alone, nothing sent;
- on a terminal (stdin and stderr both are), above ``--ask-above`` credits, the job's
  confirmation asks before spending unless ``--yes`` is given (anything but ``y``/``yes``
  sends nothing); a ``--sandbox`` run spends no credits and never asks.

A run that is not interactive (a script, a pipe, cron) never asks: it goes ahead when the
credits are within the balance and ``--max-credits``, and refuses otherwise.
"""

from __future__ import annotations

import attrs

from enrow_async import Estimate, SpendingRefusedError

from .credits import credits_text
from .errors import CliError
from .streams import Streams

__all__ = ["ASK_ABOVE", "Guard", "plan_lines", "refusal"]

ASK_ABOVE = 100.0
"""Credits above which an interactive run asks before spending (``--ask-above``)."""


@attrs.frozen
class Guard:
    """What the user allowed: ``--max-credits``, ``--dry-run``, ``--yes``, ``--ask-above``."""

    max_credits: float | None = None
    dry_run: bool = False
    yes: bool = False
    ask_above: float = ASK_ABOVE

    def confirmed(self, estimate: Estimate, streams: Streams) -> bool:
        """Whether to go ahead: a person at a terminal is asked above ``ask_above``."""
        if self.yes or not streams.interactive() or estimate.credits <= self.ask_above:
            return True
        cost = credits_text(estimate.credits)
        print(f"reserve {cost} credit(s) now? [y/N] ", end="", file=streams.err, flush=True)
        return streams.inp.readline().strip().casefold() in ("y", "yes")


def plan_lines(estimate: Estimate, rows: int) -> list[str]:
    """The plan of a run over a table of ``rows`` data lines, in the words of its summary."""
    noun = estimate.noun
    dupes = estimate.duplicates
    verb = "search" if noun == "search" else "verify"
    text = [
        f"plan: {rows} row(s), {estimate.rows} to {verb}: {estimate.distinct} distinct"
        f" {noun}(es)" + (f" ({dupes} duplicate(s) sent once)" if dupes else "")
    ]
    if estimate.started:
        kept = sum(match.kept for match in estimate.started)
        text.append(
            f"plan: {kept} already started in {len(estimate.started)} batch(es) (journal):"
            " waited for, not paid again"
        )
    changed = [match for match in estimate.started if match.kept < match.size]
    if changed or estimate.unused:
        text.append(
            f"plan: {len(changed) + len(estimate.unused)} started batch(es) hold {noun}(es)"
            " no longer in the list (already paid; their results for those are not written)"
        )
    if estimate.uncertain:
        text.append(
            f"plan: {estimate.uncertain} {noun}(es) whose start had no answer are not sent"
            " again (--resend-unknown)"
        )
    text.append(
        f"plan: {estimate.to_send} {noun}(es) to send in {estimate.batches} new batch(es),"
        f" reserving {credits_text(estimate.credits)} credit(s) up front"
        + ("; misses are refunded when a batch ends" if noun == "search" else "")
    )
    if estimate.balance is not None:
        text.append(f"plan: account balance {credits_text(estimate.balance)} credit(s)")
    return text


def refusal(error: SpendingRefusedError, guard: Guard) -> CliError:
    """The guard's refusal as the command line says it: over ``--max-credits`` is a usage
    limit (exit 2), anything else (the balance, no confirmation) exit 1."""
    if error.reason == "cap" and guard.max_credits is not None:
        return CliError(
            f"this run would reserve {credits_text(error.credits)} credit(s), above"
            f" --max-credits {credits_text(guard.max_credits)}; nothing was sent",
            2,
        )
    return CliError(str(error), 1)
