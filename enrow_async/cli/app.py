"""Argument parsing, dispatch and exit statuses of the ``enrow-async`` command.

Errors are one line on stderr (``--debug`` adds the traceback): exit status 2 for bad input
or usage, 1 for a failure of the API or of some batches; 128 + the signal's number when a
signal ends the run (130 Ctrl-C, 143 SIGTERM, 129 SIGHUP), 141 when stdout's reader went
away. Once this run has paid for a batch, every way out also says how to resume without
paying twice (``Interrupt.hint``; the account of rows without a result names it itself).
"""

from __future__ import annotations

import argparse
import contextlib
import functools
import logging
import math
import os
import sys
import traceback
from collections.abc import Awaitable, Callable, Iterator, Sequence
from pathlib import Path
from typing import Any, TextIO, TypeVar

import anyio
import attrs

from enrow_async import (
    DEFAULT_TIMEOUT,
    MAX_BATCH_SIZE,
    ConfigurationError,
    EnrowClient,
    EnrowError,
    TableError,
    __version__,
)
from enrow_async.testing import add_simulator_options, parse_duration

from . import commands
from .connect import SANDBOX_DURATION, ClientFactory, Connect, connector
from .errors import CliError, Interrupted
from .find import find
from .interrupt import BROKEN_PIPE, Interrupt, pipe_of, run_interruptible
from .job import ASK_ABOVE, FindOptions, Guard, VerifyOptions
from .streams import Streams
from .verify import verify

__all__ = ["BROKEN_PIPE", "EXAMPLE", "build_parser", "main", "run", "run_async"]

A = TypeVar("A", bound=attrs.AttrsInstance)

_COMMON: dict[str, Any] = {
    "base_url": None,
    "sandbox": False,
    "sandbox_duration": SANDBOX_DURATION,
    "key_file": None,
    "timeout": DEFAULT_TIMEOUT,
    "concurrency": 64,
    "progress_every": 5.0,
    "debug": False,
}


def _non_negative(text: str, what: str, unit: str) -> float:
    """A finite number of ``unit`` >= 0; ``what`` names it when ``text`` is not a number."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected {what}, got {text!r}") from None
    if not math.isfinite(value) or value < 0:
        raise argparse.ArgumentTypeError(f"expected {unit} >= 0, got {text!r}")
    return value


def _seconds(text: str) -> float | None:
    if text.lower() in ("none", "inf", "forever"):
        return None
    return _non_negative(text, "seconds or 'none'", "seconds")


def _country(text: str) -> str:
    if len(text) != 2 or not text.isascii() or not text.isalpha():
        raise argparse.ArgumentTypeError(f"expected a 2-letter ISO country code, got {text!r}")
    return text.upper()


def _positive(limit: int) -> Callable[[str], int]:
    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
        if not 1 <= value <= limit:
            raise argparse.ArgumentTypeError(f"expected 1 to {limit}, got {value}")
        return value

    return parse


def _credits(text: str) -> float:
    return _non_negative(text, "a number of credits", "credits")


COLUMN_FLAGS = (
    ("fullname", "--name-column", "full name"),
    ("first", "--first-name-column", "first name"),
    ("last", "--last-name-column", "last name"),
    ("domain", "--domain-column", "company domain or website"),
    ("company", "--company-column", "company name"),
    ("custom", "--custom-column", "custom value (returned as is)"),
)
"""``find``'s options that name the column of a role."""


def _columns(args: argparse.Namespace) -> dict[str, str]:
    chosen = {role: getattr(args, f"column_{role}") for role, _, _ in COLUMN_FLAGS}
    return {role: name for role, name in chosen.items() if name is not None}


