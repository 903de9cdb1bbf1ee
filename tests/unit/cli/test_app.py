"""Options, dispatch and exit statuses of the command line (``cli/app.py``), in-process."""

from __future__ import annotations

import argparse
import csv
import io
import logging
import signal
from pathlib import Path

import pytest
from cli_support import CAUSES, Cli, check_output, leads, write_csv

from enrow_async import InsufficientCreditsError, RecordError
from enrow_async.cli import run_async
from enrow_async.cli.app import _COMMON, BROKEN_PIPE, EXAMPLE, _parse, _report, build_parser
from enrow_async.cli.errors import CliError, Interrupted
from enrow_async.cli.interrupt import Interrupt
from enrow_async.cli.streams import Streams
from enrow_async.testing import DEFAULT_PORT, EnrowSimulator, simulator_config_from
from enrow_async.testing import __main__ as simulator_main

pytestmark = pytest.mark.anyio

LEADS = Path(__file__).parents[3] / "examples/leads.csv"


async def test_help_version_and_usage_errors(cli: Cli) -> None:
    helped = await cli("--help")
    assert helped.code == 0
    assert helped.out.startswith("usage: enrow-async")
    assert "--sandbox" in helped.out
    version = await cli("--version")
    assert version.code == 0
    assert version.out.startswith("enrow-async ")
    for wrong in (
        ["find"],
        ["nothing"],
        ["find", LEADS, "-o", "o.csv", "--batch-size", "5001"],
        ["find", LEADS, "-o", "o.csv", "--country-code", "USA"],
        ["wait", "id", "--timeout", "-1"],
        ["account", "--concurrency", "0"],
    ):
        done = await cli(*wrong)
        assert done.code == 2, wrong
        assert done.out == ""
        assert "usage: enrow-async" in done.err


async def test_without_a_key(tmp_path: Path, cli: Cli) -> None:
    (tmp_path / "empty.key").write_text("\n")
    for extra in ([], ["--key-file", tmp_path / "empty.key"], ["--key-file", tmp_path / "no"]):
        done = await cli("find", LEADS, "-o", tmp_path / "o.csv", *extra)
        assert done.code == 2
        assert done.err.count("\n") == 1, done.err
    missing = await cli("account")
    assert "set ENROW_API_KEY, use --key-file, or try --sandbox" in missing.err


async def test_a_key_file_and_options_before_or_after_the_command(
    tmp_path: Path, sim: EnrowSimulator, cli: Cli
) -> None:
    (tmp_path / "k").write_text(f"\ufeff{sim.api_key}\n")
    before = await cli("--base-url", sim.base_url, "--key-file", tmp_path / "k", "account")
    after = await cli("account", "--base-url", sim.base_url, "--key-file", tmp_path / "k")
    assert before.code == after.code == 0
    assert before.out == after.out


async def test_a_bad_address_is_refused_before_any_work(tmp_path: Path, cli: Cli) -> None:
    done = await cli(
        "find", tmp_path / "missing.csv", "-o", "o.csv", "--base-url", "ftp://x", key="k"
    )
    assert done.code == 2
    assert done.err == "enrow-async: base_url must be an http(s) URL, got 'ftp://x'\n"


async def test_debug_logs_requests_for_this_run_only(sim: EnrowSimulator, cli: Cli) -> None:
    logger = logging.getLogger("enrow_async")
    handlers, level = list(logger.handlers), logger.level
    done = await cli("--debug", "account", "--base-url", sim.base_url, key=sim.api_key)
    assert done.code == 0, done.err
    assert "GET http://127.0.0.1" in done.err
    assert "/account/info" in done.err
    assert sim.api_key not in done.err
    assert logger.handlers == handlers
    assert logger.level == level
    quiet = await cli("account", "--base-url", sim.base_url, key=sim.api_key)
    assert quiet.err == ""


async def test_debug_adds_the_traceback_to_the_one_line(sim: EnrowSimulator, cli: Cli) -> None:
    args = ["account", "--base-url", sim.base_url]
    plain = await cli(*args, key="wrong-key")
    traced = await cli("--debug", *args, key="wrong-key")
    assert plain.code == traced.code == 1
    assert "Traceback" not in plain.err
    assert "Traceback" in traced.err
    assert traced.err.endswith(plain.err)


