"""Every way a ``find`` run ends before it is done keeps its record, says on stderr how to
resume, and the same command run again pays for no batch twice: SIGINT, SIGTERM, SIGHUP,
stdout's reader going away (early, or at the final write), a POST refused mid-run, an
output that cannot be written at the end, and a timeout.

Each test serves a simulator on 127.0.0.1, runs ``python -m enrow_async find`` on 2,000
distinct rows in 20 batches (the client starts 10 at once, then 10 a second), ends it
mid-run, runs the command its hint names, and counts the POSTs the simulator saw across
both runs. The simulator's batches progress on a ``ManualClock``, frozen until a test lets
it tick, so a run never ends on its own before the test has ended it.
"""

from __future__ import annotations

import csv
import io
import os
import pty
import re
import select
import signal
import subprocess
import sys
import threading
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import anyio
import attrs
import pytest
from anyio.abc import ByteReceiveStream, Process
from cli_support import FOUND, clean, command, environ, journal_events, read_csv
from helpers import BULK

from enrow_async import EmailSearch, EnrowClient
from enrow_async.testing import EnrowSimulator, ManualClock, SimulatorConfig

pytestmark = [pytest.mark.anyio, pytest.mark.usefixtures("leads")]

ROWS, SIZE = 2000, 100
BATCHES = ROWS // SIZE
HEADER = ["fullname", "company_domain", "notes"]


@attrs.frozen
class Ended:
    """One finished run: exit status, stdout's bytes (when the test read them), stderr."""

    code: int
    out: bytes
    err: str

    @property
    def last(self) -> str:
        return self.err.splitlines()[-1]

    def journal(self) -> str:
        """The journal the hint tells to run the same command again with."""
        named = re.search(r"--journal (\S+)$", self.last)
        assert named is not None, self.err
        return named[1]


@pytest.fixture
def leads(tmp_path: Path) -> Path:
    """``in.csv``: ROWS distinct people (about 190 KB once found: more than a pipe holds)."""
    with (tmp_path / "in.csv").open("w", newline="") as stream:
        writer = csv.writer(stream)
        writer.writerow(HEADER)
        writer.writerows([f"Person {i}", f"company{i}.com", "x" * 60] for i in range(ROWS))
    return tmp_path / "in.csv"


@asynccontextmanager
async def serving(**config: Any) -> AsyncIterator[tuple[EnrowSimulator, ManualClock]]:
    """A simulator whose batches take 1 s on a clock that moves only when told to."""
    clock = ManualClock()
    # No POST limit on the simulator's side: the client keeps to it, and a 429 resent would
    # count as one more POST.
    settings = SimulatorConfig(clock=clock, duration=1.0, seed=7, post_rate_limit=None, **config)
    async with EnrowSimulator(settings, host="127.0.0.1", port=0) as sim:
        yield sim, clock


@asynccontextmanager
async def ticking(clock: ManualClock, after: anyio.Event | None = None) -> AsyncIterator[None]:
    """The simulator's clock runs 50 times faster than real time while this is open (once
    ``after`` is set, if given)."""

    async def tick() -> None:
        if after is not None:
            await after.wait()
        while True:
            await anyio.sleep(0.02)
            clock.advance(1.0)

    async with anyio.create_task_group() as tg:
        tg.start_soon(tick)
        yield
        tg.cancel_scope.cancel()


async def created(sim: EnrowSimulator, count: int = 1) -> None:
    """Return once ``count`` batches were created (the first run is then mid-run)."""
    while sim.stats.created[BULK] < count:  # noqa: ASYNC110 (stats are plain counters)
        await anyio.sleep(0.01)


async def _drain(stream: ByteReceiveStream | None, into: bytearray) -> None:
    if stream is not None:
        async for chunk in stream:
            into += chunk


class Terminal:
    """A pseudo-terminal for a command's stdout and stderr, read as a terminal emulator
    would until the command ends, or until ``hang_up()`` closes it (an SSH session that
    drops)."""

    def __init__(self) -> None:
        self.master, self.child = pty.openpty()
        self.screen = bytearray()
        self._gone = threading.Event()
        self._closed = threading.Event()

    def read(self) -> None:
        """In a thread: read the screen until the command ends or the terminal hangs up."""
        try:
            while not self._gone.is_set():
                if not select.select([self.master], [], [], 0.02)[0]:
                    continue
                try:
                    chunk = os.read(self.master, 1 << 16)
                except OSError:  # EIO: the command ended, and its side of the terminal
                    return
                if not chunk:
                    return
                self.screen += chunk
        finally:
            os.close(self.master)
            self._closed.set()

    async def hang_up(self) -> None:
        self._gone.set()
        await anyio.to_thread.run_sync(self._closed.wait)


