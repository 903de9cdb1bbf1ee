"""Running a list job from the command line: its plan and guard shown before any POST, its
progress on stderr, each POST protected from Ctrl-C long enough for its answer to be
recorded, and its record kept whatever way the run ends. The job itself (plan, guard,
record, wait, retry) is the library's [ListJob][enrow_async.ListJob], and so are the words
of its plan ([plan_lines][enrow_async.plan_lines]: rows, distinct searches, batches
already started, the searches really sent and the credits their new batches reserve, the
balance), printed on stderr before the first POST.

The cost guard turns the user's options into the job's:

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

from collections.abc import Callable
from pathlib import Path
from typing import Any

import attrs

from enrow_async import (
    EnrowClient,
    Estimate,
    ListJob,
    ListReport,
    Record,
    SpendingRefusedError,
    credits_text,
    plan_lines,
)
from enrow_async.tables import RowCells, check_new

from .connect import Connect
from .errors import CliError
from .interrupt import Interrupt
from .progress import Tracker, show_progress
from .resume import RunFiles, incomplete, open_record
from .streams import Streams

__all__ = ["ASK_ABOVE", "Guard", "ListOptions", "WaitOptions", "refusal", "run_list"]
ASK_ABOVE = 100.0
"""Credits above which an interactive run asks before spending (``--ask-above``)."""


@attrs.frozen
class Guard:
    """What the user allowed: ``--max-credits``, ``--dry-run``, ``--yes``, ``--ask-above``."""

    max_credits: float | None = None
    dry_run: bool = False
    yes: bool = False
    ask_above: float = ASK_ABOVE

    async def confirmed(self, estimate: Estimate, streams: Streams) -> bool:
        """Whether to go ahead: a person at a terminal is asked above ``ask_above``."""
        if self.yes or not streams.interactive() or estimate.credits <= self.ask_above:
            return True
        cost = credits_text(estimate.credits)
        print(f"reserve {cost} credit(s) now? [y/N] ", end="", file=streams.err, flush=True)
        return (await streams.answer()).strip().casefold() in ("y", "yes")


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


@attrs.frozen
class WaitOptions:
    """How long to wait (``--timeout``) and how often a plain progress line is printed."""

    timeout: float | None
    progress_every: float


@attrs.frozen(kw_only=True)
class ListOptions:
    """What ``find`` and ``verify`` share: files, journal, waiting and the cost guard."""

    input: Path
    output: Path
    wait: WaitOptions
    journal: Path | None = None
    resend_unknown: bool = False
    retry_failed: bool = False
    sandbox: bool = False
    guard: Guard = attrs.Factory(Guard)
    encoding: str | None = None
    force: bool = False
    """``--force``: replace an existing output (else refused, unless the journal resumes)."""
    command = "find"

    @property
    def files(self) -> RunFiles:
        return RunFiles(self.input, self.output, self.sandbox, self.command)


async def run_list(
    options: ListOptions,
    connect: Connect,
    streams: Streams,
    interrupt: Interrupt,
    *,
    job: Callable[[EnrowClient, Record], ListJob[Any, Any, Any]],
    cells: RowCells[Any],
    done: Callable[[ListReport], None],
    unit: str = "row",
) -> int:
    """Open the record, show the plan, apply the guard, run the ``job`` (the client's
    list job on the record) with its progress shown, its results placed on ``cells``, and
    ``done`` writes the table and says how it went; exit 1 for the ``unit`` s without a
    result, saying how to go on. A dry run sends nothing and writes nothing."""
    guard, wait = options.guard, options.wait
    run = await open_record(options.journal, options.files)
    check_new(options.output, force=options.force, resuming=bool(run.record.read()))
    async with connect() as client:
        planned = job(client, run.record)
        estimate = await planned.estimate()
        if estimate.started:
            streams.note(
                f"resuming: {len(estimate.started)} batch(es) already started, from {run.path}"
            )
        for line in plan_lines(estimate, len(cells.rows), resend="--resend-unknown"):
            streams.say(f"plan: {line}")
        try:
            planned.check(estimate, max_credits=guard.max_credits)
        except SpendingRefusedError as refused:
            raise refusal(refused, guard) from None
        if guard.dry_run:
            streams.say("dry run: nothing was sent")
            return 0
        if not await guard.confirmed(estimate, streams):
            raise CliError("not confirmed; nothing was sent", 1)
        interrupt.hint = run.hint
        tracker = Tracker.of(estimate)
        label = f"{estimate.noun}es"
        async with show_progress(
            tracker, stream=streams.err, every=wait.progress_every, label=label
        ):
            report = await planned.run(
                timeout=wait.timeout,
                max_credits=guard.max_credits,
                on_batch=cells.add,
                on_progress=tracker.update,
                on_started=tracker.start,
                retry_failed=options.retry_failed,
                shield=interrupt.shielded,
            )
    cells.finish(report)
    done(report)
    if not report.complete:
        raise CliError(incomplete(report, run, unit))
    return 0
