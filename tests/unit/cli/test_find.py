"""``enrow-async find``, run in-process against a simulator on 127.0.0.1."""

from __future__ import annotations

import codecs
import csv
import datetime
import functools
import io
import re
from collections import Counter
from pathlib import Path

import orjson
import pytest
from cli_support import (
    FAST,
    FOUND,
    Cli,
    check_output,
    check_stopped_at_the_deadline,
    journal_events,
    journal_states,
    leads,
    read_csv,
    unusable,
    write_csv,
)

from enrow_async import EnrowClient, search_identity
from enrow_async.cli import run_async
from enrow_async.testing import EnrowSimulator, Faults, ManualClock, SimulatorConfig

pytestmark = pytest.mark.anyio

EXPORTS = Path(__file__).parents[2] / "data/exports"

SAND = ["--sandbox", "--sandbox-duration", "0"]
"""A sandbox run whose batches are over as soon as they start."""

PROGRESS = re.compile(
    r"^progress: (\d+)/(\d+) searches \((\d+)%\), batches (\d+)/(\d+) done(, eta \d+s)?$"
)


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
    valid = [row for row in found if row[1] == "found"]
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
    reasons = Counter(
        row[6] for row, given in zip(found, source[1:], strict=True) if unusable(given)
    )
    counts = f"{reasons['no name']} no name, {reasons['no company']} no company"
    assert f"rows: 300 in the table, {300 - skipped} to search, {skipped} skipped ({counts})" in (
        done.err
    )
    assert "starting batches 3/3" in done.err.splitlines()
    # the summary, for a first-time user
    assert f"{len(valid)} email(s) found" in done.err
    assert f"credits: {300 - skipped} reserved, " in done.err
    assert f"plan: 300 row(s), {300 - skipped} to search: {300 - skipped} distinct" in done.err
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
    assert raw.startswith(b"Full Name;Company;Email;custom;enrow_email;enrow_status;")
    assert b'"Engines 0; Ltd"' in raw
    rows = list(csv.reader(io.StringIO(raw.decode(), newline=""), delimiter=";"))
    assert [row[:4] for row in rows] == source
    assert rows[0][4:] == FOUND


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
    assert done.err.startswith(f"enrow-async: {tmp_path / 'in.csv'}: "), done.err  # one plain line
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
        check_stopped_at_the_deadline(first, 3, reserved="238")
        check_output(source, read_csv(tmp_path / "out.csv"), missing="pending")
        assert journal_states(journal) == ["posting", "started"] * 3

        clock.advance(10.0)
        second = await cli(*args, key=sim.api_key)
        assert second.code == 0, second.err
        assert "resuming: 3 batch(es)" in second.err
        assert sim.stats.created == {"/email/find/bulk": 3}
        assert sim.stats.requests["POST", "/email/find/bulk"] == 3
        check_output(source, read_csv(tmp_path / "out.csv"))

        # an edited row: the started batches still serve every other row; only it is sent
        source[3][0] = "Someone Else"
        write_csv(tmp_path / "in.csv", source)
        third = await cli(*args, "--timeout", "0", key=sim.api_key)
        assert third.code == 1
        assert "plan: 1 search(es) to send in 1 new batch(es), reserving 1 credit(s)" in third.err
        assert "plan: 1 started batch(es) hold search(es) no longer in the list" in third.err
        assert sim.stats.requests["POST", "/email/find/bulk"] == 4


@pytest.mark.parametrize("fault", ["drop_after", "redirect"])  # redirect: a 303 See Other
async def test_unknown_outcome_is_recorded_and_never_sent_again(
    tmp_path: Path, cli: Cli, fault: str
) -> None:
    faults = Faults(**{fault: 1.0}, methods=("POST",))
    config = SimulatorConfig(duration=0.0, faults=faults)
    async with EnrowSimulator(config, host="127.0.0.1", port=0) as sim:
        write_csv(tmp_path / "in.csv", leads(20))
        journal = tmp_path / "j.journal"
        args = ["find", tmp_path / "in.csv", "-o", tmp_path / "out.csv", "--journal", journal]
        first = await cli(*args, "--base-url", sim.base_url, key=sim.api_key)
        assert first.code == 1
        notes = first.err.splitlines()
        assert "may or may not have started" in notes[-1]
        assert any(note.startswith("rows: 20 in the table, 18 to search") for note in notes)
        assert journal_states(journal) == ["posting", "unknown"]
        second = await cli(*args, "--base-url", sim.base_url, key=sim.api_key)
        assert second.code == 1
        assert "may or may not have started" in second.err
        assert sim.stats.requests["POST", "/email/find/bulk"] == 1
        assert sim.stats.created == {"/email/find/bulk": 1}  # rightly in doubt: it exists
        rows = read_csv(tmp_path / "out.csv")
        assert {row[7] for row in rows[1:]} <= {"unknown", "skipped"}