def _add_list(p: argparse.ArgumentParser, given: str) -> None:
    """The input (described by ``given``) and output, the journal, the output checks and
    the cost guard of the commands that run a list job (find and verify)."""
    p.add_argument("input", type=Path, help=given)
    p.add_argument("-o", "--output", type=Path, required=True, help="file to write; '-' for stdout")
    p.add_argument(
        "--journal",
        type=Path,
        metavar="FILE",
        help="record each batch as it starts; the same command again resumes, never re-paying"
        " (default: none)",
    )
    p.add_argument(
        "--resend-unknown",
        action="store_true",
        help="send again the batches the journal marks as unknown (they may be charged twice)",
    )
    p.add_argument(
        "--retry-failed",
        action="store_true",
        help="send once more, in new batches, the rows whose batch failed or came back"
        " without them (they are charged again; default: written as failed)",
    )
    p.add_argument(
        "--force",
        action="store_true",
        help="replace the output file if it exists (default: refused, exit 2, unless"
        " --journal resumes the run that wrote it)",
    )
    p.add_argument(
        "--encoding",
        metavar="NAME",
        help="encoding of a CSV input without a BOM, e.g. cp1252 for Excel on Windows"
        " (default: utf-8; a UTF-8 or UTF-16 BOM always wins)",
    )
    group = p.add_argument_group(
        "cost guard",
        "The plan (rows, distinct searches, batches, credits reserved, balance) is shown"
        " before anything is sent. Runs that are not on a terminal never ask: they go ahead"
        " within the balance and --max-credits, and refuse otherwise.",
    )
    group.add_argument(
        "--dry-run", action="store_true", help="show the plan and the balance, send nothing"
    )
    group.add_argument(
        "--max-credits",
        metavar="N",
        type=_credits,
        help="refuse (exit 2, nothing sent) when the run would reserve more (default: no limit)",
    )
    group.add_argument(
        "--yes", "-y", action="store_true", help="do not ask before spending, even on a terminal"
    )
    group.add_argument(
        "--ask-above",
        metavar="N",
        type=_credits,
        default=ASK_ABOVE,
        help=f"on a terminal, ask before reserving more than N credits (default {ASK_ABOVE:g})",
    )


def _add_find(p: argparse.ArgumentParser) -> None:
    """``find``'s own options: the batches, the output's format, which sheet and row hold
    the table, what the row checks skip and the options that send it anyway, the columns."""
    p.add_argument(
        "--batch-size",
        metavar="N",
        type=_positive(MAX_BATCH_SIZE),
        default=MAX_BATCH_SIZE,
        help=f"searches per batch (default and maximum {MAX_BATCH_SIZE})",
    )
    p.add_argument(
        "--country-code",
        metavar="CC",
        type=_country,
        help="ISO country used with company names (default: the API's, US)",
    )
    p.add_argument(
        "--no-gender",
        dest="gender",
        action="store_false",
        help="do not ask for gender (default: asked)",
    )
    p.add_argument(
        "--format",
        choices=("csv", "jsonl", "json", "xlsx"),
        help="output format (default: from the output's suffix, .jsonl, .json or .xlsx, else csv)",
    )
    group = p.add_argument_group(
        "layout",
        "The header is the first row, unless title rows stand above it: then the first of"
        " the first 10 rows that names two known columns. An xlsx workbook's first sheet is"
        " read, or the first sheet that names known columns. What was used is printed.",
    )
    group.add_argument(
        "--sheet",
        metavar="NAME|N",
        help="the xlsx sheet to read, by name or number (1: the first; default: found)",
    )
    group.add_argument(
        "--header-row",
        metavar="N",
        type=_positive(1_000),
        help="the row holding the column names (1: the first; a sep= line is not counted;"
        " default: found)",
    )
    group = p.add_argument_group(
        "row checks",
        "Before anything is sent, every row is checked: blank rows, rows without a name or"
        " a company, one-word or over-long names, domains that are no company's (social"
        " networks, free mail, link shorteners) with no company name, totals and notes"
        " rows, and rows that already have an email are skipped (written with"
        " enrow_status skipped and the reason); titles and suffixes are taken out of the"
        " names sent and domains reduced to their host. The counts are printed.",
    )
    group.add_argument(
        "--include-rows-with-email",
        dest="include_with_email",
        action="store_true",
        help="search the rows whose email column is already filled too (default: skipped)",
    )
    group.add_argument(
        "--no-row-checks",
        dest="as_typed",
        action="store_true",
        help="send every row with a name and a company as typed: nothing cleaned, only"
        " blank rows, rows without a name or a company and (unless"
        " --include-rows-with-email) rows with an email skipped",
    )
    group = p.add_argument_group(
        "columns",
        "Found by name (HubSpot, Salesforce, Apollo, Sales Navigator, Pipedrive exports and"
        " usual spellings, any case); name one to override. The mapping used is printed.",
    )
    for role, flag, what in COLUMN_FLAGS:
        group.add_argument(
            flag, metavar="NAME", dest=f"column_{role}", help=f"the {what} column (default: found)"
        )


