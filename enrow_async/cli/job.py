"""Running a list job from the command line (``find`` and ``verify``: their options and
``run_list``): its plan ([plan_lines][enrow_async.plan_lines]) and cost guard before any
POST, its progress on stderr, each POST shielded from a signal long enough for its answer
to be recorded, its record kept whatever way the run ends. The job itself (plan, guard,
record, wait, retry) is the library's [ListJob][enrow_async.ListJob].

The cost guard: above ``--max-credits``, refused with exit 2; beyond the balance, exit 1;
``--dry-run`` shows the plan and sends nothing. On a terminal (stdin and stderr both are),
above ``--ask-above`` credits, it asks unless ``--yes`` is given (anything but ``y``/``yes``
sends nothing); a ``--sandbox`` run, and a run off a terminal (a script, a pipe, cron),
never asks.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import attrs

from enrow_async import (
    MAX_BATCH_SIZE,
    EnrowClient,
    Estimate,
    ListJob,
    ListReport,
    Record,
    SpendingRefusedError,
    credits_text,
    plan_lines,
)
from enrow_async.tables import RowCells, check_new, check_writable, same_file

from .connect import Connect
from .errors import CliError
from .interrupt import Interrupt
from .progress import Tracker, show_progress
from .resume import RunFiles, incomplete, open_record
from .streams import Streams

__all__ = ["ASK_ABOVE", "FindOptions", "Guard", "VerifyOptions", "run_list"]
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


def _refusal(error: SpendingRefusedError, guard: Guard) -> CliError:
    """The guard's refusal as the command line says it: over ``--max-credits`` is a usage
    limit (exit 2), anything else (the balance, no confirmation) exit 1."""
    if error.reason == "cap" and guard.max_credits is not None:
        return CliError(
            f"this run would reserve {credits_text(error.credits)} credit(s), above"
            f" --max-credits {credits_text(guard.max_credits)}; nothing was sent",
            2,
        )
    return CliError(str(error), 1)


@attrs.frozen(kw_only=True)
class ListOptions(RunFiles):
    """What ``find`` and ``verify`` share: files, journal, waiting and the cost guard."""

    timeout: float | None
    progress_every: float
    """Seconds between plain progress lines (``--progress-every``)."""
    journal: Path | None = None
    resend_unknown: bool = False
    retry_failed: bool = False
    guard: Guard = attrs.Factory(Guard)
    encoding: str | None = None
    force: bool = False
    """``--force``: replace an existing output (else refused, unless the journal resumes)."""


@attrs.frozen(kw_only=True)
class FindOptions(ListOptions):
    batch_size: int = MAX_BATCH_SIZE
    country_code: str | None = None
    gender: bool = True
    columns: Mapping[str, str] = attrs.Factory(dict)
    """Columns named on the command line, by role (``domain`` -> ``Website URL``)."""
    format: str | None = None
    sheet: str | None = None
    header_row: int | None = None
    include_with_email: bool = False
    """``--include-rows-with-email``: search the rows that already have an email too."""
    as_typed: bool = False
    """``--no-row-checks``: send every row with a name and a company as typed."""


@attrs.frozen(kw_only=True)
class VerifyOptions(ListOptions):
    email_column: str | None = None


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
    """Refuse an output that would replace the input, cannot be written, or exists
    (unless ``--force``, or the record resumes the run that wrote it); open the record, show
    the plan, apply the guard, run the ``job`` (the client's list job on the record) with
    its progress shown, its results placed on ``cells``, and ``done`` writes the table and
    says how it went; exit 1 for the ``unit`` s without a result, saying how to go on. A
    dry run sends nothing and writes nothing."""
    guard = options.guard
    same_file(options.input, options.output)
    check_writable(options.output)
    run = await open_record(options.journal, options)
    check_new(options.output, force=options.force, resuming=bool(run.record.read()))
    async with connect() as client:
        planned = job(client, run.record)
        estimate = await planned.estimate()
        if started := len(estimate.started):
            streams.note(f"resuming: {started} batch(es) already started, from {options.journal}")
        plan = plan_lines(estimate, len(cells.rows), resend="--resend-unknown")
        streams.say(*(f"plan: {line}" for line in plan))
        try:
            planned.check(estimate, max_credits=guard.max_credits)
        except SpendingRefusedError as refused:
            raise _refusal(refused, guard) from None
        if guard.dry_run:
            streams.say("dry run: nothing was sent")
            return 0
        if not await guard.confirmed(estimate, streams):
            raise CliError("not confirmed; nothing was sent", 1)
        interrupt.hint = run.hint
        tracker = Tracker.of(estimate)
        every, label = options.progress_every, f"{estimate.noun}es"
        async with show_progress(tracker, stream=streams.err, every=every, label=label):
            report = await planned.run(
                on_started=tracker.start,
                on_progress=tracker.update,
                on_batch=cells.add,
                timeout=options.timeout,
                max_credits=guard.max_credits,
                retry_failed=options.retry_failed,
                shield=interrupt.shielded,
            )
    cells.finish(report)
    done(report)
    if not report.complete:
        raise CliError(incomplete(report, run, unit))
    return 0
