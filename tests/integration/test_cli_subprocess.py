"""The ``enrow-async`` command end to end: ``python -m enrow_async`` in a subprocess.

Only what needs a process of its own is here: the entry points, the ``--sandbox`` run a
first-time user tries, Ctrl-C (SIGINT) and the resume after it, the simulator command, and
what the command imports (every other way a run ends: test_cli_endings.py). Everything
else runs in-process (tests/unit/cli). Every run gets ``-W default``, so a leaked resource
would show on stderr, and imports this checkout.
"""

from __future__ import annotations

import csv
import io
import os
import shutil
import signal
import subprocess
import sys
import urllib.request
from pathlib import Path

import anyio
import orjson
import pytest
from anyio.abc import Process
from anyio.streams.buffered import BufferedByteReceiveStream
from cli_support import (
    FOUND,
    ROOT,
    clean,
    command,
    environ,
    journal_states,
    read_csv,
    read_line,
)

from enrow_async.testing import EnrowSimulator, ManualClock, SimulatorConfig

LEADS = ROOT / "examples/leads.csv"


def cli(*args: str | Path, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        command(*args), capture_output=True, text=True, env=environ(), cwd=cwd, timeout=60
    )


async def ctrl_c_at_progress(
    args: list[str], cwd: Path, env: dict[str, str]
) -> tuple[int | None, list[str]]:
    """Run the command, press Ctrl-C (SIGINT) at its first progress line (every batch is
    started by then), and return its exit status and its stderr from that line on."""
    with anyio.fail_after(60):
        proc: Process
        async with await anyio.open_process(command(*args), cwd=cwd, env=env) as proc:
            assert proc.stderr is not None
            stderr = BufferedByteReceiveStream(proc.stderr)
            seen = ""
            while not seen.startswith("progress: "):
                seen = await read_line(stderr)
            proc.send_signal(signal.SIGINT)
            lines = [seen]
            try:
                while True:
                    lines.append(await read_line(stderr))
            except (anyio.EndOfStream, anyio.IncompleteRead):
                pass
    return proc.returncode, lines


def test_help_from_the_module_and_the_console_script() -> None:
    done = cli("--help")
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("usage: enrow-async")
    script = shutil.which("enrow-async", path=str(Path(sys.executable).parent))
    if script is None:
        pytest.skip("the enrow-async script is not installed next to this Python")
    scripted = subprocess.run(
        [script, "--help"], capture_output=True, text=True, env=environ(), timeout=60
    )
    assert scripted.returncode == 0, scripted.stderr
    assert scripted.stdout == done.stdout


def test_find_in_the_sandbox(tmp_path: Path) -> None:
    done = cli(
        "find",
        LEADS,
        "-o",
        "found.csv",
        "--sandbox",
        "--sandbox-duration",
        "0.2,0.5",
        cwd=tmp_path,
    )
    assert done.returncode == 0, done.stderr
    clean(done.stderr)
    assert "sandbox: the built-in simulator at http://127.0.0.1:" in done.stderr
    assert "progress: " in done.stderr
    assert "output: found.csv" in done.stderr
    assert done.stdout == ""  # human lines on stderr only
    source, found = read_csv(LEADS), read_csv(tmp_path / "found.csv")
    assert len(found) == len(source)
    assert [row[: len(source[0])] for row in found] == source
    assert {row[len(source[0]) + 1] for row in found[1:]} <= {"found", "not found", "skipped"}


@pytest.mark.anyio
async def test_ctrl_c_keeps_the_journal_and_the_same_command_resumes(tmp_path: Path) -> None:
    clock = ManualClock()  # the batches stay ongoing until the clock moves
    config = SimulatorConfig(clock=clock, duration=10.0, seed=7)
    rows = [["fullname", "company_domain"]]
    rows += [[f"Person {i}", f"company{i % 40}.com"] for i in range(250)]
    with (tmp_path / "in.csv").open("w", newline="") as stream:
        csv.writer(stream).writerows(rows)
    args = ["find", "in.csv", "-o", "out.csv", "--journal", "j.journal", "--batch-size", "100"]
    args += ["--progress-every", "0.1"]
    async with EnrowSimulator(config, host="127.0.0.1", port=0) as sim:
        args += ["--base-url", sim.base_url]
        env = environ(sim.api_key)
        code, lines = await ctrl_c_at_progress(args, tmp_path, env)
        assert code == 130, lines
        clean("".join(lines))
        last = lines[-1]
        assert "interrupted; 3 batch(es) were started and keep running" in last
        assert "(recorded in j.journal)" in last
        assert last.endswith("to resume without paying twice, run the same command again")
        assert not (tmp_path / "out.csv").exists()
        assert journal_states(tmp_path / "j.journal") == ["posting", "started"] * 3

        clock.advance(10.0)
        with anyio.fail_after(60):
            second = await anyio.run_process(command(*args), cwd=tmp_path, env=env, check=False)
        assert second.returncode == 0, second.stderr
        clean(second.stderr.decode())
        assert "resuming: 3 batch(es)" in second.stderr.decode()
        assert sim.stats.created == {"/email/find/bulk": 3}
        assert sim.stats.requests["POST", "/email/find/bulk"] == 3
    assert len(read_csv(tmp_path / "out.csv")) == 251


