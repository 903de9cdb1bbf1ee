"""A journaled run (``find``, ``verify``): each batch recorded before and after its POST, and
what to tell the user when the run leaves batches behind (still running, or started with no
clear answer) so that the same command, run again, never pays for one twice.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable, Mapping, Sequence
from pathlib import Path
from typing import TypeVar

import anyio
import attrs

from enrow_async import BulkJob, EnrowError, OutcomeUnknownError

from .errors import CliError
from .interrupt import Interrupt
from .journal import Entry, Journal
from .waiting import Problem, ProblemKind

__all__ = [
    "RunFiles",
    "hints",
    "incomplete",
    "mark_missing",
    "next_steps",
    "open_journal",
    "resume_hint",
    "start_recorded",
]

T = TypeVar("T")
C = TypeVar("C")


@attrs.frozen
class RunFiles:
    """What the hints name: the run's input and output, and whether it used the sandbox."""

    input: Path
    output: Path
    sandbox: bool = False
    command: str = "find"


def open_journal(
    digest: Callable[[Sequence[T]], str],
    path: Path | None,
    items: Sequence[T],
    files: RunFiles,
    interrupt: Interrupt,
    noun: str = "searches",
) -> Journal[T]:
    """The run's journal (``path``, or kept in memory), checked against its distinct
    ``items``, with Ctrl-C's hint set. Refused (exit 2) when it was written for other input,
    or when a ``--sandbox`` run would resume it (its simulator ended with the earlier run)."""
    journal = Journal(digest, path, noun)
    if files.sandbox and (journal.started or journal.unknown):
        raise CliError(
            f"{journal.path}: --sandbox cannot resume (its simulator ended with the earlier"
            " run); use a new journal file",
            2,
        )
    journal.check(items, files.input)
    interrupt.hint = lambda: resume_hint(journal, files)
    return journal


async def start_recorded(
    journal: Journal[T],
    interrupt: Interrupt,
    offset: int,
    part: Sequence[T],
    start: Callable[[], Awaitable[BulkJob]],
) -> None:
    """POST one batch (``start``), journaled before and after: started, refused (a clear
    error answer: nothing was created; raised again) or unknown (no clear answer, or
    Ctrl-C before it: the batch may exist and is never sent again unasked)."""
    await anyio.lowlevel.checkpoint()  # after Ctrl-C, nothing more is posted
    posting = journal.posting(offset, part)
    try:
        job = await interrupt.shielded(start)
    except OutcomeUnknownError as exc:
        journal.unknown_outcome(posting, str(exc))
        return
    except (EnrowError, ValueError, TypeError):
        journal.refused(posting)
        raise
    except BaseException:  # Ctrl-C and no answer within the grace period
        journal.unknown_outcome(posting, "interrupted before the answer")
        raise
    journal.started_batch(posting, job)


def hints(entries: Sequence[Entry]) -> dict[str, float]:
    """What is left of each batch's estimated duration (minutes), for the poll schedule."""
    now = time.time()
    left_by_id = {}
    for entry in entries:
        if entry.batch_id and entry.estimated_duration is not None:
            left = entry.estimated_duration - (now - (entry.at or now)) / 60
            if left > 0:
                left_by_id[entry.batch_id] = left
    return left_by_id


def mark_missing(
    cells: list[C],
    entries: Mapping[str, Entry],
    unknown: Sequence[Entry],
    problems: Mapping[str, Problem],
    cell: Callable[[str], C],
) -> None:
    """Fill the ranges of ``cells`` (one per distinct item) that have no result with
    ``cell(why)``: the problem of their batch (``entries`` by batch id), or ``unknown`` for
    a start in doubt."""
    for batch_id, problem in problems.items():
        entry = entries.get(batch_id)
        if entry is not None:
            cells[entry.offset : entry.end] = [cell(problem.kind.value)] * entry.size
    for entry in unknown:
        cells[entry.offset : entry.end] = [cell("unknown")] * entry.size


def _kept_journal(journal: Journal[T], files: RunFiles) -> Path:
    """Where the journal is, saving it beside the output first when it was kept in memory."""
    if journal.path is not None:
        return journal.path
    base = files.output if str(files.output) != "-" else Path(files.input.name or files.command)
    if str(base) == "-":
        base = Path("enrow-async")
    path = base.with_name(f"{base.name}.journal")
    number = 1
    while path.exists():
        number += 1
        path = base.with_name(f"{base.name}.{number}.journal")
    journal.save(path)
    return path


def next_steps(journal: Journal[T], files: RunFiles, *, resume: bool, resend: bool) -> str:
    """How to go on: the same command with the journal (saved now if it was in memory),
    and with --resend-unknown for the batches whose start is unknown."""
    given = journal.path is not None
    path = _kept_journal(journal, files)
    flags = [] if given else [f"--journal {path}"]

    def again(*more: str) -> str:
        shown = [*flags, *more]
        return "run the same command again" + (f" with {' '.join(shown)}" if shown else "")

    steps = []
    if resume:
        steps.append(f"to resume without paying twice, {again()}")
    if resend:
        resend_flag = again("--resend-unknown")
        steps.append(f"to send the unknown ones again (they may be charged twice), {resend_flag}")
    return "; ".join(steps)


def resume_hint(journal: Journal[T], files: RunFiles) -> str:
    """What Ctrl-C prints: which batches keep running, and how to resume."""
    started = [e.batch_id for e in journal.started if e.batch_id]
    unknown = journal.unknown
    if files.sandbox:
        return (
            "interrupted; the sandbox's batches ended with its simulator (no credits were"
            " spent): run the command again to start over"
        )
    doubt = ""
    if unknown:
        doubt = (
            f"; {journal.span(unknown[0])} may have started a batch (no answer came): recorded"
            " as unknown, see --resend-unknown"
        )
    if not started and not unknown:
        return "interrupted; no batch was started"
    steps = next_steps(journal, files, resume=True, resend=False)
    return (
        f"interrupted; {len(started)} batch(es) were started and keep running (recorded in"
        f" {journal.path}){doubt}; {steps}"
    )


def incomplete(
    problems: Mapping[str, Problem],
    unknown: Sequence[Entry],
    journal: Journal[T],
    files: RunFiles,
) -> str:
    """Why some rows have no result (the run exits 1 with it), and how to go on."""
    parts = []
    kinds = [problem.kind for problem in problems.values()]
    pending = [bid for bid, problem in problems.items() if problem.kind is ProblemKind.PENDING]
    if pending:
        parts.append(f"{len(pending)} batch(es) still running at the deadline")
    if kinds.count(ProblemKind.FAILED):
        parts.append(f"{kinds.count(ProblemKind.FAILED)} batch(es) failed")
    errors = [problem for problem in problems.values() if problem.kind is ProblemKind.ERROR]
    if errors:
        parts.append(f"{len(errors)} batch(es) could not be read ({errors[0]})")
    if unknown:
        parts.append(
            f"{len(unknown)} batch(es) may or may not have started"
            f" ({journal.span(unknown[0])}, written as 'unknown'; check your Enrow dashboard)"
        )
    if files.sandbox:
        then = "; the sandbox's batches ended with its simulator: run the command again" + (
            " with a longer --timeout" if pending else ""
        )
    elif pending or unknown:
        steps = next_steps(journal, files, resume=bool(pending), resend=bool(unknown))
        then = "; " + steps
    else:
        then = ""
    return "some rows have no result: " + "; ".join(parts) + then
