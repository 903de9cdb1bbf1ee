"""The record of a ``find`` or ``verify`` run, and what to tell the user when the run leaves
batches behind (still running, or started with no clear answer), so that the same command,
run again, never pays for one twice.

The record is the library's: a [JournalFile][enrow_async.JournalFile] with ``--journal``,
else a [MemoryRecord][enrow_async.MemoryRecord] that is saved beside the output as soon as
a hint has to name it.
"""

from __future__ import annotations

from pathlib import Path

import attrs

from enrow_async import (
    GapReason,
    JournalFile,
    ListReport,
    MemoryRecord,
    RecordError,
    RecordState,
    gap_lines,
    latest_records,
)

from .errors import CliError

__all__ = ["RunFiles", "RunRecord", "incomplete", "open_record"]


@attrs.frozen
class RunFiles:
    """What the hints name: the run's input and output, and whether it used the sandbox."""

    input: Path
    output: Path
    sandbox: bool = False
    command: str = "find"


class RunRecord:
    """The run's record: ``--journal``'s file, or memory until a hint needs a file."""

    def __init__(self, path: Path | None, files: RunFiles) -> None:
        self.files = files
        self.given: bool = path is not None
        self.record: JournalFile | MemoryRecord = (
            JournalFile(path, kind=files.command) if path is not None else MemoryRecord()
        )

    def kept(self) -> Path:
        """Where the record is, saving it beside the output first when it was in memory."""
        if isinstance(self.record, JournalFile):
            return self.record.path
        files = self.files
        base = files.output if str(files.output) != "-" else Path(files.input.name or "")
        if str(base) in ("-", ""):
            base = Path(f"enrow-async-{files.command}")
        path = base.with_name(f"{base.name}.journal")
        number = 1
        while path.exists():
            number += 1
            path = base.with_name(f"{base.name}.{number}.journal")
        self.record = self.record.save(path, kind=files.command)
        return path

    def next_steps(self, *, resume: bool, resend: bool = False, retry: bool = False) -> str:
        """How to go on: the same command with the journal (saved now if it was in memory),
        with --resend-unknown for the batches whose start is unknown, with --retry-failed
        for the rows whose batch failed."""
        flags = [] if self.given else [f"--journal {self.kept()}"]

        def again(*more: str) -> str:
            shown = [*flags, *more]
            return "run the same command again" + (f" with {' '.join(shown)}" if shown else "")

        steps = [
            (resume, f"to resume without paying twice, {again()}"),
            (
                resend,
                "to send the unknown ones again (they may be charged twice),"
                f" {again('--resend-unknown')}",
            ),
            (retry, f"to send only those again, {again('--retry-failed')}"),
        ]
        return "; ".join(step for wanted, step in steps if wanted)

    def hint(self, ended: str = "interrupted") -> str:
        """What a run that ended early (``ended``: "interrupted", "stopped") prints: which
        batches keep running, and how to resume."""
        if self.files.sandbox:
            return (
                f"{ended}; the sandbox's batches ended with its simulator (no credits were"
                " spent): run the command again to start over"
            )
        states = [entry.state for entry in latest_records(self.record.read()).values()]
        started = states.count(RecordState.STARTED)
        unknown = states.count(RecordState.UNKNOWN) + states.count(RecordState.POSTING)
        if not started and not unknown:
            return f"{ended}; no batch was started"
        steps = self.next_steps(resume=True)
        doubt = ""
        if unknown:
            doubt = (
                f"; {unknown} batch(es) may have started (no answer came): recorded as"
                " unknown, see --resend-unknown"
            )
        return (
            f"{ended}; {started} batch(es) were started and keep running (recorded in"
            f" {self.kept()}){doubt}; {steps}"
        )


async def open_record(path: Path | None, files: RunFiles) -> RunRecord:
    """The run's record, read once to refuse (exit 2) a journal that cannot serve: not a
    journal, another command's, or one a ``--sandbox`` run would resume (its simulator
    ended with the earlier run)."""
    run = RunRecord(path, files)
    try:
        entries = await run.record.load()
    except RecordError as exc:
        raise CliError(str(exc), 2) from None
    if files.sandbox and entries:
        raise CliError(
            f"{path}: --sandbox cannot resume (its simulator ended with the earlier run);"
            " use a new journal file",
            2,
        )
    return run


def incomplete(report: ListReport, run: RunRecord, unit: str = "row") -> str:
    """Why some rows have no result (the run exits 1 with it), and how to go on."""
    reasons = {gap.reason for gap in report.gaps}
    resumable = reasons & {GapReason.PENDING, GapReason.UNSENT}
    if run.files.sandbox:
        then = "; the sandbox's batches ended with its simulator: run the command again" + (
            " with a longer --timeout" if GapReason.PENDING in reasons else ""
        )
    elif resumable or GapReason.UNKNOWN in reasons:
        then = "; " + run.next_steps(resume=bool(resumable), resend=GapReason.UNKNOWN in reasons)
    elif reasons & {GapReason.FAILED, GapReason.ERROR}:
        then = "; " + run.next_steps(resume=False, retry=True)
    else:
        then = ""
    return f"{len(report.missing)} {unit}(s) have no result: " + "; ".join(gap_lines(report)) + then