async def run(
    argv: Sequence[str | Path],
    cwd: Path,
    sim: EnrowSimulator,
    *,
    during: Callable[[Process], Awaitable[None]] | None = None,
    stdout: int = subprocess.PIPE,
    terminal: Terminal | None = None,
) -> Ended:
    """Run ``argv`` (``--base-url`` added), reading its stdout (unless ``stdout`` is a file
    descriptor, given to the child alone) and stderr, or the ``terminal`` both go to;
    ``during`` acts while it runs."""
    out, err = bytearray(), bytearray()
    env = environ(sim.api_key)
    if terminal is not None:
        env["TERM"] = "xterm-256color"
        stdout = terminal.child
    with anyio.fail_after(60):
        proc: Process
        async with await anyio.open_process(
            [*argv, "--base-url", sim.base_url],
            cwd=cwd,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=stdout,
            stderr=subprocess.PIPE if terminal is None else terminal.child,
        ) as proc:
            if stdout != subprocess.PIPE:
                os.close(stdout)
            async with anyio.create_task_group() as tg:
                tg.start_soon(_drain, proc.stdout, out)
                tg.start_soon(_drain, proc.stderr, err)
                if terminal is not None:
                    tg.start_soon(anyio.to_thread.run_sync, terminal.read)
                if during is not None:
                    await during(proc)
                await proc.wait()
    assert proc.returncode is not None
    return Ended(proc.returncode, bytes(out), err.decode())


def find(*more: str | Path, output: str = "out.csv") -> list[str]:
    """``find in.csv -o OUTPUT`` in batches of SIZE, with ``more`` options."""
    args = ["find", "in.csv", "-o", output, "--batch-size", str(SIZE), "--progress-every", "0.1"]
    return command(*args, *more)


def once_started(
    sim: EnrowSimulator, act: Callable[[Process], object]
) -> Callable[[Process], Awaitable[None]]:
    """``act(proc)`` as soon as the run's first batch was created."""

    async def during(proc: Process) -> None:
        await created(sim)
        act(proc)

    return during


def check_paid_once(
    sim: EnrowSimulator, journal: Path, *, refused: int = 0, others: int = 0
) -> None:
    """Each batch of the run was POSTed and created exactly once across both runs, and each
    distinct search is in exactly one of them (plus ``refused`` POSTs that created nothing
    and ``others`` the test made itself)."""
    stats = sim.stats
    assert stats.created[BULK] == BATCHES + others
    assert stats.requests["POST", BULK] == BATCHES + refused + others
    started = [e for e in journal_events(journal) if e["state"] == "started"]
    searches = [digest for entry in started for digest in entry["items"]]
    assert len(started) == BATCHES
    assert len(searches) == len(set(searches)) == ROWS


async def resume(
    sim: EnrowSimulator,
    clock: ManualClock,
    cwd: Path,
    journal: str,
    *,
    output: str = "out.csv",
    refused: int = 0,
    others: int = 0,
) -> Ended:
    """The same command again with ``--journal JOURNAL``, the clock ticking: it resumes and
    ends well, and across both runs each batch was paid for once (:func:`check_paid_once`)."""
    async with ticking(clock):
        second = await run(find("--journal", journal, output=output), cwd, sim)
    assert second.code == 0, second.err
    clean(second.err)
    assert "enrow-async: resuming: " in second.err
    check_paid_once(sim, cwd / journal, refused=refused, others=others)
    return second


def check_found(rows: list[list[str]]) -> None:
    """Every input row, in order, with a result."""
    assert rows[0] == [*HEADER, *FOUND]
    assert [row[0] for row in rows[1:]] == [f"Person {i}" for i in range(ROWS)]
    assert {row[len(HEADER) + 1] for row in rows[1:]} <= {"found", "not found"}


