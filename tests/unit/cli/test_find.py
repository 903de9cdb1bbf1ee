"""``enrow-async find``, run in-process against a simulator on 127.0.0.1."""

from __future__ import annotations

import codecs
import csv
import io
import re
from pathlib import Path
from typing import Any

import orjson
import pytest
from cli_support import Cli, check_output, leads, read_csv, unusable, write_csv

from enrow_async.testing import EnrowSimulator, Faults, ManualClock, SimulatorConfig

pytestmark = pytest.mark.anyio

PROGRESS = re.compile(r"^progress: (\d+)/(\d+) \((\d+)%\) batches (\d+)/(\d+)( eta \d+s)?$")


def journal_events(path: Path) -> list[dict[str, Any]]:
    return [orjson.loads(line) for line in path.read_bytes().splitlines()]


async def test_find_keeps_every_row_and_cell(tmp_path: Path, sim: EnrowSimulator, cli: Cli) -> None:
    source = leads(300)
    write_csv(tmp_path / "in.csv", source, bom=True)
    output = tmp_path / "out.csv"
    args = ["--batch-size", "100", "--progress-every", "0.5", "--base-url", sim.base_url]
    done = await cli("find", tmp_path / "in.csv", "-o", output, *args, key=sim.api_key)
    assert done.code == 0, done.err
    assert output.read_bytes().startswith(codecs.BOM_UTF8)
    found = check_output(source, read_csv(output))
    skipped = sum(unusable(row) for row in source[1:])
    assert skipped
    assert sum(row[1] == "skipped" for row in found) == skipped
    valid = [row for row in found if row[1] == "valid"]
    assert valid
    assert all(row[2] and row[3] for row in valid)
    assert sim.stats.created == {"/email/find/bulk": 3}
    # plain progress lines on a non-terminal stderr, ending at 100%
    lines = [PROGRESS.match(line) for line in done.err.splitlines()]
    progress = [m.groups() for m in lines if m]
    sent = str(300 - skipped)
    assert len(progress) >= 2
    assert progress[0][:2] == ("0", sent)
    assert progress[-1][:5] == (sent, sent, "100", "3", "3")
    assert f"{skipped} row(s) without a name or a company" in done.err
    # the summary, for a first-time user
    assert f"{len(valid)} emails found" in done.err
    assert "credits used:" in done.err
    assert f"output: {output}" in done.err
    assert valid[0][0] in done.err
    assert done.out == ""


async def test_find_keeps_dialect_and_renames_clashing_columns(
    tmp_path: Path, sim: EnrowSimulator, cli: Cli
) -> None:
    source = [["Full Name", "Company", "Email", "custom"]]
    source += [[f"Ada Lovelace{i}", f"Engines {i}; Ltd", "", f"c{i}"] for i in range(8)]
    write_csv(tmp_path / "in.csv", source, delimiter=";", lineterminator="\r\n")
    output = tmp_path / "out.csv"
    done = await cli(
        "find", tmp_path / "in.csv", "-o", output, "--base-url", sim.base_url, key=sim.api_key
    )
    assert done.code == 0, done.err
    raw = output.read_bytes()
    assert raw.count(b"\r\n") == 9
    assert raw.startswith(b"Full Name;Company;Email;custom;enrow_email;qualification;")
    assert b'"Engines 0; Ltd"' in raw
    rows = list(csv.reader(io.StringIO(raw.decode(), newline=""), delimiter=";"))
    assert [row[:4] for row in rows] == source
    assert rows[0][4:] == [
        "enrow_email",
        "qualification",
        "firstname",
        "lastname",
        "gender",
        "enrow_company",
    ]


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"Name,Email\nAda,ada@x.io\n", ["missing column", "company", "'Name', 'Email'"]),
        (b"First Name,Domain\nAda,x.io\n", ["last_name", "'First Name', 'Domain'"]),
        (b"fullname,company\n\xff\xfe\n", ["not UTF-8"]),
        (b"", ["empty"]),
        (None, ["no such file"]),
    ],
)
async def test_find_refuses_bad_input(
    tmp_path: Path, cli: Cli, content: bytes | None, message: list[str]
) -> None:
    if content is not None:
        (tmp_path / "in.csv").write_bytes(content)
    done = await cli("find", tmp_path / "in.csv", "-o", tmp_path / "out.csv", "--sandbox")
    assert done.code == 2
    assert done.err.count("\n") == 1, done.err
    assert all(part in done.err for part in message), done.err
    assert not (tmp_path / "out.csv").exists()


