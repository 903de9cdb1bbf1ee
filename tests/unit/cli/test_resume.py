"""What a journaled run says when it leaves batches behind: the hints name the journal, the
items in doubt, and a command that works."""

from __future__ import annotations

from pathlib import Path

from enrow_async import BulkJob
from enrow_async.cli.journal import Journal, address_fingerprint
from enrow_async.cli.resume import RunFiles, next_steps, resume_hint

ADDRESSES = ["a@x.io", "b@x.io", "c@x.io", "d@x.io", "e@x.io"]


def test_the_ctrl_c_hint_names_the_journal_and_the_addresses_in_doubt(tmp_path: Path) -> None:
    path = tmp_path / "v.journal"
    journal = Journal(address_fingerprint, path, noun="addresses")
    journal.started_batch(journal.posting(0, ADDRESSES[:3]), BulkJob("b1"))
    journal.unknown_outcome(journal.posting(3, ADDRESSES[3:]), "no answer")
    hint = resume_hint(journal, RunFiles(tmp_path / "in.txt", tmp_path / "out.csv"))
    assert hint == (
        f"interrupted; 1 batch(es) were started and keep running (recorded in {path});"
        " addresses 4-5 may have started a batch (no answer came): recorded as unknown, see"
        " --resend-unknown; to resume without paying twice, run the same command again"
    )
    files = RunFiles(tmp_path / "in.txt", tmp_path / "out.csv", sandbox=True)
    assert "no credits were spent" in resume_hint(journal, files)
    assert resume_hint(Journal(address_fingerprint), files).startswith("interrupted; the sandbox")


def test_a_journal_kept_in_memory_is_saved_beside_the_output_for_the_hint(
    tmp_path: Path,
) -> None:
    journal = Journal(address_fingerprint, noun="addresses")
    journal.unknown_outcome(journal.posting(0, ADDRESSES), "no answer")
    (tmp_path / "out.csv.journal").write_text("")  # taken: the next free name is used
    steps = next_steps(
        journal, RunFiles(tmp_path / "in.txt", tmp_path / "out.csv"), resume=True, resend=True
    )
    saved = tmp_path / "out.csv.2.journal"
    assert steps == (
        f"to resume without paying twice, run the same command again with --journal {saved};"
        " to send the unknown ones again (they may be charged twice), run the same command"
        f" again with --journal {saved} --resend-unknown"
    )
    assert Journal(address_fingerprint, saved).unknown[0].size == 5