async def test_after_an_unknown_outcome_every_started_batch_is_written_and_the_hint_works(
    tmp_path: Path, sim: EnrowSimulator, cli: Cli
) -> None:
    """One POST of three has no clear answer: the other two batches are waited for and
    written, the unknown rows say so, exit 1; the hint (the journal saved beside the
    output, then --resend-unknown) sends only those rows and completes the file."""
    source = leads(60)
    write_csv(tmp_path / "in.csv", source)
    output = tmp_path / "out.csv"
    args = ["find", tmp_path / "in.csv", "-o", output, "--batch-size", "20"]
    url = ["--base-url", sim.base_url]
    sim.inject("drop_after", 1, "/email/find/bulk", "POST")
    first = await cli(*args, *url, key=sim.api_key)
    assert first.code == 1
    assert sim.stats.created == {"/email/find/bulk": 3}  # the dropped one exists too
    rows = read_csv(output)
    qualifications = [row[7] for row in rows[1:]]
    usable = [q for row, q in zip(source[1:], qualifications, strict=True) if not unusable(row)]
    assert usable[:20] == ["unknown"] * 20
    assert set(usable[20:]) <= {"found", "not found"}
    saved = tmp_path / "out.csv.journal"
    hint = first.err.splitlines()[-1]
    assert hint.endswith(f"run the same command again with --journal {saved} --resend-unknown")
    assert saved.exists()
    again = await cli(*args, *url, "--journal", saved, "--resend-unknown", key=sim.api_key)
    assert again.code == 0, again.err
    assert sim.stats.requests["POST", "/email/find/bulk"] == 4  # only the unknown batch
    check_output(source, read_csv(output))


async def test_duplicates_are_sent_once_and_every_row_gets_the_result(
    tmp_path: Path, sim: EnrowSimulator, cli: Cli
) -> None:
    rows = [
        ["fullname", "company_domain", "note"],
        ["Jim Halpert", "dundermifflin.com", "1"],
        ["JIM  halpert", "https://www.dundermifflin.com/about", "2"],
        ["Pam Beesly", "dundermifflin.com", "3"],
        ["jim halpert", "DunderMifflin.com.", "4"],
        ["Pam Beesly", "www.dundermifflin.com", "5"],
    ]
    write_csv(tmp_path / "in.csv", rows)
    output = tmp_path / "out.csv"
    done = await cli("find", tmp_path / "in.csv", "-o", output, *SAND)
    assert done.code == 0, done.err
    assert (
        "plan: 5 row(s), 5 to search: 2 distinct search(es) (3 duplicate(s) sent once)" in done.err
    )
    assert "reserving 2 credit(s)" in done.err
    assert (
        "duplicates: 3 row(s) got the result of an identical search sent once: 3 credit(s)"
        in done.err
    )
    written = read_csv(output)
    assert [row[:3] for row in written] == rows  # input cells as they were
    jim = {tuple(written[i][3:]) for i in (1, 2, 4)}
    pam = {tuple(written[i][3:]) for i in (3, 5)}
    assert len(jim) == 1
    assert len(pam) == 1