def resume_hint(journal: str, prefix: str = "", ended: str = "interrupted") -> str:
    """The last line of a run stopped mid-run (``ended``: interrupted, or stopped by a
    failure), as a pattern."""
    return (
        rf"enrow-async: {prefix}{ended}; \d+ batch\(es\) were started and keep running"
        rf" \(recorded in {re.escape(journal)}\); to resume without paying twice, run the same"
        rf" command again with --journal {re.escape(journal)}"
    )


@pytest.mark.parametrize(
    ("number", "status", "prefix"),
    [
        (signal.SIGINT, 130, ""),
        (signal.SIGTERM, 143, "SIGTERM: "),
        (signal.SIGHUP, 129, "SIGHUP: "),
    ],
)
async def test_a_signal_keeps_the_record_and_the_same_command_resumes(
    tmp_path: Path, number: signal.Signals, status: int, prefix: str
) -> None:
    async with serving() as (sim, clock):
        first = await run(
            find(), tmp_path, sim, during=once_started(sim, lambda p: p.send_signal(number))
        )
        assert first.code == status, first.err
        clean(first.err)
        assert re.fullmatch(resume_hint("out.csv.journal", prefix), first.last), first.last
        assert not (tmp_path / "out.csv").exists()
        await resume(sim, clock, tmp_path, first.journal())
    check_found(read_csv(tmp_path / "out.csv"))


def csv_rows(data: bytes) -> list[list[str]]:
    return list(csv.reader(io.StringIO(data.decode("utf-8-sig"), newline="")))


async def test_a_closed_stdout_stops_the_run_before_more_is_paid(tmp_path: Path) -> None:
    """``find ... -o - | reader`` whose reader goes away mid-run: stopped at once (the
    batches never end here, so only the closed pipe can end the run), exit 141."""
    async with serving() as (sim, clock):
        reader, writer = os.pipe()
        first = await run(
            find(output="-"),
            tmp_path,
            sim,
            stdout=writer,
            during=once_started(sim, lambda _: os.close(reader)),
        )
        assert first.code == 141, first.err
        clean(first.err)
        assert re.fullmatch(resume_hint("in.csv.journal", "stdout closed: "), first.last)
        assert sim.stats.created[BULK] < BATCHES
        second = await resume(sim, clock, tmp_path, first.journal(), output="-")
    check_found(csv_rows(second.out))


async def test_a_stdout_closed_at_the_final_write_keeps_what_was_paid(tmp_path: Path) -> None:
    """``find ... -o - | head -c 100``: every batch was paid for when the reader goes; the
    hint says how to get the results again, and that costs no POST."""
    async with serving() as (sim, clock):
        reader, writer = os.pipe()

        async def head(_: Process) -> None:
            await anyio.to_thread.run_sync(os.read, reader, 100)
            os.close(reader)

        async with ticking(clock):
            first = await run(find(output="-"), tmp_path, sim, stdout=writer, during=head)
        assert first.code == 141, first.err
        clean(first.err)
        assert re.fullmatch(resume_hint("in.csv.journal", "stdout closed: "), first.last)
        assert f"; {BATCHES} batch(es) were started" in first.last
        second = await resume(sim, clock, tmp_path, first.journal(), output="-")
    check_found(csv_rows(second.out))


async def test_a_post_refused_mid_run_keeps_the_record(tmp_path: Path) -> None:
    """Another user of the account spends its credits mid-run: the next POST is refused
    (402), the starting stops there, the started batches are waited for and written, and
    the run exits 1 naming the journal; once the misses are refunded, the same command with
    the journal starts only what was not started."""
    async with serving(credits=float(ROWS), valid_rate=0.0) as (sim, clock):
        refused = anyio.Event()

        async def spend(_: Process) -> None:
            await created(sim, 10)  # the client's first 10 POSTs; the next one is 1 s later
            async with EnrowClient(sim.api_key, base_url=sim.base_url) as other:
                left = int((await other.account.info()).credits)
                # Less than one batch stays, even if the run starts one more meanwhile.
                searches = [EmailSearch(f"Other {i}", "other.com") for i in range(left - 150)]
                await other.start_bulk_search(searches)
            stats = sim.stats
            while stats.requests["POST", BULK] == stats.created[BULK]:
                await anyio.sleep(0.01)
                stats = sim.stats
            refused.set()  # time may run now: no refund came before the refusal

        async with ticking(clock, after=refused):
            first = await run(find(), tmp_path, sim, during=spend)
        assert first.code == 1, first.err
        clean(first.err)
        assert "stopped by HTTP 402 for POST /email/find/bulk: Insufficient credits" in first.last
        assert first.last.endswith(
            "to resume without paying twice, run the same command again with"
            " --journal out.csv.journal"
        )
        clock.advance(60.0)  # every batch has ended: nothing was found, all is refunded
        await resume(sim, clock, tmp_path, first.journal(), refused=1, others=1)
    check_found(read_csv(tmp_path / "out.csv"))


