"""The notebook session of ``docs/notebooks.md``, run as Jupyter runs it: its cells, in order,
in an IPython kernel (ipykernel, autoawait) of its own process, against the simulator
served on 127.0.0.1; the first enrichment is interrupted (the kernel's SIGINT) once its
batches have started, and the same cell run again resumes over the journal."""

from __future__ import annotations

import csv
import os
import queue
import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import jupyter_client
import pytest

from enrow_async import JournalFile, RecordState
from enrow_async.testing import SimulatorConfig, SimulatorThread

ROOT = Path(__file__).parents[3]
PAGE = ROOT / "docs" / "notebooks.md"
CELL = re.compile(r"^```py\n(.*?)^```", re.S | re.M)
ROWS = 12_000
"""Leads in the session's ``leads.csv``: three batches (5,000 distinct searches a batch)."""
FIND = ("POST", "/email/find/bulk")
LIMIT = 120.0
"""Seconds any one message of the kernel may take to come (a stuck kernel fails the test)."""


def write_leads(path: Path) -> None:
    """``ROWS`` leads: a tenth repeat earlier people in other spellings, and two rows are
    junk (a blank row, a totals row)."""
    distinct = ROWS * 9 // 10
    with path.open("w", newline="", encoding="utf-8") as stream:
        writer = csv.writer(stream)
        writer.writerow(["First Name", "Last Name", "Website", "Company"])
        for i in range(ROWS - 2):
            person = i if i < distinct else (i * 7919) % distinct
            domain = f"company{person % 997}.com"
            first = f"First{person}"
            if i >= distinct:
                first, domain = first.upper(), f"https://www.{domain}/about"
            writer.writerow([first, f"Last{person}", domain, f"Company {person % 997}"])
        writer.writerow(["", "", "", ""])
        writer.writerow(["Total", "", "", ""])


class Kernel:
    """An IPython kernel in its own process, and what each cell it ran sent back."""

    def __init__(self, cwd: Path, env: dict[str, str]) -> None:
        self.manager = jupyter_client.KernelManager(kernel_name="python3", transport="ipc")
        self.manager.connection_file = str(cwd / "kernel.json")
        self.manager.ip = str(cwd / "kernel")  # the sockets' path, with ipc
        self.manager.start_kernel(cwd=str(cwd), env=env)
        self.client = self.manager.client()
        self.client.start_channels()
        self.client.wait_for_ready(timeout=LIMIT)

    def close(self) -> None:
        self.client.stop_channels()
        self.manager.shutdown_kernel(now=True)

    def run(self, code: str, meanwhile: Callable[[], None] = lambda: None) -> dict[str, Any]:
        """Run one cell; ``meanwhile()`` is called while it runs. Its outputs: ``stdout``,
        ``stderr``, ``result`` (the text of its value) and ``error`` (the exception's name)."""
        parent = self.client.execute(code)
        out: dict[str, Any] = {"stdout": "", "stderr": "", "result": None, "error": None}
        while True:
            try:
                message = self.client.get_iopub_msg(timeout=0.05)
            except queue.Empty:
                meanwhile()
                continue
            if message["parent_header"].get("msg_id") != parent:
                continue
            kind, content = message["msg_type"], message["content"]
            if kind == "stream":
                out[content["name"]] += content["text"]
            elif kind == "execute_result":
                out["result"] = content["data"]["text/plain"]
            elif kind == "error":
                out["error"] = content["ename"]
            elif kind == "status" and content["execution_state"] == "idle":
                break
        self.client.get_shell_msg(timeout=LIMIT)
        return out


@pytest.fixture
def kernel(tmp_path: Path, served: SimulatorThread) -> Iterator[Kernel]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("ENROW_")}
    env |= {"ENROW_API_KEY": served.api_key, "ENROW_BASE_URL": served.base_url}
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    env["JUPYTER_PLATFORM_DIRS"] = "1"  # no warning about jupyter_core's old paths
    env["IPYTHONDIR"] = str(tmp_path / "ipython")  # its history there, not in the home
    started = Kernel(tmp_path, env)
    try:
        yield started
    finally:
        started.close()


@pytest.fixture
def served() -> Iterator[SimulatorThread]:
    with SimulatorThread(SimulatorConfig(duration=3.0, seed=3)) as simulator:
        yield simulator


def test_the_notebook_session_runs_and_resumes_after_an_interrupt(
    kernel: Kernel, served: SimulatorThread, tmp_path: Path
) -> None:
    cells = CELL.findall(PAGE.read_text(encoding="utf-8"))
    assert len(cells) >= 7
    enrich = next(i for i, cell in enumerate(cells) if "await find_emails_frame(" in cell)
    assert cells[enrich + 1] == cells[enrich]  # the same cell, run again
    write_leads(tmp_path / "leads.csv")
    journal = JournalFile(tmp_path / "leads.journal")
    interrupted = False

    def interrupt_once_started() -> None:
        nonlocal interrupted
        started = [e for e in journal.read() if e.state is RecordState.STARTED]
        if not interrupted and len(started) == 3:
            kernel.manager.interrupt_kernel()  # Jupyter's ■: SIGINT to the kernel
            interrupted = True

    outputs = []
    for number, cell in enumerate(cells):
        meanwhile = interrupt_once_started if number == enrich else lambda: None
        outputs.append(kernel.run(cell, meanwhile))
        if number != enrich:
            assert outputs[-1]["error"] is None, (cell, outputs[-1])
    assert interrupted
    assert outputs[enrich]["error"] == "CancelledError"
    posts = served.call(lambda sim: sim.stats.requests[FIND])
    assert posts == 3  # the interrupted run's batches were waited for again, not paid again

    resumed = outputs[enrich + 1]
    assert resumed["stdout"].startswith("columns: name <- 'First Name' + 'Last Name'")
    summary = resumed["stdout"].splitlines()[-1]
    assert summary.startswith(f"searched {ROWS - 2} row(s) (")  # the CLI's words
    assert ", 2 row(s) skipped; " in summary
    assert "credits: 10800 reserved" in summary
    assert "searches: 100%" in resumed["stderr"]  # the bar, as text (no ipywidgets here)

    with (tmp_path / "found.csv").open(encoding="utf-8", newline="") as stream:
        rows = list(csv.DictReader(stream))
    assert len(rows) == ROWS
    assert list(rows[0])[4:] == [
        "email",
        "qualification",
        "firstname",
        "lastname",
        "gender",
        "enrow_company",  # the leads have a Company column of their own
        "note",
    ]
    assert {row["qualification"] for row in rows[:-2]} <= {"valid", "invalid"}
    assert [row["note"] for row in rows[-2:]] == ["blank row", "totals or notes row"]
    assert any(output["result"] and "valid" in output["result"] for output in outputs)
    assert served.call(lambda sim: sim.stats.requests[("POST", "/email/verify/bulk")]) >= 1