async def test_find_resumes_from_its_journal_without_starting_any_batch_twice(
    tmp_path: Path, cli: Cli
) -> None:
    clock = ManualClock()
    config = SimulatorConfig(clock=clock, duration=10.0, seed=7)
    async with EnrowSimulator(config, host="127.0.0.1", port=0) as sim:
        source = leads(250)
        write_csv(tmp_path / "in.csv", source)
        journal = tmp_path / "j.journal"
        args = [
            "find",
            tmp_path / "in.csv",
            "-o",
            tmp_path / "out.csv",
            "--journal",
            journal,
            "--base-url",
            sim.base_url,
            "--batch-size",
            "100",
        ]
        first = await cli(*args, "--timeout", "0", key=sim.api_key)
        assert first.code == 1
        last = first.err.splitlines()[-1]
        assert "3 batch(es) still running at the deadline" in last
        assert last.endswith("; run the same command again to resume")
        check_output(source, read_csv(tmp_path / "out.csv"), missing="pending")
        assert [e["event"] for e in journal_events(journal)] == ["posting", "started"] * 3

        clock.advance(10.0)
        second = await cli(*args, key=sim.api_key)
        assert second.code == 0, second.err
        assert "resuming: 3 batch(es)" in second.err
        assert sim.stats.created == {"/email/find/bulk": 3}
        assert sim.stats.requests["POST", "/email/find/bulk"] == 3
        check_output(source, read_csv(tmp_path / "out.csv"))

        # the same journal with other input is refused before anything is sent
        source[3][0] = "Someone Else"
        write_csv(tmp_path / "in.csv", source)
        third = await cli(*args, key=sim.api_key)
        assert third.code == 2
        assert "journal" in third.err
        assert third.err.count("\n") == 1
        assert sim.stats.requests["POST", "/email/find/bulk"] == 3


async def test_unknown_outcome_is_recorded_and_never_sent_again(tmp_path: Path, cli: Cli) -> None:
    config = SimulatorConfig(duration=0.0, faults=Faults(drop_after=1.0, methods=("POST",)))
    async with EnrowSimulator(config, host="127.0.0.1", port=0) as sim:
        write_csv(tmp_path / "in.csv", leads(20))
        journal = tmp_path / "j.journal"
        args = ["find", tmp_path / "in.csv", "-o", tmp_path / "out.csv", "--journal", journal]
        first = await cli(*args, "--base-url", sim.base_url, key=sim.api_key)
        assert first.code == 1
        notes = first.err.splitlines()
        assert "may have been created" in notes[-1]
        assert "--resend-unknown" in notes[-1]
        assert "without a name" in notes[0]
        assert len(notes) == 2
        assert [e["event"] for e in journal_events(journal)] == ["posting", "unknown"]
        second = await cli(*args, "--base-url", sim.base_url, key=sim.api_key)
        assert second.code == 1
        assert "may or may not have started" in second.err
        assert sim.stats.requests["POST", "/email/find/bulk"] == 1
        rows = read_csv(tmp_path / "out.csv")
        assert {row[7] for row in rows[1:]} <= {"unknown", "skipped"}


async def test_failed_batches_are_written_as_failed(tmp_path: Path, cli: Cli) -> None:
    async with EnrowSimulator(SimulatorConfig(duration=0.0, fail_rate=1.0)) as sim:
        source = leads(30)
        write_csv(tmp_path / "in.csv", source)
        output = tmp_path / "out.csv"
        args = ["find", tmp_path / "in.csv", "-o", output, "--batch-size", "20"]
        done = await cli(*args, "--base-url", sim.base_url, key=sim.api_key)
    assert done.code == 1
    assert done.err.splitlines()[-1] == (
        "enrow-async: some rows have no result: 2 batch(es) failed"
    )
    check_output(source, read_csv(output), missing="failed")


async def test_a_sandbox_run_cannot_resume(tmp_path: Path, sim: EnrowSimulator, cli: Cli) -> None:
    write_csv(tmp_path / "in.csv", leads(10))
    args = ["find", tmp_path / "in.csv", "-o", tmp_path / "out.csv"]
    journal = ["--journal", tmp_path / "j.journal"]
    started = await cli(*args, *journal, "--base-url", sim.base_url, key=sim.api_key)
    assert started.code == 0, started.err
    again = await cli(*args, *journal, "--sandbox")
    assert again.code == 2
    assert "--sandbox cannot resume" in again.err
    both = await cli(*args, "--sandbox", "--base-url", sim.base_url)
    assert both.code == 2
    assert both.err == "enrow-async: --sandbox and --base-url exclude each other\n"


async def test_rows_a_batch_answered_no_result_for_make_the_run_fail(
    tmp_path: Path, sim: EnrowSimulator, cli: Cli
) -> None:
    """A journalled batch of 4 rows whose server-side batch holds only 2 searches: the 2
    rows without a result are written as errors and the run exits 1, never 0."""
    from enrow_async import BulkJob, EmailSearch
    from enrow_async.cli.journal import Journal

    names = ["Jim Halpert", "Pam Beesly", "Dwight Schrute", "Oscar Martinez"]
    write_csv(
        tmp_path / "in.csv", [["fullname", "company_domain"]] + [[n, "dm.com"] for n in names]
    )
    people = [EmailSearch(name, "dm.com") for name in names]
    wire = [{"fullname": p.fullname, "company_domain": p.company_domain} for p in people[:2]]
    batch_id = sim.add_batch(wire, duration=0.0)
    journal = Journal(tmp_path / "j.journal")
    journal.started_batch(journal.posting(0, people), BulkJob(batch_id))
    args = ["find", tmp_path / "in.csv", "-o", tmp_path / "out.csv", "--journal", journal.path]
    ran = await cli(*args, "--base-url", sim.base_url, key=sim.api_key)
    assert ran.code == 1, ran.err
    assert "2 row(s) have no result" in ran.err.splitlines()[-1]
    assert sim.stats.requests["POST", "/email/find/bulk"] == 0