async def test_resume_with_duplicates_never_starts_a_batch_twice(tmp_path: Path, cli: Cli) -> None:
    clock = ManualClock()
    async with EnrowSimulator(SimulatorConfig(clock=clock, duration=5.0), port=0) as sim:
        rows = [["fullname", "company_domain"]]
        rows += [[f"Person {i % 30}", f"c{i % 30}.com"] for i in range(90)]
        write_csv(tmp_path / "in.csv", rows)
        journal = tmp_path / "j.journal"
        args = ["find", tmp_path / "in.csv", "-o", tmp_path / "out.csv", "--journal", journal]
        args += ["--batch-size", "10", "--base-url", sim.base_url]
        first = await cli(*args, "--timeout", "0", key=sim.api_key)
        assert first.code == 1
        assert sim.stats.created == {"/email/find/bulk": 3}  # 30 distinct searches
        clock.advance(5.0)
        second = await cli(*args, key=sim.api_key)
        assert second.code == 0, second.err
        assert sim.stats.requests["POST", "/email/find/bulk"] == 3
        written = read_csv(tmp_path / "out.csv")
        for i in range(1, 91):
            assert written[i][2:] == written[(i - 1) % 30 + 1][2:]
        # the first row of a search changed: only it is new, every batch still serves
        rows[1][0] = "Someone New"
        write_csv(tmp_path / "in.csv", rows)
        third = await cli(*args, "--timeout", "0", key=sim.api_key)
        assert "plan: 1 search(es) to send in 1 new batch(es), reserving 1 credit(s)" in third.err
        assert sim.stats.requests["POST", "/email/find/bulk"] == 4
        # a later duplicate changed: the started batches still serve; only it is new, and
        # the third run's search (at another domain) is named as no longer needed
        rows[1][0], rows[45][0] = "Person 0", "Someone New"
        write_csv(tmp_path / "in.csv", rows)
        fourth = await cli(*args, "--timeout", "0", key=sim.api_key)
        assert "plan: 1 search(es) to send in 1 new batch(es), reserving 1 credit(s)" in fourth.err
        assert "plan: 1 started batch(es) hold search(es) no longer in the list" in fourth.err
        assert sim.stats.requests["POST", "/email/find/bulk"] == 5