async def test_an_output_that_cannot_be_written_keeps_the_record(tmp_path: Path) -> None:
    """Something takes the output's name mid-run (a folder): the final write fails after
    every batch was paid for; the run says so (exit 2) and how to get the results again."""
    async with serving() as (sim, clock):
        taken = once_started(sim, lambda _: (tmp_path / "out.csv").mkdir())
        async with ticking(clock):
            first = await run(find(), tmp_path, sim, during=taken)
        assert first.code == 2, first.err
        clean(first.err)
        error, hint = first.err.splitlines()[-2:]
        assert error == "enrow-async: out.csv: cannot write it (Is a directory)"
        assert re.fullmatch(resume_hint("out.csv.journal", ended="stopped"), hint), hint
        (tmp_path / "out.csv").rmdir()
        await resume(sim, clock, tmp_path, first.journal())
    check_found(read_csv(tmp_path / "out.csv"))


async def test_a_timeout_keeps_the_record(tmp_path: Path) -> None:
    async with serving() as (sim, clock):
        first = await run(find("--timeout", "1"), tmp_path, sim)
        assert first.code == 1, first.err
        clean(first.err)
        assert first.last == (
            f"enrow-async: {ROWS} row(s) have no result: {BATCHES} batch(es) still running at"
            " the deadline; to resume without paying twice, run the same command again with"
            " --journal out.csv.journal"
        )
        assert {row[-6] for row in read_csv(tmp_path / "out.csv")[1:]} == {"pending"}
        await resume(sim, clock, tmp_path, first.journal())
    check_found(read_csv(tmp_path / "out.csv"))


async def test_a_signal_restores_the_terminal(tmp_path: Path) -> None:
    """On a terminal the live progress bar hides the cursor; SIGTERM stops the bar, shows
    the cursor again and then prints the hint."""
    terminal = Terminal()
    async with serving() as (sim, _):
        terminate = once_started(sim, lambda proc: proc.send_signal(signal.SIGTERM))
        ended = await run(find(), tmp_path, sim, during=terminate, terminal=terminal)
    screen = terminal.screen.decode()
    assert ended.code == 143, screen
    hidden, shown = screen.rindex("\x1b[?25l"), screen.rindex("\x1b[?25h")
    assert hidden < shown < screen.rindex("enrow-async: SIGTERM: interrupted; ")


async def test_a_session_that_drops_keeps_the_record(tmp_path: Path) -> None:
    """An SSH session that drops: the terminal goes away, then SIGHUP. Nothing can be
    shown any more, yet the journal is saved where the hint would have said."""
    terminal = Terminal()
    async with serving() as (sim, clock):

        async def drop(proc: Process) -> None:
            await created(sim)
            await terminal.hang_up()
            proc.send_signal(signal.SIGHUP)

        first = await run(find(), tmp_path, sim, during=drop, terminal=terminal)
        assert first.code == 129
        await resume(sim, clock, tmp_path, "out.csv.journal")
    check_found(read_csv(tmp_path / "out.csv"))


async def test_a_hang_up_under_nohup_changes_nothing(tmp_path: Path) -> None:
    """A signal ignored when the command starts (``nohup``) stays ignored."""
    ignoring = "import os, signal, sys; signal.signal(signal.SIGHUP, signal.SIG_IGN);"
    ignoring += " os.execv(sys.executable, sys.argv[1:])"
    async with serving() as (sim, clock):
        hang_up = once_started(sim, lambda proc: proc.send_signal(signal.SIGHUP))
        async with ticking(clock):
            done = await run(
                [sys.executable, "-c", ignoring, *find()], tmp_path, sim, during=hang_up
            )
        assert done.code == 0, done.err
        assert sim.stats.created[BULK] == sim.stats.requests["POST", BULK] == BATCHES
    check_found(read_csv(tmp_path / "out.csv"))
