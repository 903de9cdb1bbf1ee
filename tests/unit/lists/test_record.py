"""The record of a list job: the journal file survives a crash mid-line, refuses what is
not its own, and keeps every entry durably."""

from __future__ import annotations

import tempfile
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from enrow_async import BatchRecord, JournalFile, MemoryRecord, RecordError, RecordState

pytestmark = pytest.mark.anyio

ENTRY = BatchRecord(RecordState.POSTING, 0, "k0", ("aa", "bb"), at=1.5)
STARTED = BatchRecord(
    RecordState.STARTED, 0, "k0", ("aa", "bb"), batch_id="b-1", credits_used=2.0, at=2.0
)

RECORDS = st.builds(
    BatchRecord,
    st.sampled_from(RecordState),
    st.integers(0, 10**6),
    st.text(max_size=40),
    st.lists(st.text(max_size=16), max_size=5).map(tuple),
    batch_id=st.none() | st.text(max_size=40),
    credits_used=st.none() | st.floats(0, 1e6),
    estimated_duration=st.none() | st.floats(0, 1e4),
    at=st.none() | st.floats(0, 2e9),
    reason=st.none() | st.text(max_size=60),
)


@given(st.lists(RECORDS, max_size=8))
def test_a_journal_reads_back_what_was_written(entries: list[BatchRecord]) -> None:
    with tempfile.TemporaryDirectory() as folder:
        journal = JournalFile(Path(folder) / "j", kind="find")
        for entry in entries:
            journal.append(entry)
        assert journal.read() == entries


async def test_a_line_cut_short_by_a_crash_is_ignored_and_the_next_one_stays_readable(
    tmp_path: Path,
) -> None:
    path = tmp_path / "run.journal"
    journal = JournalFile(path, kind="find")
    await journal.write(ENTRY)
    with path.open("ab") as stream:
        stream.write(b'{"v": 2, "state": "star')
    again = JournalFile(path, kind="find")
    assert await again.load() == [ENTRY]
    await again.write(STARTED)
    assert await JournalFile(path, kind="find").load() == [ENTRY, STARTED]


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (
            b'{"v": 2, "kind": "verify", "state": "posting", "number": 0, "key": "k",'
            b' "items": []}\n',
            "a journal of 'verify', not of 'find'",
        ),
        (
            b'{"v": 1, "event": "posting", "offset": 0, "size": 1, "fingerprint": "x"}\n',
            r"another version \(1\)",
        ),
        (
            b'{"v": 3, "state": "posting", "number": 0, "key": "k", "items": []}\n',
            "another version",
        ),
        (b"not json at all}\n", "line 1 is not a journal entry"),
    ],
    ids=["other-kind", "old-format", "newer-version", "garbage"],
)
async def test_a_journal_that_is_not_this_jobs_is_refused(
    tmp_path: Path, content: bytes, message: str
) -> None:
    path = tmp_path / "run.journal"
    path.write_bytes(content)
    with pytest.raises(RecordError, match=message):
        await JournalFile(path, kind="find").load()


async def test_an_unwritable_journal_is_a_record_error(tmp_path: Path) -> None:
    journal = JournalFile(tmp_path / "missing-folder" / "run.journal")
    with pytest.raises(RecordError, match="cannot write the journal"):
        await journal.write(ENTRY)


async def test_a_memory_record_saves_itself_as_a_journal(tmp_path: Path) -> None:
    record = MemoryRecord([ENTRY])
    await record.write(STARTED)
    saved = record.save(tmp_path / "kept.journal", kind="find")
    assert await saved.load() == [ENTRY, STARTED] == await record.load()
    assert saved.read() == [ENTRY, STARTED] == record.read()  # the same, without awaiting