def test_the_simulator_command_serves_until_ctrl_c() -> None:
    proc = subprocess.Popen(
        command("simulator", "--port", "0"),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=environ(),
    )
    try:
        assert proc.stdout is not None
        url = proc.stdout.readline().strip()  # the address alone on stdout, as -m testing
        assert url.startswith("http://127.0.0.1:")
        key = "sim-key"  # the default of both entry points
        request = urllib.request.Request(f"{url}/account/info", headers={"x-api-key": key})
        with urllib.request.urlopen(request, timeout=10) as answer:
            assert "credits" in orjson.loads(answer.read())
        proc.send_signal(signal.SIGINT)
        _, stderr = proc.communicate(timeout=20)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
    assert proc.returncode == 0, stderr
    lines = stderr.splitlines()
    assert lines[0] == f"Enrow simulator at {url}, API key: {key}"
    assert lines[1].startswith(f"try: enrow-async sample > leads.csv && ENROW_API_KEY={key}")
    assert lines[2:] == ["Ctrl-C to stop", "enrow-async: simulator stopped"]


def test_the_library_never_imports_rich() -> None:
    code = "import sys, enrow_async.cli, enrow_async.testing; print('rich' in sys.modules)"
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, env=environ()
    )
    assert done.stdout.strip() == "False"


def test_data_alone_on_stdout_and_a_closed_pipe_ends_quietly(tmp_path: Path) -> None:
    """``find -o -``: the CSV alone on stdout; ``... | head -1``: exit 141, no traceback."""
    rows = [["fullname", "company_domain", "notes"]]
    rows += [[f"Person {i}", f"company{i % 40}.com", "x" * 60] for i in range(3000)]
    with (tmp_path / "in.csv").open("w", newline="") as stream:
        csv.writer(stream).writerows(rows)
    args = ["find", "in.csv", "-o", "-", "--sandbox", "--sandbox-duration", "0"]
    done = cli(*args, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    written = list(csv.reader(io.StringIO(done.stdout, newline="")))
    assert written[0] == [*rows[0], *FOUND]
    assert len(written) == len(rows)
    assert "email(s) found" in done.stderr
    assert "output: -" in done.stderr
    proc = subprocess.Popen(
        command(*args), stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=environ(), cwd=tmp_path
    )
    assert proc.stdout is not None
    assert proc.stderr is not None
    assert proc.stdout.readline().startswith(b"fullname,")
    proc.stdout.close()  # what head -1 does
    stderr = proc.stderr.read().decode()
    proc.stderr.close()
    assert proc.wait(timeout=60) == 141, stderr
    clean(stderr)
    assert "unexpected error" not in stderr
    assert "BrokenPipe" not in stderr


def test_the_sample_ships_inside_the_package(tmp_path: Path) -> None:
    """The help's first command works from any directory (a wheel, not the checkout)."""
    sample = cli("sample", cwd=tmp_path)
    assert sample.returncode == 0, sample.stderr
    (tmp_path / "leads.csv").write_text(sample.stdout, encoding="utf-8", newline="")
    done = cli(
        "find", "leads.csv", "-o", "found.csv", "--sandbox", "--sandbox-duration", "0", cwd=tmp_path
    )
    assert done.returncode == 0, done.stderr
    assert len(read_csv(tmp_path / "found.csv")) == len(read_csv(LEADS))


@pytest.mark.anyio
async def test_ctrl_c_in_the_sandbox_never_suggests_resuming(tmp_path: Path) -> None:
    """The sandbox's batches end with its simulator: the hint says to start over."""
    (tmp_path / "in.csv").write_bytes(LEADS.read_bytes())
    args = ["find", "in.csv", "-o", "out.csv", "--sandbox", "--sandbox-duration", "60"]
    args += ["--progress-every", "0.1"]
    code, lines = await ctrl_c_at_progress(args, tmp_path, environ())
    assert code == 130, lines
    clean("".join(lines))
    assert lines[-1] == (
        "enrow-async: interrupted; the sandbox's batches ended with its simulator (no credits"
        " were spent): run the command again to start over"
    )
    assert "resume" not in "".join(lines)
    assert not [p for p in os.listdir(tmp_path) if p.endswith(".journal")]
