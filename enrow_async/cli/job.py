"""Running a list job from the command line: its plan and guard shown before any POST, its
progress on stderr, each POST protected from Ctrl-C long enough for its answer to be
recorded, and its record kept whatever way the run ends. The job itself (plan, guard,
record, wait, retry) is the library's [ListJob][enrow_async.ListJob]."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import attrs

from enrow_async import FinishedBatch, ListJob, ListReport, SpendingRefusedError, plan_lines

from .errors import CliError
from .guard import Guard, refusal
from .interrupt import Interrupt
from .progress import Tracker, show_progress
from .resume import RunFiles, RunRecord
from .streams import Streams

__all__ = ["ListOptions", "WaitOptions", "run_job"]


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


async def run_job(
    job: ListJob[Any, Any, Any],
    run: RunRecord,
    options: ListOptions,
    *,
    rows: int,
    streams: Streams,
    interrupt: Interrupt,
    on_batch: Callable[[FinishedBatch[Any]], None],
) -> ListReport | None:
    """Show the plan, apply the guard, run; ``None`` for a dry run (nothing sent)."""
    guard, wait = options.guard, options.wait
    estimate = await job.estimate()
    if estimate.started:
        streams.note(
            f"resuming: {len(estimate.started)} batch(es) already started, from {run.path}"
        )
    for line in plan_lines(estimate, rows, resend="--resend-unknown"):
        streams.say(f"plan: {line}")
    try:
        job.check(estimate, max_credits=guard.max_credits)
    except SpendingRefusedError as refused:
        raise refusal(refused, guard) from None
    if guard.dry_run:
        streams.say("dry run: nothing was sent")
        return None
    if not guard.confirmed(estimate, streams):
        raise CliError("not confirmed; nothing was sent", 1)
    interrupt.hint = run.hint
    tracker = Tracker.of(estimate)

    async def shield(start: Callable[[], Awaitable[None]]) -> None:
        await interrupt.shielded(start)

    async with show_progress(
        tracker, stream=streams.err, every=wait.progress_every, label=f"{estimate.noun}es"
    ):
        return await job.run(
            timeout=wait.timeout,
            max_credits=guard.max_credits,
            on_batch=on_batch,
            on_progress=tracker.update,
            on_started=tracker.start,
            retry_failed=options.retry_failed,
            shield=shield,
        )