async def test_plain_enrow_async_shows_the_help(cli: Cli) -> None:
    done = await cli()
    assert done.code == 0
    assert done.out.startswith("usage: enrow-async")
    assert "find" in done.out
    assert "sample" in done.out
    assert f"Try: {EXAMPLE}" in " ".join(done.out.split())
    assert done.err == ""


def _actions(parser: argparse.ArgumentParser) -> list[tuple[str, argparse.Action]]:
    found = [(parser.prog, action) for action in parser._actions]
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for sub in action.choices.values():
                found += _actions(sub)
    return found


def test_every_argument_has_help_and_its_default() -> None:
    for prog, action in _actions(build_parser()):
        if isinstance(action, argparse._SubParsersAction | argparse._HelpAction):
            continue
        assert action.help, (prog, action.dest)
        flag = action.nargs == 0  # store_true/false: off unless given
        default = _COMMON.get(action.dest, action.default)
        if not flag and not action.required and default is not None and action.option_strings:
            assert "default" in action.help, (prog, action.dest)


def test_the_simulator_has_one_command_line() -> None:
    """``enrow-async simulator`` and ``python -m enrow_async.testing``: same options, same
    defaults, same ``--duration`` syntax."""
    sub = next(a for a in build_parser()._actions if isinstance(a, argparse._SubParsersAction))
    cli_side = sub.choices["simulator"]
    module_side = simulator_main._parser()
    own = {a.dest: a.default for a in module_side._actions if a.dest != "help"}
    theirs = {a.dest: a.default for a in cli_side._actions if a.dest in own}
    assert theirs == own
    assert own["port"] == DEFAULT_PORT
    listed = {a.dest for a in cli_side._actions if a.dest != "help"}
    assert listed == set(own)  # the simulator's options only: no --sandbox, --timeout...
    for parser in (cli_side, module_side):
        args = parser.parse_args(["--duration", "2,6", "--port", "0"])
        assert args.duration == (2.0, 6.0)
        assert simulator_config_from(args).duration == (2.0, 6.0)


class _ClosedPipe(io.BytesIO):
    """The bytes under a stdout whose reader has gone away (``| head -1``)."""

    def write(self, data: object) -> int:
        raise BrokenPipeError(32, "Broken pipe")


async def test_a_closed_pipe_ends_quietly() -> None:
    err = io.StringIO()
    out = io.TextIOWrapper(_ClosedPipe(), encoding="utf-8", write_through=True)
    code = await run_async(["sample"], stdout=out, stderr=err)
    assert code == BROKEN_PIPE == 141
    assert err.getvalue() == ""  # no traceback, no "unexpected error"


