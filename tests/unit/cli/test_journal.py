"""The ``find --journal`` file: started batches resume, unknown ones are held back."""

from __future__ import annotations

from pathlib import Path

import orjson
import pytest

from enrow_async import BulkJob, EmailSearch
from enrow_async.cli.errors import CliError
from enrow_async.cli.journal import Journal, fingerprint

SEARCHES = [EmailSearch(f"Person {i}", f"c{i}.io") for i in range(25)]


def test_journal_resumes_started_batches_and_holds_back_unknown_ones(tmp_path: Path) -> None:
    path = tmp_path / "j.journal"
    journal = Journal(fingerprint, path)
    assert journal.todo(25, 10) == [(0, 10), (10, 10), (20, 5)]
    first = journal.posting(0, SEARCHES[0:10])
    journal.started_batch(first, BulkJob("b1", estimated_duration=1))
    journal.unknown_outcome(journal.posting(10, SEARCHES[10:20]), "dropped")
    journal.refused(journal.posting(20, SEARCHES[20:25]))

    again = Journal(fingerprint, path)
    again.check(SEARCHES, Path("in.csv"))
    assert [e.batch_id for e in again.started] == ["b1"]
    assert [(e.offset, e.size) for e in again.unknown] == [(10, 10)]
    assert again.todo(25, 10) == [(20, 5)]
    assert again.todo(25, 10, resend_unknown=True) == [(10, 10), (20, 5)]
    assert again.todo(25, 4, resend_unknown=True) == [(10, 10), (20, 4), (24, 1)]
    with pytest.raises(CliError, match="other input") as caught:
        again.check([EmailSearch("Someone Else", "c0.io"), *SEARCHES[1:]], Path("in.csv"))
    assert caught.value.code == 2


def test_journal_posting_without_answer_reads_as_unknown_even_after_a_torn_line(
    tmp_path: Path,
) -> None:
    path = tmp_path / "j.journal"
    Journal(fingerprint, path).posting(0, SEARCHES[:5])
    with path.open("ab") as stream:
        stream.write(b'{"v":1,"event":"sta')  # the process died while writing
    journal = Journal(fingerprint, path)
    assert [e.event for e in journal.unknown] == ["posting"]
    assert journal.todo(5, 5) == []
    journal.started_batch(journal.unknown[0], BulkJob("b1"))  # e.g. found on the dashboard
    lines = [orjson.loads(line) for line in path.read_bytes().splitlines()[-1:]]
    assert lines[0]["batch_id"] == "b1"
    assert [e.batch_id for e in Journal(fingerprint, path).started] == ["b1"]


def test_a_refused_resend_keeps_the_range_unknown(tmp_path: Path) -> None:
    path = tmp_path / "j.journal"
    journal = Journal(fingerprint, path)
    journal.unknown_outcome(journal.posting(0, SEARCHES[:10]), "dropped")
    journal.started_batch(journal.posting(10, SEARCHES[10:15]), BulkJob("b1"))
    assert journal.todo(15, 5, resend_unknown=True) == [(0, 10)]  # as it was first sent
    journal.refused(journal.posting(0, SEARCHES[:10]))  # e.g. out of credits
    for state in (journal, Journal(fingerprint, path)):
        assert [(e.event, e.offset) for e in state.unknown] == [("unknown", 0)]
        assert state.todo(15, 5) == []  # still in doubt: not sent without asking