def _add_results_output(p: argparse.ArgumentParser, batches: str) -> None:
    """``-o`` and ``--format`` of the commands that write batches' results."""
    p.add_argument(
        "-o", "--output", type=Path, default=Path("-"), help="file to write (default stdout)"
    )
    p.add_argument(
        "--format",
        choices=commands.FORMATS,
        default="csv",
        help=f"csv or jsonl: one record per result; json: {batches} (default csv)",
    )


def _fields(cls: type[A], args: argparse.Namespace, **given: Any) -> A:
    """``cls`` (options of attrs) with ``given``, and each other field the option of its
    name."""
    named = {field.name for field in attrs.fields(cls)} - given.keys()
    return cls(**{name: getattr(args, name) for name in named}, **given)


def _common() -> argparse.ArgumentParser:
    """Options accepted before or after the command name (their defaults: ``_COMMON``)."""
    parser = argparse.ArgumentParser(add_help=False)
    group = parser.add_argument_group("connection and waiting")
    add = functools.partial(group.add_argument, default=argparse.SUPPRESS)
    add("--base-url", metavar="URL", help="API address (default https://api.enrow.io)")
    add("--sandbox", action="store_true", help="use the built-in simulator: no key, no credits")
    add(
        "--sandbox-duration",
        type=parse_duration,
        metavar="MIN[,MAX]",
        help="with --sandbox: seconds a simulated batch takes, as the simulator's --duration"
        " (default 2,6)",
    )
    add(
        "--key-file",
        metavar="PATH",
        type=Path,
        help="read the API key from this file (default: ENROW_API_KEY)",
    )
    add(
        "--timeout",
        metavar="SECONDS",
        type=_seconds,
        help=f"give up waiting after this long (default {DEFAULT_TIMEOUT:g}; 'none': never)",
    )
    add(
        "--concurrency",
        metavar="N",
        type=_positive(10_000),
        help="polls in flight at once (default 64)",
    )
    add(
        "--progress-every",
        metavar="SECONDS",
        type=float,
        help="plain progress line interval when stderr is not a terminal (default 5)",
    )
    add("--debug", action="store_true", help="show tracebacks and request logs")
    return parser


EXAMPLE = "enrow-async sample > leads.csv && enrow-async find leads.csv -o found.csv --sandbox"
"""A first run that works wherever the package is installed (the sample ships inside it)."""