async def test_a_closed_pipe_after_paying_keeps_the_record(
    tmp_path: Path, sim: EnrowSimulator, cli: Cli, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``find -o - | head -1``: the batches were paid when the write fails; the journal is
    saved (beside the input: the output is stdout) and the hint gets the results again."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("ENROW_API_KEY", sim.api_key)
    write_csv(tmp_path / "in.csv", leads(30))
    args = ["find", "in.csv", "-o", "-", "--base-url", sim.base_url]
    err = io.StringIO()
    out = io.TextIOWrapper(_ClosedPipe(), encoding="utf-8", write_through=True)
    code = await run_async(args, stdout=out, stderr=err)
    assert code == BROKEN_PIPE
    assert err.getvalue().splitlines()[-1] == (
        "enrow-async: stdout closed: interrupted; 1 batch(es) were started and keep running"
        " (recorded in in.csv.journal); to resume without paying twice, run the same command"
        " again with --journal in.csv.journal"
    )
    again = await cli(*args, "--journal", "in.csv.journal", key=sim.api_key)
    assert again.code == 0, again.err
    assert sim.stats.requests["POST", "/email/find/bulk"] == 1
    check_output(leads(30), list(csv.reader(io.StringIO(again.out, newline=""))))


def _report_of(raised: BaseException, interrupt: Interrupt, *argv: str) -> tuple[int, str]:
    err = io.StringIO()
    streams = Streams(io.StringIO(), err)
    args = _parse(list(argv or ["find", "in.csv", "-o", "out.csv"]), streams)
    assert not isinstance(args, int)
    return _report(raised, args, interrupt, streams), err.getvalue()


def _paid(posts: int = 1) -> Interrupt:
    interrupt = Interrupt()
    interrupt.posts = posts
    interrupt.hint = lambda ended: f"{ended}; run the same command again with --journal j"
    return interrupt


def test_an_error_after_a_paid_post_says_how_to_resume() -> None:
    refused = InsufficientCreditsError("Insufficient credits", status=402)
    assert _report_of(refused, _paid()) == (
        1,
        "enrow-async: error: HTTP 402: Insufficient credits\n"
        "enrow-async: stopped; run the same command again with --journal j\n",
    )
    bug = ExceptionGroup("run", [KeyError("x")])
    code, said = _report_of(bug, _paid())
    assert code == 1
    assert said.endswith(
        "(run with --debug for the traceback)\nenrow-async: stopped;"
        " run the same command again with --journal j\n"
    )
    assert _report_of(refused, _paid(0)) == (
        1,
        "enrow-async: error: HTTP 402: Insufficient credits\n",
    )


def test_the_runs_own_account_of_missing_rows_is_not_repeated() -> None:
    """A CliError with status 1 (a timeout's "N row(s) have no result ...") names the
    journal itself; one with status 2 after paying (the output could not be written) gets
    the hint."""
    own = CliError("2 row(s) have no result: ...; run the same command again with --journal j")
    assert _report_of(own, _paid()) == (1, f"enrow-async: {own}\n")
    unwritable = CliError("out.csv: cannot write it (No space left on device)", 2)
    assert _report_of(unwritable, _paid()) == (
        2,
        f"enrow-async: {unwritable}\n"
        "enrow-async: stopped; run the same command again with --journal j\n",
    )


def test_a_record_that_cannot_be_kept_is_said_so() -> None:
    interrupt = _paid()

    def hint(ended: str) -> str:
        raise RecordError("out.csv.journal: cannot write the journal (No space left on device)")

    interrupt.hint = hint
    code, said = _report_of(KeyError("x"), interrupt)
    assert code == 1
    assert said.splitlines()[-1] == (
        "enrow-async: stopped; the run's record could not be kept (out.csv.journal: cannot"
        " write the journal (No space left on device)): batches it started keep running, see"
        " your Enrow dashboard before running it again"
    )


@pytest.mark.parametrize(("cause", "status", "name"), CAUSES)
def test_an_interruption_names_its_cause(cause: signal.Signals, status: int, name: str) -> None:
    interrupt = Interrupt()
    interrupt.cause = cause
    line = f"enrow-async: {name}: hint\n" if name else "enrow-async: hint\n"
    assert _report_of(Interrupted("hint"), interrupt) == (status, line)
    assert _report_of(Interrupted("hint"), interrupt, "simulator")[0] == 0  # how it stops


class _HungUp(io.StringIO):
    """stderr on a terminal that is gone (an SSH session that dropped)."""

    def write(self, text: str) -> int:
        raise OSError(5, "Input/output error")


def test_a_terminal_that_hung_up_still_gets_the_status() -> None:
    interrupt = Interrupt()
    interrupt.cause = signal.SIGHUP
    streams = Streams(io.StringIO(), _HungUp())
    args = _parse(["find", "in.csv", "-o", "out.csv"], Streams(io.StringIO(), io.StringIO()))
    assert not isinstance(args, int)
    assert _report(Interrupted("hint"), args, interrupt, streams) == 129


async def test_simulator_help_lists_only_its_options() -> None:
    out, err = io.StringIO(), io.StringIO()
    code = await run_async(["simulator", "--help"], stdout=out, stderr=err)
    assert code == 0
    for client_option in ("--sandbox", "--timeout", "--base-url", "--key-file", "--concurrency"):
        assert client_option not in out.getvalue()
    assert "--port" in out.getvalue()
