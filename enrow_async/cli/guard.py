"""The cost guard of ``find`` and ``verify``, as the command line shows it.

The library's [ListJob][enrow_async.ListJob] estimates and guards, and says its
[Estimate][enrow_async.Estimate] as the plan (``plan_lines``: rows, distinct searches,
batches already started, the searches really sent and the credits their new batches
reserve, the balance), printed on stderr before the first POST; this module turns the
user's options into the guard's:

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

from enrow_async import Estimate, SpendingRefusedError, credits_text

from .errors import CliError
from .streams import Streams

__all__ = ["ASK_ABOVE", "Guard", "refusal"]

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