def build_parser() -> argparse.ArgumentParser:
    common = _common()
    parser = argparse.ArgumentParser(
        prog="enrow-async",
        description="Find and verify professional emails in bulk with the Enrow API.",
        epilog=f"The API key comes from ENROW_API_KEY or --key-file. Try: {EXAMPLE}",
        parents=[common],
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    def command(name: str, text: str, *, client: bool = True) -> argparse.ArgumentParser:
        parents = [common] if client else []
        return sub.add_parser(name, help=text, description=text, parents=parents)

    p = command("find", "find the emails of the people in a CSV or xlsx file")
    _add_list(
        p,
        "CSV or xlsx with fullname (or first/last name) and company domain and/or name; '-'"
        " reads stdin (try: enrow-async sample)",
    )
    _add_find(p)

    p = command("wait", "wait for batches already started and write their results")
    p.add_argument("ids", nargs="+", metavar="ID", help="batch ids, as find or the API gave them")
    _add_results_output(p, "the batches")

    p = command("results", "read a batch's results once (refused while it is ongoing)")
    p.add_argument("id", metavar="ID", help="a batch id")
    _add_results_output(p, "the batch")

    p = command("verify", "verify addresses: a CSV with an email column, or one per line")
    _add_list(p, "CSV with an email column, or one address a line")
    p.add_argument(
        "--email-column",
        metavar="NAME",
        help="the column of addresses (default: found by name: email, e-mail, ...)",
    )

    command("account", "show the credit balance and webhooks")

    p = command("mcp", "serve the MCP server over stdio, for AI agents (the mcp extra)")
    p.add_argument(
        "--max-credits",
        metavar="N",
        type=_credits,
        help="the most one tool call may reserve; no argument of the model raises it"
        " (default 1000)",
    )
    p.add_argument(
        "--ask-above",
        metavar="N",
        type=_credits,
        default=0.0,
        help="a call reserving more needs the user's approval, or a max_credits argument"
        " covering it when the client cannot ask (default 0: any spending)",
    )
    p.add_argument(
        "--dir",
        type=Path,
        metavar="DIR",
        help="where jobs keep their journal and results (default ~/.enrow-async/mcp; with"
        " --sandbox, a temporary folder)",
    )
    command("sample", "print a small leads CSV shipped with the package (for a first try)")

    p = command(
        "simulator",
        "serve the Enrow simulator until Ctrl-C (the options of python -m enrow_async.testing)",
        client=False,
    )
    add_simulator_options(p.add_argument_group("simulator"))
    return parser


def _parse(argv: Sequence[str] | None, streams: Streams) -> argparse.Namespace | int:
    """The options, or the exit status of ``--help``, ``--version`` or a usage error."""
    parser = build_parser()
    with contextlib.redirect_stdout(streams.out), contextlib.redirect_stderr(streams.err):
        try:
            args = parser.parse_args(argv, argparse.Namespace(**_COMMON))
        except SystemExit as stop:  # argparse has said what it had to say
            return int(stop.code or 0)
    if args.command is None:  # plain ``enrow-async``: the help, as with --help
        parser.print_help(streams.out)
        streams.out.flush()
        return 0
    return args


def _mcp(args: argparse.Namespace, connect: Connect) -> Callable[[Interrupt], Awaitable[int]]:
    try:
        from enrow_async.mcp import DEFAULT_MAX_CREDITS, McpSettings, serve
        from enrow_async.mcp import Guard as McpGuard
    except ModuleNotFoundError as missing:
        if (missing.name or "").partition(".")[0] != "mcp":
            raise
        raise CliError("mcp needs the MCP SDK: pip install 'enrow-async[mcp]'", 2) from None
    home = None if args.sandbox else Path.home() / ".enrow-async" / "mcp"
    cap = DEFAULT_MAX_CREDITS if args.max_credits is None else args.max_credits
    guard = McpGuard(cap, args.ask_above)
    settings = McpSettings(guard=guard, directory=args.dir or home, timeout=args.timeout)

    async def serve_mcp(interrupt: Interrupt) -> int:
        interrupt.hint = lambda ended: "MCP server stopped"
        await serve(connect, settings)
        return 0

    return serve_mcp


def _command(
    args: argparse.Namespace, streams: Streams, client: ClientFactory
) -> Callable[[Interrupt], Awaitable[int]]:
    name: str = args.command
    if name == "simulator":
        return functools.partial(commands.serve, args, streams)
    if name == "sample":
        return functools.partial(commands.sample, streams)
    connect = connector(
        sandbox=args.sandbox,
        sandbox_duration=args.sandbox_duration,
        base_url=args.base_url,
        key_file=args.key_file,
        concurrency=args.concurrency,
        streams=streams,
        client=client,
    )
    if name in ("find", "verify"):
        guard = _fields(Guard, args, yes=args.yes or args.sandbox)  # the sandbox never asks
        if name == "verify":
            checks = _fields(VerifyOptions, args, guard=guard)
            return functools.partial(verify, checks, connect, streams)
        options = _fields(FindOptions, args, guard=guard, columns=_columns(args))
        return functools.partial(find, options, connect, streams)
    if name == "wait":
        given = (args.ids, args.output, args.format, args.timeout, args.progress_every)
        return functools.partial(commands.wait, *given, connect, streams)
    if name == "results":
        results = commands.results
        return functools.partial(results, args.id, args.output, args.format, connect, streams)
    if name == "mcp":
        return _mcp(args, connect)
    return functools.partial(commands.account, connect, streams)


@contextlib.contextmanager
def _debug_log(stream: TextIO) -> Iterator[None]:
    """The library's log records on ``stream`` while the command runs (``--debug``)."""
    logger = logging.getLogger("enrow_async")
    handler = logging.StreamHandler(stream)
    handler.setFormatter(logging.Formatter("%(asctime)s %(name)s %(message)s"))
    level = logger.level
    logger.addHandler(handler)
    logger.setLevel(logging.DEBUG)
    try:
        yield
    finally:
        logger.removeHandler(handler)
        logger.setLevel(level)


def _essential(error: BaseException) -> BaseException:
    """The exception worth reporting inside (possibly nested) exception groups."""
    if not isinstance(error, BaseExceptionGroup):
        return error
    leaves = [_essential(e) for e in error.exceptions]
    for kind in (KeyboardInterrupt, Interrupted, CliError, EnrowError, Exception):
        for leaf in leaves:
            if isinstance(leaf, kind):
                return leaf
    return leaves[0]


def _one_line(error: BaseException) -> str:
    return " ".join(str(error).split()) or type(error).__name__


def _say(streams: Streams, text: str) -> None:
    """``enrow-async: text`` on stderr, unless stderr is gone (a terminal that hung up)."""
    with contextlib.suppress(OSError):
        print(f"enrow-async: {text}", file=streams.err, flush=True)


def _report(
    raised: BaseException, args: argparse.Namespace, interrupt: Interrupt, streams: Streams
) -> int:
    """The exit status for ``raised``, said in one line on stderr, then the resume hint if
    this run paid for a batch; re-raised if it is not a failure of the command
    (SystemExit, cancellation)."""
    error = _essential(raised)
    if isinstance(error, SystemExit):
        raise raised
    if isinstance(error, Interrupted | KeyboardInterrupt):
        hint = str(error) if isinstance(error, Interrupted) else interrupt.advice()
        reason = interrupt.reason()
        _say(streams, f"{reason}: {hint}" if reason else hint)
        return 0 if args.command == "simulator" else interrupt.status
    if isinstance(error, BrokenPipeError):  # the reader left at a write (``| head``)
        if interrupt.posts:
            _say(streams, f"stdout closed: {interrupt.advice()}")
        return BROKEN_PIPE
    if args.debug:
        traceback.print_exception(raised, file=streams.err)
    if isinstance(error, CliError):
        line, code = _one_line(error), error.code
    elif isinstance(error, ConfigurationError | TableError):  # bad input: exit 2
        line, code = _one_line(error), 2
    elif isinstance(error, EnrowError):
        line, code = f"error: {_one_line(error)}", 1
    elif isinstance(error, Exception):
        line = f"unexpected error: {type(error).__name__}: {_one_line(error)}"
        line, code = line + " (run with --debug for the traceback)", 1
    else:
        raise raised
    _say(streams, line)
    # A CliError with status 1 is the run's own account of rows without a result, which
    # names the journal; after any other failure (the output could not be written, an API
    # or unexpected error) a run that paid for a batch says how to resume.
    if interrupt.posts and not (isinstance(error, CliError) and code == 1):
        _say(streams, interrupt.advice("stopped"))
    return code


async def _execute(
    args: argparse.Namespace,
    streams: Streams,
    interrupt: Interrupt,
    client: ClientFactory,
    signals: bool = False,
) -> int:
    """The command, its failures in one line; ``signals``: the process is this run's."""
    writes_data = str(getattr(args, "output", "")) == "-"
    pipe = pipe_of(streams.out) if writes_data else None
    with _debug_log(streams.err) if args.debug else contextlib.nullcontext():
        try:
            command = _command(args, streams, client)
            return await run_interruptible(command, interrupt, pipe, signals=signals)
        except BaseException as raised:  # every failure becomes one line
            return _report(raised, args, interrupt, streams)


async def run_async(
    argv: Sequence[str],
    *,
    stdout: TextIO,
    stderr: TextIO,
    stdin: TextIO | None = None,
    client: ClientFactory = EnrowClient,
) -> int:
    """Run the command line in the running (asyncio) event loop; return the exit status.

    What ``run`` does, writing to ``stdout`` and ``stderr`` (and reading the cost
    guard's answer from ``stdin``, by default ``sys.stdin``); ``client`` builds the client
    from the options (tests pass one with a faster poll policy). The event loop's signal
    handlers are the host's: none is installed or reset.
    """
    streams = Streams(stdout, stderr, sys.stdin if stdin is None else stdin)
    args = _parse(argv, streams)
    if isinstance(args, int):
        return args
    return await _execute(args, streams, Interrupt(), client)


def run(argv: Sequence[str] | None = None) -> int:
    """Run the command line; return the exit status."""
    streams = Streams(sys.stdout, sys.stderr, sys.stdin)
    args = _parse(argv, streams)
    if isinstance(args, int):
        return args
    interrupt = Interrupt()
    try:
        return anyio.run(_execute, args, streams, interrupt, EnrowClient, True, backend="asyncio")
    except BaseException as raised:  # Ctrl-C that reached the event loop itself
        return _report(raised, args, interrupt, streams)


def _quiet_stdout() -> None:
    """Point stdout at /dev/null, so the interpreter's last flush raises nothing more."""
    with contextlib.suppress(OSError, ValueError):
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())


def main() -> None:
    """Console-script entry point."""
    code = run(sys.argv[1:])
    gone = code == BROKEN_PIPE
    try:
        sys.stdout.flush()
    except BrokenPipeError:
        code, gone = BROKEN_PIPE, True
    except OSError:  # a terminal that hung up: what is left cannot be shown
        gone = True
    if gone:
        _quiet_stdout()
    sys.exit(code)
