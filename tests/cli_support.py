"""Helpers of the command line's tests, in process (``tests/unit/cli``) and in a subprocess
(``tests/integration``): CSV files of people, what ``find`` must write, the journal's
events, and the subprocess's command, environment and stderr."""

from __future__ import annotations

import csv
import io
import os
import signal
import sys
from collections.abc import Awaitable
from pathlib import Path
from typing import Any, Protocol

import attrs
import orjson
from anyio.streams.buffered import BufferedByteReceiveStream

from enrow_async import PollPolicy

ROOT = Path(__file__).parents[1]
FAST = PollPolicy(initial=0.01, min_interval=0.01, max_interval=0.05, spread=0.0)
"""Polls every few milliseconds: the batches of these tests finish at once."""

FOUND = [
    "enrow_email",
    "enrow_status",
    "enrow_firstname",
    "enrow_lastname",
    "enrow_gender",
    "enrow_company",
    "enrow_reason",
]
"""The columns ``find`` appends to a table, in order."""


CAUSES = [
    (signal.SIGINT, 130, ""),
    (signal.SIGTERM, 143, "SIGTERM"),
    (signal.SIGHUP, 129, "SIGHUP"),
    (signal.SIGPIPE, 141, "stdout closed"),
]
"""What can interrupt a run: the cause, the exit status it gives (128 + the signal's
number), and how the last line names it (Ctrl-C needs no name)."""


@attrs.frozen
class Ran:
    """One in-process run of the command line: exit status, stdout, stderr."""

    code: int
    out: str
    err: str


class Cli(Protocol):
    """The ``cli`` fixture: ``await cli("find", ..., key=...)``."""

    def __call__(self, *argv: str | Path, key: str | None = None) -> Awaitable[Ran]: ...


def read_csv(path: Path) -> list[list[str]]:
    """The rows of a CSV file as the command line writes it (a BOM or none)."""
    text = path.read_text(encoding="utf-8-sig")
    return list(csv.reader(io.StringIO(text, newline="")))


def write_csv(path: Path, rows: list[list[str]], *, bom: bool = False, **fmt: Any) -> None:
    with path.open("w", encoding="utf-8-sig" if bom else "utf-8", newline="") as stream:
        csv.writer(stream, **fmt).writerows(rows)


def leads(count: int) -> list[list[str]]:
    """Rows with mixed column spellings, quoted commas/newlines/quotes, and unusable rows."""
    rows = [["First Name", "SURNAME", "Company Website", "Organisation", "Notes", "custom"]]
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


def check_output(
    source: list[list[str]], output: list[list[str]], *, missing: str | None = None
) -> list[list[str]]:
    """Every input cell unchanged, rows in order, the found columns appended; every usable
    row found or not, or (``missing``) written with that status."""
    assert output[0] == source[0] + FOUND
    assert len(output) == len(source)
    width = len(source[0])
    for given, written in zip(source[1:], output[1:], strict=True):
        assert written[:width] == given
        email, status = written[width], written[width + 1]
        if unusable(given):
            assert status == "skipped"
            assert written[-1] in ("no name", "no company")
            assert email == ""
        elif missing is not None:
            assert status == missing
            assert email == ""
        elif status == "found":
            assert "@" in email
        else:
            assert status == "not found"
            assert email == ""
    return [row[width:] for row in output[1:]]


def check_stopped_at_the_deadline(ran: Ran, batches: int, reserved: str) -> None:
    """A run stopped by its ``--timeout`` with ``batches`` still running: exit 1, the last
    line says to run the same command again, and what those batches reserved is said (a
    timeout does not hide it)."""
    assert ran.code == 1, ran.err
    last = ran.err.splitlines()[-1]
    assert f"{batches} batch(es) still running at the deadline" in last
    assert last.endswith("; to resume without paying twice, run the same command again")
    assert f"credits: {reserved} reserved; {batches} batch(es) not settled yet" in ran.err


# -- in a subprocess: python -m enrow_async -------------------------------------------------


def command(*args: str | Path) -> list[str]:
    """``python -W default -m enrow_async ARGS``: a leaked resource shows on stderr."""
    return [sys.executable, "-W", "default", "-m", "enrow_async", *map(str, args)]


def environ(key: str | None = None) -> dict[str, str]:
    """The test's environment, without a key unless given, importing this checkout's code."""
    env = {k: v for k, v in os.environ.items() if k != "ENROW_API_KEY"}
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    if key is not None:
        env["ENROW_API_KEY"] = key
    return env


def clean(stderr: str) -> None:
    assert "Traceback" not in stderr
    assert "Warning" not in stderr


async def read_line(stream: BufferedByteReceiveStream) -> str:
    return (await stream.receive_until(b"\n", 1 << 16)).decode()


def journal_events(path: Path) -> list[dict[str, Any]]:
    """The events of a run's journal, in order."""
    return [orjson.loads(line) for line in path.read_bytes().splitlines()]


def journal_states(path: Path) -> list[str]:
    """The state of each event of a run's journal, in order."""
    return [event["state"] for event in journal_events(path)]
