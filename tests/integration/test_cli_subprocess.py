"""The ``enrow-async`` command, driven for real: ``python -m enrow_async`` in a subprocess.

Every run gets ``-W default`` so a leaked resource would show up on stderr. Simulators run
as separate processes too (``python -m enrow_async.testing`` and ``enrow-async simulator``).
"""

from __future__ import annotations

import codecs
import csv
import io
import os
import queue
import re
import signal
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import orjson
import pytest

FOUND = ["email", "qualification", "firstname", "lastname", "gender", "company"]
KEY = "sim-key"
PROGRESS = re.compile(r"^progress: (\d+)/(\d+) \((\d+)%\) batches (\d+)/(\d+)( eta \d+s)?$")


def command(*args: str | Path) -> list[str]:
    return [sys.executable, "-W", "default", "-m", "enrow_async", *map(str, args)]


ROOT = Path(__file__).parents[2]


def environ(key: str | None = None) -> dict[str, str]:
    """The test's environment, without a key unless given, importing this checkout's code."""
    env = {k: v for k, v in os.environ.items() if k != "ENROW_API_KEY"}
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    if key is not None:
        env["ENROW_API_KEY"] = key
    return env


def cli(*args: str | Path, key: str | None = None, cwd: Path | None = None, timeout: float = 60):
    return subprocess.run(
        command(*args),
        capture_output=True,
        text=True,
        env=environ(key),
        cwd=cwd,
        timeout=timeout,
        check=False,
    )


def clean(stderr: str) -> None:
    assert "Traceback" not in stderr
    assert "Warning" not in stderr


def read_csv(path: Path) -> list[list[str]]:
    text = path.read_text(encoding="utf-8-sig")
    return list(csv.reader(io.StringIO(text, newline="")))


def write_csv(path: Path, rows: list[list[str]], *, bom: bool = False, **fmt: Any) -> None:
    with path.open("w", encoding="utf-8-sig" if bom else "utf-8", newline="") as stream:
        csv.writer(stream, **fmt).writerows(rows)


def leads(count: int, header: list[str] | None = None) -> list[list[str]]:
    """Rows with mixed column spellings, quoted commas/newlines/quotes, and unusable rows."""
    rows = [
        header or ["First Name", "SURNAME", "Company Website", "Organisation", "Notes", "custom"]
    ]
    firsts = ["Ada", "Zoë", "François", "Jim", "Pam", "Ryan", "Oscar", "Kelly", "Stanley"]
    lasts = ["Lovelace", "Ramírez", "Dupont", "Halpert", "Beesly", "Howard", "Martinez"]
    for i in range(count):
        first, last = firsts[i % len(firsts)], f"{lasts[i % len(lasts)]}{i}"
        domain = f"company{i % 40}.com" if i % 3 else ""
        company = f"Company {i % 40}, Inc." if i % 3 != 1 else ""
        if i % 37 == 5:
            domain = company = ""  # no company: skipped
        if i % 53 == 7:
            first = last = ""  # no name: skipped
        note = f'row {i}, "quoted"\nsecond line' if i % 4 == 0 else f"plain {i}"
        rows.append([first, last, domain, company, note, f"id-{i}" if i % 2 else ""])
    return rows


def unusable(row: list[str]) -> bool:
    return not (row[0] or row[1]) or not (row[2] or row[3])


def check_output(source: list[list[str]], output: list[list[str]]) -> list[list[str]]:
    """Every input cell unchanged, rows in order, the found columns appended."""
    assert output[0] == source[0] + FOUND
    assert len(output) == len(source)
    width = len(source[0])
    for given, written in zip(source[1:], output[1:], strict=True):
        assert written[:width] == given
        email, qualification = written[width], written[width + 1]
        if unusable(given):
            assert qualification == "skipped"
            assert email == ""
        elif qualification == "valid":
            assert "@" in email
        else:
            assert qualification == "invalid"
            assert email == ""
    return [row[width:] for row in output[1:]]


# -- simulators in their own processes --------------------------------------------------------


def first_lines(proc: subprocess.Popen[str], count: int, timeout: float = 20) -> list[str]:
    """The first ``count`` lines the process prints (it keeps running)."""
    stream = proc.stdout
    assert stream is not None
    lines: queue.Queue[str] = queue.Queue()
    threading.Thread(
        target=lambda: [lines.put(stream.readline()) for _ in range(count)], daemon=True
    ).start()
    try:
        return [lines.get(timeout=timeout).strip() for _ in range(count)]
    except queue.Empty:
        raise AssertionError(f"no output from {proc.args}") from None


