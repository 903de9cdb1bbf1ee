"""Options, dispatch and exit statuses of the command line (``cli/app.py``), in-process."""

from __future__ import annotations

import argparse
import io
import logging
from pathlib import Path

import pytest
from cli_support import Cli

from enrow_async.cli import run_async
from enrow_async.cli.app import _COMMON, BROKEN_PIPE, EXAMPLE, build_parser
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