async def test_failed_batches_are_written_as_failed(tmp_path: Path, cli: Cli) -> None:
    async with EnrowSimulator(SimulatorConfig(duration=0.0, fail_rate=1.0)) as sim:
        source = leads(30)
        write_csv(tmp_path / "in.csv", source)
        output = tmp_path / "out.csv"
        args = ["find", tmp_path / "in.csv", "-o", output, "--batch-size", "20"]
        done = await cli(*args, "--base-url", sim.base_url, key=sim.api_key)
    assert done.code == 1
    saved = tmp_path / "out.csv.journal"
    assert done.err.splitlines()[-1] == (
        f"enrow-async: {len(source) - 1 - sum(map(unusable, source[1:]))} row(s) have no"
        " result: 2 batch(es) failed; to send only those again, run the same command again"
        f" with --journal {saved} --retry-failed"
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
    from enrow_async import BatchRecord, EmailSearch, JournalFile, RecordState
    from enrow_async._core.plan import batch_key, item_digest

    names = ["Jim Halpert", "Pam Beesly", "Dwight Schrute", "Oscar Martinez"]
    write_csv(
        tmp_path / "in.csv", [["fullname", "company_domain"]] + [[n, "dm.com"] for n in names]
    )
    people = [EmailSearch(name, "dm.com") for name in names]
    wire = [{"fullname": p.fullname, "company_domain": p.company_domain} for p in people[:2]]
    batch_id = sim.add_batch(wire, duration=0.0)
    digests = tuple(item_digest("None|True", search_identity(p)) for p in people)
    journal = JournalFile(tmp_path / "j.journal", kind="find")
    journal.append(
        BatchRecord(RecordState.STARTED, 0, batch_key(digests), digests, batch_id=batch_id)
    )
    args = ["find", tmp_path / "in.csv", "-o", tmp_path / "out.csv", "--journal", journal.path]
    ran = await cli(*args, "--base-url", sim.base_url, key=sim.api_key)
    assert ran.code == 1, ran.err
    assert ran.err.splitlines()[-1].startswith("enrow-async: 2 row(s) have no result")
    assert sim.stats.requests["POST", "/email/find/bulk"] == 0


FORMULAS = (
    "fullname,company_domain,notes\r\n"
    "=Pam Beesly,dundermifflin.com,=1+1\r\n"
    "\r\n"
    "@Kelly Kapoor,dm.com,@x\r\n"
    "Jim Halpert,dm.com,-2\r\n"
)


async def test_blank_lines_stay_in_place_and_api_cells_are_neutralised(
    tmp_path: Path, sim: EnrowSimulator, cli: Cli
) -> None:
    (tmp_path / "in.csv").write_bytes(FORMULAS.encode())
    output = tmp_path / "out.csv"
    done = await cli(
        "find", tmp_path / "in.csv", "-o", output, "--base-url", sim.base_url, key=sim.api_key
    )
    assert done.code == 0, done.err
    rows = read_csv(output)
    source = list(csv.reader(io.StringIO(FORMULAS, newline="")))
    assert [row[:3] for row in rows] == [r if r else ["", "", ""] for r in source]  # as read
    assert rows[2][4] == "skipped"  # the blank line, still line 3
    for row in rows[1:]:
        assert not any(cell.startswith(("=", "+", "-", "@", "\t", "\r")) for cell in row[3:])
    assert rows[1][5] == "'=pam"  # the API's firstname, neutralised
    jsonl = tmp_path / "out.jsonl"
    done = await cli(
        "find", tmp_path / "in.csv", "-o", jsonl, "--base-url", sim.base_url, key=sim.api_key
    )
    assert done.code == 0, done.err
    records = [orjson.loads(line) for line in jsonl.read_bytes().splitlines()]
    assert len(records) == 4
    assert records[0]["notes"] == "=1+1"
    assert records[0]["enrow_firstname"] == "=pam"  # raw in JSON Lines
    assert records[1]["enrow_status"] == "skipped"
    assert records[1]["enrow_reason"] == "blank row"


async def test_stdin_utf16_and_cp1252(tmp_path: Path, sim: EnrowSimulator) -> None:
    (tmp_path / "k").write_text(sim.api_key)
    text = "fullname,company_domain,note\r\nZoë Ramírez,x.io,café \u2013 \u201cquoted\u201d\r\n"
    for raw, extra in [
        (codecs.BOM_UTF16_LE + text.encode("utf-16-le"), []),
        (codecs.BOM_UTF16_BE + text.encode("utf-16-be"), []),
        (text.encode("cp1252"), ["--encoding", "cp1252"]),
    ]:
        stdin = io.TextIOWrapper(io.BytesIO(raw), encoding="utf-8")
        raw_out = io.BytesIO()
        out = io.TextIOWrapper(raw_out, encoding="utf-8", newline="", write_through=True)
        err = io.StringIO()
        argv = [
            "find",
            "-",
            "-o",
            "-",
            "--base-url",
            sim.base_url,
            "--key-file",
            str(tmp_path / "k"),
        ]
        code = await run_async(
            [*argv, *extra],
            stdout=out,
            stderr=err,
            stdin=stdin,
            client=functools.partial(EnrowClient, poll_policy=FAST),
        )
        assert code == 0, err.getvalue()
        written = list(csv.reader(io.StringIO(raw_out.getvalue().decode(), newline="")))
        assert written[1][:3] == ["Zoë Ramírez", "x.io", "café \u2013 \u201cquoted\u201d"]
    (tmp_path / "in.csv").write_bytes(text.encode("cp1252"))
    stdin = io.TextIOWrapper(io.BytesIO(b""), encoding="utf-8")
    err = io.StringIO()
    code = await run_async(
        ["find", str(tmp_path / "in.csv"), "-o", "-", "--sandbox"],
        stdout=io.StringIO(),
        stderr=err,
        stdin=stdin,
    )
    assert code == 2
    assert "try --encoding cp1252" in err.getvalue()


async def test_xlsx_in_and_out(tmp_path: Path, sim: EnrowSimulator, cli: Cli) -> None:
    openpyxl = pytest.importorskip("openpyxl")
    book = openpyxl.Workbook()
    sheet = book.active
    for row in [
        ["First Name", "Last Name", "Company Domain Name", "Notes"],
        ["Jim", "Halpert", "dm.com", "=SUM(1,2)"],
        [None, None, None, None],
        ["Pam", "Beesly", "dm.com", 42],
    ]:
        sheet.append(row)
    sheet["D2"].data_type = "s"  # the text "=SUM(1,2)", as a user typed it with a quote
    book.save(tmp_path / "in.xlsx")
    output = tmp_path / "out.xlsx"
    done = await cli(
        "find", tmp_path / "in.xlsx", "-o", output, "--base-url", sim.base_url, key=sim.api_key
    )
    assert done.code == 0, done.err
    got = openpyxl.load_workbook(output, read_only=True)
    rows = [list(r) for r in got.worksheets[0].iter_rows(values_only=True)]
    got.close()
    assert rows[0][:4] == ["First Name", "Last Name", "Company Domain Name", "Notes"]
    assert rows[0][4:] == FOUND
    assert rows[1][3] == "=SUM(1,2)"  # read back as text, not run as a formula
    assert rows[2][5] == "skipped"
    assert rows[3][3] == 42  # the input's number, still a number
    assert len(rows) == 4


async def test_the_hints_printed_are_commands_that_work(
    tmp_path: Path, cli: Cli, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A timeout without --journal: the hint names the journal it saved; running the same
    command with it resumes, starting no batch twice. The `results` hint runs as printed."""
    monkeypatch.chdir(tmp_path)  # the printed command writes results.csv here
    clock = ManualClock()
    async with EnrowSimulator(SimulatorConfig(clock=clock, duration=10.0), port=0) as sim:
        source = leads(50)
        write_csv(tmp_path / "in.csv", source)
        output = tmp_path / "out.csv"
        args = ["find", tmp_path / "in.csv", "-o", output, "--batch-size", "20"]
        args += ["--base-url", sim.base_url]
        first = await cli(*args, "--timeout", "0", key=sim.api_key)
        assert first.code == 1
        saved = tmp_path / "out.csv.journal"
        hint = first.err.splitlines()[-1]
        assert hint.endswith(
            f"to resume without paying twice, run the same command again with --journal {saved}"
        )
        clock.advance(10.0)
        second = await cli(*args, "--journal", saved, key=sim.api_key)
        assert second.code == 0, second.err
        assert sim.stats.requests["POST", "/email/find/bulk"] == 3
        check_output(source, read_csv(output))

        batch_id = sim.add_batch([{"fullname": "Jim Halpert", "company_domain": "dm.com"}])
        ongoing = await cli("results", batch_id, "--base-url", sim.base_url, key=sim.api_key)
        assert ongoing.code == 1
        printed = ongoing.err.split("wait for it: ")[1].split()
        assert printed[:3] == ["enrow-async", "wait", batch_id]
        clock.advance(10.0)
        ran = await cli(*printed[1:], "--base-url", sim.base_url, key=sim.api_key)
        assert ran.code == 0, ran.err
        assert len(read_csv(tmp_path / "results.csv")) == 2


async def test_a_sandbox_run_on_a_terminal_never_asks(tmp_path: Path) -> None:
    class Terminal(io.StringIO):
        def isatty(self) -> bool:
            return True

    write_csv(tmp_path / "in.csv", leads(200))
    err = Terminal()
    argv = ["find", str(tmp_path / "in.csv"), "-o", str(tmp_path / "out.csv"), "--sandbox"]
    code = await run_async(
        [*argv, "--sandbox-duration", "0", "--ask-above", "1"],
        stdout=io.StringIO(),
        stderr=err,
        stdin=Terminal(""),
        client=functools.partial(EnrowClient, poll_policy=FAST),
    )
    assert code == 0, err.getvalue()
    assert "[y/N]" not in err.getvalue()


async def test_find_prints_the_mapping_and_takes_column_options(tmp_path: Path, cli: Cli) -> None:
    args = ["find", EXPORTS / "salesforce.csv", "-o", tmp_path / "out.csv", "--dry-run"]
    done = await cli(*args, "--sandbox", "--company-column", "Title")
    assert done.code == 0, done.err
    assert (
        "columns: name <- 'First Name' + 'Last Name'; domain <- 'Website'; company <- 'Title'"
        in done.err
    )
    assert "columns: 'Website' (domain) empty in 1 of 2 row(s)" in done.err
    (tmp_path / "people.csv").write_text("who,work\nJim,jim@dm.com\n")
    args = ["verify", tmp_path / "people.csv", "-o", tmp_path / "v.csv", *SAND]
    checked = await cli(*args, "--email-column", "work")
    assert checked.code == 0, checked.err
    assert "columns: email <- 'work'" in checked.err


# -- layouts, row checks, what is sent, output people can rely on ----------------------------


async def test_an_excel_csv_with_a_sep_line_in_cp1252_with_german_headers(
    tmp_path: Path, cli: Cli
) -> None:
    output = tmp_path / "out.csv"
    args = ["find", EXPORTS / "excel_sep_de.csv", "-o", output, "--encoding", "cp1252"]
    done = await cli(*args, *SAND)
    assert done.code == 0, done.err
    lines = done.err.splitlines()
    assert lines[:2] == [
        "table: delimiter ';' from its sep= line, header on row 1",
        "columns: name <- 'Vorname' + 'Nachname'; domain <- 'Webseite'; company <- 'Firma'",
    ]
    assert (
        "rows: 4 in the table, 2 to search, 2 skipped (1 totals or notes row, 1 email already"
        " present)" in lines
    )
    assert "rows: --include-rows-with-email searches the rows that already have one" in lines
    raw = output.read_bytes()
    assert raw.startswith(codecs.BOM_UTF8 + b"sep=;\r\nVorname;Nachname;")  # UTF-8 now
    rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"), newline=""), delimiter=";"))
    source = csv.reader(
        io.StringIO((EXPORTS / "excel_sep_de.csv").read_text("cp1252")), delimiter=";"
    )
    assert [row[:6] for row in rows] == list(source)  # every cell as read
    assert {row[7] for row in rows[2:4]} <= {"found", "not found"}
    assert [row[7] for row in rows[4:]] == ["skipped", "skipped"]
    assert [row[-1] for row in rows[4:]] == ["email already present", "totals or notes row"]


async def test_a_report_with_title_rows_sends_what_was_meant(
    tmp_path: Path, sim: EnrowSimulator, cli: Cli
) -> None:
    """Two title rows above the header; every verdict of the row check; the simulator
    receives the cleaned names and the normalised domains, the file keeps its cells."""
    output = tmp_path / "out.csv"
    journal = tmp_path / "j.journal"
    args = ["find", EXPORTS / "sheets_report.csv", "-o", output, "--journal", journal]
    done = await cli(*args, "--base-url", sim.base_url, key=sim.api_key)
    assert done.code == 0, done.err
    lines = done.err.splitlines()
    assert lines[0] == (
        "table: header on row 3 (guessed: the first of rows 1-10 to name two known columns;"
        " rows 1-2 above it kept as titles; --header-row N to choose)"
    )
    assert lines[1] == "columns: name <- 'Name'; domain <- 'Website'; company <- 'Company'"
    assert (
        "rows: 13 in the table, 4 to search, 9 skipped (1 blank row, 1 no name, 1 one-word"
        " name, 1 name too long, 1 no company, 1 domain not a company's, 2 totals or notes"
        " row, 1 email already present)"
    ) in lines
    assert (
        "rows: cleaned in what is sent (the file keeps its cells): 1 title or suffix removed,"
        " 2 domain reduced to its host, 1 domain not a company's: company name used, 1 domain"
        " taken from an email address"
    ) in lines
    assert "plan: 13 row(s), 4 to search: 4 distinct search(es)" in lines
    # what the API received: cleaned, normalised
    started = [event["batch_id"] for event in journal_events(journal) if event.get("batch_id")]
    received = [s for bid in started for s in sim.batch(bid).payload["searches"]]
    assert received == [
        {"fullname": "Jane Doe", "company_domain": "acme.com", "company_name": "Acme"},
        {"fullname": "Sam Poe", "company_name": "Acme"},
        {"fullname": "Ann Lee", "company_domain": "initech.com"},
        {"fullname": "Mia Chen", "company_name": "Initech"},
    ]
    # the file: titles kept above the header, every cell as read, skipped rows in place
    written = read_csv(output)
    source = read_csv(EXPORTS / "sheets_report.csv")
    assert [row[:6] for row in written] == source
    assert written[2][6:] == FOUND
    assert [row[7] for row in written[3:]] == [
        *[written[3][7], written[4][7], written[5][7]],
        *["skipped"] * 7,
        written[13][7],
        "skipped",
        "skipped",
    ]
    assert {row[7] for row in written[3:6]} <= {"found", "not found"}
    assert [row[12] for row in written[6:15]] == [
        "domain not a company's",
        "one-word name",
        "name too long",
        "no company",
        "no name",
        "email already present",
        "blank row",
        "",
        "totals or notes row",
    ]


async def test_rows_with_an_email_and_rows_as_typed_are_sent_when_asked(
    tmp_path: Path, sim: EnrowSimulator, cli: Cli
) -> None:
    args = ["find", EXPORTS / "sheets_report.csv", "--base-url", sim.base_url]
    journal = tmp_path / "a.journal"
    done = await cli(
        *args,
        "-o",
        tmp_path / "a.csv",
        "--journal",
        journal,
        "--include-rows-with-email",
        key=sim.api_key,
    )
    assert done.code == 0, done.err
    assert "rows: 13 in the table, 5 to search" in done.err
    started = [e["batch_id"] for e in journal_events(journal) if e.get("batch_id")]
    names = [s["fullname"] for bid in started for s in sim.batch(bid).payload["searches"]]
    assert "Leo Park" in names
    journal = tmp_path / "b.journal"
    done = await cli(
        *args, "-o", tmp_path / "b.csv", "--journal", journal, "--no-row-checks", key=sim.api_key
    )
    assert done.code == 0, done.err
    assert (
        "rows: 13 in the table, 8 to search, 5 skipped (1 blank row, 1 no name, 2 no company,"
        " 1 email already present)" in done.err.splitlines()
    )
    started = [e["batch_id"] for e in journal_events(journal) if e.get("batch_id")]
    sent = [s for bid in started for s in sim.batch(bid).payload["searches"]]
    assert sent[0] == {
        "fullname": "Dr. Jane Doe, PhD",
        "company_domain": "https://www.Acme.com/pricing?utm_source=x",
        "company_name": "Acme",
    }
    assert {"fullname": "Total", "company_name": "3 leads"} in sent  # as typed, as asked


async def test_an_xlsx_with_its_leads_on_a_second_sheet_keeps_its_workbook(
    tmp_path: Path, cli: Cli
) -> None:
    openpyxl = pytest.importorskip("openpyxl")
    output = tmp_path / "out.xlsx"
    done = await cli("find", EXPORTS / "campaign.xlsx", "-o", output, *SAND)
    assert done.code == 0, done.err
    assert done.err.startswith(
        "table: sheet 'Leads' (guessed: sheet 2 of 2, the first whose first rows name known"
        " columns; --sheet NAME to choose), header on row 4 (guessed: the first of rows 1-10"
        " to name two known columns; rows 1-3 above it kept as titles; --header-row N to"
        " choose)"
    )
    book = openpyxl.load_workbook(output)
    assert book.sheetnames == ["Campaign summary", "Leads"]
    summary = [list(row) for row in book["Campaign summary"].iter_rows(values_only=True)]
    assert summary == [list(row) for row in exports_summary()]
    leads = book["Leads"]
    assert leads["A1"].value == "Q3 Outbound \u2013 Leads"
    assert "A1:F1" in {str(merged) for merged in leads.merged_cells.ranges}
    rows = [list(row) for row in leads.iter_rows(min_row=4, values_only=True)]
    assert rows[0] == [
        "First Name",
        "Last Name",
        "Company",
        "Website",
        "Deal size",
        "Created",
        *FOUND,
    ]
    assert rows[1][4:6] == [250, datetime.datetime(2024, 1, 5)]  # a number, a date
    assert rows[2][4] == 99.5
    assert rows[4][4] == "=SUM(E5:E7)"  # the formula, still one
    assert [row[7] for row in rows[4:]] == ["skipped"]
    assert rows[4][12] == "totals or notes row"
    assert {row[7] for row in rows[1:4]} <= {"found", "not found"}
    book.close()
    wrong = await cli(
        "find", EXPORTS / "campaign.xlsx", "-o", tmp_path / "w.csv", "--sheet", "1", *SAND
    )
    assert wrong.code == 2
    assert "missing column(s)" in wrong.err
    assert "'Campaign', 'Sent', 'Replies'" in wrong.err


def exports_summary() -> list[tuple[object, ...]]:
    return [("Campaign", "Sent", "Replies"), ("Q3 Outbound", 120, 14)]


async def test_an_existing_output_is_replaced_only_when_asked(
    tmp_path: Path, sim: EnrowSimulator, cli: Cli
) -> None:
    write_csv(tmp_path / "in.csv", leads(10))
    output = tmp_path / "out.csv"
    output.write_text("the paid results of an earlier run\n")
    args = ["find", tmp_path / "in.csv", "-o", output, "--base-url", sim.base_url]
    refused = await cli(*args, key=sim.api_key)
    assert refused.code == 2
    assert refused.err.splitlines()[-1] == (
        f"enrow-async: {output}: already exists (the results of an earlier run?); give"
        " another -o, or --force to replace it"
    )
    assert output.read_text() == "the paid results of an earlier run\n"
    assert sim.stats.requests == {}  # nothing asked, nothing paid
    forced = await cli(*args, "--force", key=sim.api_key)
    assert forced.code == 0, forced.err
    assert read_csv(output)[0][-7:] == FOUND
    # the journal's own resume completes its output without --force
    journal = ["--journal", tmp_path / "j.journal"]
    first = await cli(*args, "--force", *journal, key=sim.api_key)
    assert first.code == 0, first.err
    again = await cli(*args, *journal, key=sim.api_key)
    assert again.code == 0, again.err
    assert "resuming: 1 batch(es) already started" in again.err


async def test_find_writes_json(tmp_path: Path, cli: Cli) -> None:
    write_csv(tmp_path / "in.csv", [["fullname", "company_domain"], ["Jim Halpert", "dm.com"], []])
    for name, given in (("out.json", []), ("out.txt", ["--format", "json"])):
        done = await cli("find", tmp_path / "in.csv", "-o", tmp_path / name, *given, *SAND)
        assert done.code == 0, done.err
        records = orjson.loads((tmp_path / name).read_bytes())
        assert [record["fullname"] for record in records] == ["Jim Halpert", ""]
        assert records[0]["enrow_status"] in ("found", "not found")
        assert (records[1]["enrow_status"], records[1]["enrow_reason"]) == ("skipped", "blank row")
        assert list(records[0]) == ["fullname", "company_domain", *FOUND]


async def test_an_input_that_already_has_the_added_columns_is_refused(
    tmp_path: Path, cli: Cli
) -> None:
    write_csv(
        tmp_path / "in.csv", [["fullname", "company_domain", "ENROW_email"], ["A B", "x.io", ""]]
    )
    done = await cli("find", tmp_path / "in.csv", "-o", tmp_path / "out.csv", *SAND)
    assert done.code == 2
    assert "already has the column(s) 'enrow_email' that enrow-async adds" in done.err


async def test_an_old_excel_workbook_gets_its_own_hint(tmp_path: Path, cli: Cli) -> None:
    (tmp_path / "leads.xls").write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(1000))
    done = await cli("find", tmp_path / "leads.xls", "-o", tmp_path / "out.csv", *SAND)
    assert done.code == 2
    assert "an old Excel workbook (.xls, Excel 97-2003)" in done.err
    assert "save it as .xlsx or as CSV" in done.err
    assert "--encoding" not in done.err


async def test_the_summary_rounds_its_share(tmp_path: Path, sim: EnrowSimulator, cli: Cli) -> None:
    """The share of emails found is rounded, as every percentage printed (2 of 3: 67%)."""
    rows = [["fullname", "company_domain"]] + [[f"Person Number{i}", "acme.com"] for i in range(3)]
    write_csv(tmp_path / "in.csv", rows)
    done = await cli(
        "find",
        tmp_path / "in.csv",
        "-o",
        tmp_path / "out.csv",
        "--base-url",
        sim.base_url,
        key=sim.api_key,
    )
    assert done.code == 0, done.err
    statuses = [row[3] for row in read_csv(tmp_path / "out.csv")[1:]]
    found = statuses.count("found")
    share = (200 * found + 3) // 6
    assert f"{found} email(s) found ({share}%), {3 - found} not found" in done.err