def stop(proc: subprocess.Popen[str]) -> None:
    if proc.poll() is None:
        proc.send_signal(signal.SIGINT)
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
    for stream in (proc.stdout, proc.stderr):
        if stream is not None:
            stream.close()


@pytest.fixture(scope="module")
def sim() -> Iterator[tuple[str, str]]:
    """``enrow-async simulator`` with batches of 2.5-3 s: (base URL, key)."""
    proc = subprocess.Popen(
        command("simulator", "--port", "0", "--duration", "2.5", "3"),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=environ(),
    )
    try:
        url_line, key_line = first_lines(proc, 2)
        yield url_line.rpartition(" ")[2], key_line.rpartition(" ")[2]
    finally:
        stop(proc)


def start_simulator(*args: str) -> tuple[subprocess.Popen[str], str]:
    proc = subprocess.Popen(
        [sys.executable, "-m", "enrow_async.testing", "--port", "0", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=environ(),
    )
    return proc, first_lines(proc, 1)[0]


def sim_stats(url: str) -> Any:
    with urllib.request.urlopen(f"{url}/_simulator/stats", timeout=5) as answer:
        return orjson.loads(answer.read())


def post_batch(url: str, key: str, count: int) -> str:
    search = {"fullname": "Jim Halpert", "company_domain": "dundermifflin.com"}
    body = orjson.dumps({"searches": [search] * count})
    request = urllib.request.Request(
        f"{url}/email/find/bulk",
        data=body,
        headers={"x-api-key": key, "content-type": "application/json"},
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=5) as answer:
        return str(orjson.loads(answer.read())["id"])


def journal_events(path: Path) -> list[dict[str, Any]]:
    if not path.exists():
        return []
    return [orjson.loads(line) for line in path.read_bytes().splitlines() if line.endswith(b"}")]


# -- find ---------------------------------------------------------------------------------------


def test_find_sandbox_keeps_every_row_and_cell(tmp_path: Path) -> None:
    source = leads(300)
    write_csv(tmp_path / "in.csv", source, bom=True)
    done = cli(
        "find",
        "in.csv",
        "-o",
        "out.csv",
        "--sandbox",
        "--batch-size",
        "100",
        "--progress-every",
        "0.5",
        cwd=tmp_path,
    )
    assert done.returncode == 0, done.stderr
    clean(done.stderr)
    assert (tmp_path / "out.csv").read_bytes().startswith(codecs.BOM_UTF8)
    found = check_output(source, read_csv(tmp_path / "out.csv"))
    skipped = sum(unusable(row) for row in source[1:])
    assert skipped
    assert sum(row[1] == "skipped" for row in found) == skipped
    valid = [row for row in found if row[1] == "valid"]
    assert valid
    assert all(row[2] and row[3] for row in valid)
    # plain progress lines on a non-terminal stderr, ending at 100%
    lines = [PROGRESS.match(line) for line in done.stderr.splitlines()]
    progress = [m.groups() for m in lines if m]
    sent = str(300 - skipped)
    assert len(progress) >= 2
    assert progress[0][:2] == ("0", sent)
    assert progress[-1][:5] == (sent, sent, "100", "3", "3")
    assert f"{skipped} row(s) without a name or a company" in done.stderr
    # the summary, for a first-time user
    assert f"{len(valid)} emails found" in done.stdout
    assert "credits used:" in done.stdout
    assert "output: out.csv" in done.stdout
    assert valid[0][0] in done.stdout


def test_find_keeps_dialect_and_renames_clashing_columns(
    tmp_path: Path, sim: tuple[str, str]
) -> None:
    url, key = sim
    source = [["Full Name", "Company", "Email", "custom"]]
    source += [[f"Ada Lovelace{i}", f"Engines {i}; Ltd", "", f"c{i}"] for i in range(8)]
    write_csv(tmp_path / "in.csv", source, delimiter=";", lineterminator="\r\n")
    done = cli("find", "in.csv", "-o", "out.csv", "--base-url", url, key=key, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    clean(done.stderr)
    raw = (tmp_path / "out.csv").read_bytes()
    assert raw.count(b"\r\n") == 9
    assert raw.startswith(b"Full Name;Company;Email;custom;enrow_email;qualification;")
    assert b'"Engines 0; Ltd"' in raw
    output = list(csv.reader(io.StringIO(raw.decode(), newline=""), delimiter=";"))
    assert [row[:4] for row in output] == source
    assert output[0][4:] == [
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
def test_find_refuses_bad_input(tmp_path: Path, content: bytes | None, message: list[str]) -> None:
    if content is not None:
        (tmp_path / "in.csv").write_bytes(content)
    done = cli("find", "in.csv", "-o", "out.csv", "--sandbox", cwd=tmp_path)
    assert done.returncode == 2
    assert done.stderr.count("\n") == 1, done.stderr
    assert all(part in done.stderr for part in message), done.stderr
    clean(done.stderr)
    assert not (tmp_path / "out.csv").exists()


def test_find_without_a_key(tmp_path: Path) -> None:
    (tmp_path / "empty.key").write_text("\n")
    for extra in ([], ["--key-file", "empty.key"], ["--key-file", "missing.key"]):
        done = cli(
            "find",
            ROOT / "examples/leads.csv",
            "-o",
            "o.csv",
            *extra,
            cwd=tmp_path,
        )
        assert done.returncode == 2
        assert done.stderr.count("\n") == 1, done.stderr
        clean(done.stderr)
    assert (
        "set ENROW_API_KEY, use --key-file, or try --sandbox" in cli("account", cwd=tmp_path).stderr
    )


def test_interrupted_find_resumes_without_starting_any_batch_twice(tmp_path: Path) -> None:
    proc, url = start_simulator("--duration", "3,4", "--seed", "7")
    try:
        source = leads(250)
        write_csv(tmp_path / "in.csv", source)
        args = [
            "find",
            "in.csv",
            "-o",
            "out.csv",
            "--journal",
            "j.journal",
            "--base-url",
            url,
            "--batch-size",
            "100",
            "--progress-every",
            "0.2",
        ]
        first = subprocess.Popen(
            command(*args),
            cwd=tmp_path,
            env=environ(KEY),
            text=True,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
        deadline = time.monotonic() + 15
        while sum(e["event"] == "started" for e in journal_events(tmp_path / "j.journal")) < 3:
            assert time.monotonic() < deadline
            assert first.poll() is None
            time.sleep(0.05)
        first.send_signal(signal.SIGINT)
        _stdout, stderr = first.communicate(timeout=15)
        assert first.returncode == 130, stderr
        clean(stderr)
        last = stderr.splitlines()[-1]
        assert "interrupted" in last
        assert "run the same command again" in last
        assert "j.journal" in last
        assert not (tmp_path / "out.csv").exists()
        events = journal_events(tmp_path / "j.journal")
        assert [e["event"] for e in events] == ["posting", "started"] * 3
        assert sim_stats(url)["created"] == {"/email/find/bulk": 3}

        second = cli(*args, key=KEY, cwd=tmp_path)
        assert second.returncode == 0, second.stderr
        clean(second.stderr)
        assert "resuming: 3 batch(es)" in second.stderr
        stats = sim_stats(url)
        assert stats["created"] == {"/email/find/bulk": 3}
        assert stats["requests"]["POST /email/find/bulk"] == 3
        check_output(source, read_csv(tmp_path / "out.csv"))

        # the same journal with other input is refused before anything is sent
        source[3][0] = "Someone Else"
        write_csv(tmp_path / "in.csv", source)
        third = cli(*args, key=KEY, cwd=tmp_path)
        assert third.returncode == 2
        assert "journal" in third.stderr
        assert third.stderr.count("\n") == 1
        assert sim_stats(url)["requests"]["POST /email/find/bulk"] == 3
    finally:
        stop(proc)


def test_unknown_outcome_is_recorded_and_never_sent_again(tmp_path: Path) -> None:
    proc, url = start_simulator(
        "--duration", "0.2", "--fault-rate", "drop_after=1", "--fault-methods", "POST"
    )
    try:
        write_csv(tmp_path / "in.csv", leads(20))
        args = ["find", "in.csv", "-o", "out.csv", "--journal", "j.journal", "--base-url", url]
        first = cli(*args, key=KEY, cwd=tmp_path)
        assert first.returncode == 1
        clean(first.stderr)
        notes = first.stderr.splitlines()
        assert "may have been created" in notes[-1]
        assert "--resend-unknown" in notes[-1]
        assert "without a name" in notes[0]
        assert len(notes) == 2
        assert [e["event"] for e in journal_events(tmp_path / "j.journal")] == [
            "posting",
            "unknown",
        ]
        second = cli(*args, key=KEY, cwd=tmp_path)
        assert second.returncode == 1
        assert "may or may not have started" in second.stderr
        assert sim_stats(url)["requests"]["POST /email/find/bulk"] == 1
        rows = read_csv(tmp_path / "out.csv")
        assert {row[7] for row in rows[1:]} <= {"unknown", "skipped"}
    finally:
        stop(proc)


# -- the other commands -------------------------------------------------------------------------


def test_results_wait_and_formats(tmp_path: Path, sim: tuple[str, str]) -> None:
    url, key = sim
    batch_id = post_batch(url, key, 5)
    ongoing = cli("results", batch_id, "--base-url", url, key=key)
    assert ongoing.returncode == 1
    assert ongoing.stderr.count("\n") == 1
    assert "still ongoing" in ongoing.stderr
    assert "/5 searches done" in ongoing.stderr
    assert ongoing.stdout == ""

    waited = cli("wait", batch_id, "-o", "w.csv", "--base-url", url, key=key, cwd=tmp_path)
    assert waited.returncode == 0, waited.stderr
    clean(waited.stderr)
    rows = read_csv(tmp_path / "w.csv")
    assert rows[0][:6] == [
        "batch_id",
        "index",
        "fullname",
        "company_domain",
        "company_name",
        "custom",
    ]
    assert [row[1] for row in rows[1:]] == ["0", "1", "2", "3", "4"]

    as_csv = cli("results", batch_id, "--base-url", url, key=key)
    assert as_csv.returncode == 0, as_csv.stderr
    assert list(csv.reader(io.StringIO(as_csv.stdout))) == rows
    as_jsonl = cli("results", batch_id, "--format", "jsonl", "--base-url", url, key=key)
    records = [orjson.loads(line) for line in as_jsonl.stdout.splitlines()]
    assert [r["index"] for r in records] == [0, 1, 2, 3, 4]
    assert {r["qualification"] for r in records} <= {"valid", "invalid"}
    as_json = cli("results", batch_id, "--format", "json", "--base-url", url, key=key)
    batch = orjson.loads(as_json.stdout)
    assert batch["id"] == batch_id
    assert batch["status"] == "completed"
    assert len(batch["results"]) == 5


def test_verify_both_input_styles(tmp_path: Path, sim: tuple[str, str]) -> None:
    url, key = sim
    addresses = ["ada@example.com", "not an address", "jim@dundermifflin.com", "", "pam@x.io"]
    (tmp_path / "list.txt").write_text("\n".join(addresses) + "\n")
    write_csv(tmp_path / "people.csv", [["Name", "E-mail"], *[["n", a] for a in addresses]])
    runs = [
        subprocess.Popen(
            command("verify", name, "-o", f"{name}.out.csv", "--base-url", url),
            cwd=tmp_path,
            env=environ(key),
            text=True,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
        for name in ("list.txt", "people.csv")
    ]
    for run in runs:
        stdout, stderr = run.communicate(timeout=30)
        assert run.returncode == 0, stderr
        clean(stderr)
        assert "verified 3 address(es)" in stdout
    listed = read_csv(tmp_path / "list.txt.out.csv")
    assert listed[0] == ["email", "qualification"]
    assert [row[0] for row in listed[1:]] == [a for a in addresses if a]
    checked = read_csv(tmp_path / "people.csv.out.csv")
    assert checked[0] == ["Name", "E-mail", "qualification"]
    assert [row[1] for row in checked[1:]] == addresses
    for rows in (listed, checked):
        qualifications = {row[0] if len(row) == 2 else row[1]: row[-1] for row in rows[1:]}
        assert qualifications["not an address"] == "skipped"
        assert {qualifications[a] for a in addresses if "@" in a} <= {"valid", "invalid"}


def test_account(sim: tuple[str, str]) -> None:
    url, key = sim
    done = cli("account", "--base-url", url, key=key)
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("credits: ")
    wrong = cli("account", "--base-url", url, key="wrong-key")
    assert wrong.returncode == 1
    assert wrong.stderr.startswith("enrow-async: error: HTTP 401")
    assert "wrong-key" not in wrong.stderr
    assert wrong.stderr.count("\n") == 1


def test_the_library_never_imports_rich() -> None:
    code = "import sys, enrow_async.cli, enrow_async.testing; print('rich' in sys.modules)"
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, env=environ()
    )
    assert done.stdout.strip() == "False"
