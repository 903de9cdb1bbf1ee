"""The jobs' folder: ids that are digests of what a job sends, a spec saved and read back
as it was, and nothing outside the folder reachable by an id."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from enrow_async import EmailSearch
from enrow_async.mcp._inputs import ListInput
from enrow_async.mcp._jobs import JobSpec, JobStore, job_id

SEARCHES = [EmailSearch("Ada Lovelace", "ae.com", custom="1"), EmailSearch("Alan Turing", "b.org")]


def test_the_same_list_is_the_same_job() -> None:
    one = job_id("find", SEARCHES)
    assert one == job_id("find", list(SEARCHES))
    assert one.startswith("find-")
    assert one != job_id("find", SEARCHES[:1])
    assert one != job_id("find", SEARCHES, "FR")  # the options are part of what is sent
    assert job_id("verify", ["a@b.io"]) != job_id("verify", ["b@b.io"])


def test_a_spec_is_read_back_as_saved(tmp_path: Path) -> None:
    store = JobStore(tmp_path / "jobs")
    listed = ListInput(
        "leads.csv",
        ["name", "domain"],
        [["Ada Lovelace", "ae.com"], ["Alan Turing", "b.org"], ["Cher", "c.com"]],
        SEARCHES,
        [0, 1],
        {2: "one-word name"},
    )
    spec = JobSpec("find", job_id("find", SEARCHES, "FR"), listed, "FR")
    store.save(spec)
    assert store.load(spec.id) == spec
    assert store.journal(spec).path == tmp_path / "jobs" / spec.id / "journal.jsonl"
    assert store.load(job_id("verify", ["a@b.io"])) is None
    assert store.results(spec.id) == tmp_path / "jobs" / spec.id / "results.csv"
    assert sorted(p.name for p in (tmp_path / "jobs" / spec.id).iterdir()) == ["job.json"]


@given(st.text(max_size=40))
def test_only_job_ids_name_a_folder(text: str) -> None:
    store = JobStore(Path("/jobs"))
    if text.startswith(("find-", "verify-")) and len(text.split("-", 1)[1]) == 16:
        return  # may be an id
    with pytest.raises(ValueError, match="is not a job id"):
        store.folder(text)
