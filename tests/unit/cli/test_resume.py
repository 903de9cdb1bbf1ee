"""What a recorded run says when it leaves batches behind: the hints name the journal, the
batches in doubt, and a command that works."""

from __future__ import annotations

from pathlib import Path

import pytest

from enrow_async import BatchRecord, RecordState
from enrow_async.cli.errors import CliError
from enrow_async.cli.resume import RunFiles, RunRecord, open_record

pytestmark = pytest.mark.anyio


def _entry(state: RecordState, number: int) -> BatchRecord:
    return BatchRecord(state, number, f"k{number}", ("a", "b"), batch_id=f"b{number}")


async def test_the_ctrl_c_hint_names_the_journal_and_the_batches_in_doubt(
    tmp_path: Path,
) -> None:
    path = tmp_path / "v.journal"
    files = RunFiles(tmp_path / "in.txt", tmp_path / "out.csv", command="verify")
    run = await open_record(path, files)
    for entry in (_entry(RecordState.POSTING, 0), _entry(RecordState.STARTED, 0)):
        await run.record.write(entry)
    await run.record.write(_entry(RecordState.UNKNOWN, 1))
    assert run.hint() == (
        f"interrupted; 1 batch(es) were started and keep running (recorded in {path});"
        " 1 batch(es) may have started (no answer came): recorded as unknown, see"
        " --resend-unknown; to resume without paying twice, run the same command again"
    )
    sandbox = RunRecord(None, RunFiles(tmp_path / "in.txt", tmp_path / "o.csv", sandbox=True))
    assert sandbox.hint().startswith("interrupted; the sandbox")
    assert RunRecord(None, files).hint() == "interrupted; no batch was started"


async def test_a_refused_start_is_not_counted_among_the_batches_in_doubt(tmp_path: Path) -> None:
    """A refusal proves nothing was created: only a start without a clear answer (unknown,
    or posting with no later word) may have started."""
    path = tmp_path / "f.journal"
    run = await open_record(path, RunFiles(tmp_path / "in.csv", tmp_path / "out.csv"))
    for entry in (
        _entry(RecordState.STARTED, 0),
        _entry(RecordState.REFUSED, 1),
        _entry(RecordState.POSTING, 2),
    ):
        await run.record.write(entry)
    assert run.hint() == (
        f"interrupted; 1 batch(es) were started and keep running (recorded in {path});"
        " 1 batch(es) may have started (no answer came): recorded as unknown, see"
        " --resend-unknown; to resume without paying twice, run the same command again"
    )
    await run.record.write(_entry(RecordState.REFUSED, 2))
    assert "may have started" not in run.hint()


async def test_a_record_kept_in_memory_is_saved_beside_the_output_for_the_hint(
    tmp_path: Path,
) -> None:
    run = RunRecord(None, RunFiles(tmp_path / "in.txt", tmp_path / "out.csv", command="verify"))
    await run.record.write(_entry(RecordState.UNKNOWN, 0))
    (tmp_path / "out.csv.journal").write_text("")  # taken: the next free name is used
    steps = run.next_steps(resume=True, resend=True)
    saved = tmp_path / "out.csv.2.journal"
    assert steps == (
        f"to resume without paying twice, run the same command again with --journal {saved};"
        " to send the unknown ones again (they may be charged twice), run the same command"
        f" again with --journal {saved} --resend-unknown"
    )
    assert run.kept() == saved
    assert [e.state for e in run.record.read()] == [RecordState.UNKNOWN]


async def test_a_journal_of_another_command_is_refused_with_exit_2(tmp_path: Path) -> None:
    path = tmp_path / "j.journal"
    find = await open_record(path, RunFiles(tmp_path / "in.csv", tmp_path / "o.csv"))
    await find.record.write(_entry(RecordState.POSTING, 0))
    with pytest.raises(CliError, match="a journal of 'find', not of 'verify'") as info:
        await open_record(path, RunFiles(tmp_path / "in.csv", tmp_path / "o.csv", command="verify"))
    assert info.value.code == 2
