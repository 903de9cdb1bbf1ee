"""The ``enrow-async`` command (also ``python -m enrow_async``).

::

    enrow-async find leads.csv -o found.csv [--journal leads.journal] [--sandbox]
    enrow-async wait ID... -o results.csv
    enrow-async results ID [--format csv|jsonl|json]
    enrow-async verify emails.csv -o verified.csv
    enrow-async account
    enrow-async simulator --port 8080

The API key comes from ``ENROW_API_KEY`` or ``--key-file``, never from the command line.
Errors are one line on stderr (``--debug`` adds the traceback): exit status 2 for bad input
or usage, 1 for a failure of the API or of some batches, 130 after Ctrl-C.
"""

from __future__ import annotations

import argparse
import functools
import logging
import math
import os
import sys
import traceback
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import anyio

from .._core.protocol import ApiConfig
from .._core.searches import MAX_BATCH
from ..client import DEFAULT_TIMEOUT, EnrowClient
from ..errors import ConfigurationError, EnrowError
from . import commands
from .find import Connect, FindOptions, WaitOptions, find
from .interrupt import CliError, Interrupt, Interrupted, run_interruptible

__all__ = ["main", "run"]

SANDBOX_DURATION = (2.0, 6.0)
"""Seconds a batch takes in the ``--sandbox`` simulator."""

_COMMON: dict[str, Any] = {
    "base_url": None,
    "sandbox": False,
    "key_file": None,
    "timeout": DEFAULT_TIMEOUT,
    "concurrency": 64,
    "progress_every": 5.0,
    "debug": False,
}


def _seconds(text: str) -> float | None:
    if text.lower() in ("none", "inf", "forever"):
        return None
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected seconds or 'none', got {text!r}") from None
    if not math.isfinite(value) or value < 0:
        raise argparse.ArgumentTypeError(f"expected seconds >= 0, got {text!r}")
    return value


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


def _common() -> argparse.ArgumentParser:
    """Options accepted before or after the command name (defaults filled in later)."""
    parser = argparse.ArgumentParser(add_help=False)
    group = parser.add_argument_group("connection and waiting")
    add = functools.partial(group.add_argument, default=argparse.SUPPRESS)
    add("--base-url", metavar="URL", help="API address (default https://api.enrow.io)")
    add("--sandbox", action="store_true", help="use the built-in simulator: no key, no credits")
    add("--key-file", metavar="PATH", type=Path, help="read the API key from this file")
    add(
        "--timeout",
        metavar="SECONDS",
        type=_seconds,
        help=f"give up waiting after this long (default {DEFAULT_TIMEOUT:g}; 'none': never)",
    )
    add("--concurrency", metavar="N", type=_positive(10_000), help="polls in flight at once")
    add(
        "--progress-every",
        metavar="SECONDS",
        type=float,
        help="plain progress line interval when stderr is not a terminal (default 5)",
    )
    add("--debug", action="store_true", help="show tracebacks and request logs")
    return parser


def build_parser() -> argparse.ArgumentParser:
    common = _common()
    parser = argparse.ArgumentParser(
        prog="enrow-async",
        description="Find and verify professional emails in bulk with the Enrow API.",
        epilog="The API key comes from ENROW_API_KEY or --key-file. Try: enrow-async find"
        " examples/leads.csv -o found.csv --sandbox",
        parents=[common],
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {_version()}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)

    def command(name: str, text: str) -> argparse.ArgumentParser:
        return sub.add_parser(name, help=text, description=text, parents=[common])

    p = command("find", "find the emails of the people in a CSV file")
    p.add_argument("input", type=Path, help="CSV with fullname (or first/last name) and company")
    p.add_argument("-o", "--output", type=Path, required=True, help="CSV to write")
    p.add_argument(
        "--journal",
        type=Path,
        metavar="FILE",
        help="record each batch as it starts; the same command again resumes, never re-paying",
    )
    p.add_argument(
        "--resend-unknown",
        action="store_true",
        help="send again the batches the journal marks as unknown (they may be charged twice)",
    )
    p.add_argument(
        "--batch-size",
        metavar="N",
        type=_positive(MAX_BATCH),
        default=MAX_BATCH,
        help=f"searches per batch (default and maximum {MAX_BATCH})",
    )
    p.add_argument(
        "--country-code", metavar="CC", type=_country, help="ISO country for company names (US)"
    )
    p.add_argument("--no-gender", dest="gender", action="store_false", help="do not ask for gender")

    p = command("wait", "wait for batches already started and write their results")
    p.add_argument("ids", nargs="+", metavar="ID")
    p.add_argument("-o", "--output", type=Path, default=Path("-"), help="file (default stdout)")
    p.add_argument(
        "--format",
        choices=commands.FORMATS,
        default="csv",
        help="csv or jsonl: one record per result; json: the batches (default csv)",
    )

    p = command("results", "read a batch's results once (refused while it is ongoing)")
    p.add_argument("id", metavar="ID")
    p.add_argument("-o", "--output", type=Path, default=Path("-"), help="file (default stdout)")
    p.add_argument("--format", choices=commands.FORMATS, default="csv")

    p = command("verify", "verify addresses: a CSV with an email column, or one per line")
    p.add_argument("input", type=Path)
    p.add_argument("-o", "--output", type=Path, required=True, help="CSV to write")

    command("account", "show the credit balance and webhooks")

    p = command("simulator", "serve the Enrow simulator until Ctrl-C")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=8080, help="0 picks a free port")
    p.add_argument(
        "--duration",
        nargs=2,
        type=float,
        metavar=("MIN", "MAX"),
        default=SANDBOX_DURATION,
        help="seconds a batch takes (default 2 6)",
    )
    p.add_argument("--seed", type=int, default=0, help="seed of the made-up results (default 0)")
    return parser


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("enrow-async")
    except PackageNotFoundError:
        return "unknown"


def _api_key(key_file: Path | None) -> str:
    if key_file is not None:
        try:
            key = key_file.read_text(encoding="utf-8-sig").strip()
        except OSError as exc:
            raise CliError(
                f"{key_file}: cannot read the key file ({exc.strerror or exc})", 2
            ) from None
        if not key:
            raise CliError(f"{key_file}: the key file is empty", 2)
        return key
    key = os.environ.get("ENROW_API_KEY", "").strip()
    if not key:
        raise CliError("no API key: set ENROW_API_KEY, use --key-file, or try --sandbox", 2)
    return key


def _connector(args: argparse.Namespace) -> Connect:
    """What opens the client: the real API, or a simulator started for this run."""
    concurrency: int = args.concurrency
    if args.sandbox:
        if args.base_url is not None:
            raise CliError("--sandbox and --base-url exclude each other", 2)

        @asynccontextmanager
        async def sandbox() -> AsyncIterator[EnrowClient]:
            from ..testing import EnrowSimulator, SimulatorConfig

            config = SimulatorConfig(duration=SANDBOX_DURATION)
            async with EnrowSimulator(config, host="127.0.0.1", port=0) as sim:
                print(
                    f"enrow-async: sandbox: the built-in simulator at {sim.base_url}"
                    " (made-up results, no credits)",
                    file=sys.stderr,
                    flush=True,
                )
                async with EnrowClient(
                    sim.api_key, base_url=sim.base_url, max_in_flight=concurrency
                ) as client:
                    yield client

        return sandbox
    key = _api_key(args.key_file)
    options: dict[str, Any] = {"max_in_flight": concurrency}
    if args.base_url is not None:
        ApiConfig.create(key, args.base_url)  # a bad URL is refused before any work
        options["base_url"] = args.base_url

    @asynccontextmanager
    async def connect() -> AsyncIterator[EnrowClient]:
        async with EnrowClient(key, **options) as client:
            yield client

    return connect


async def _serve(args: argparse.Namespace, interrupt: Interrupt) -> int:
    from ..testing import EnrowSimulator, SimulatorConfig

    low, high = args.duration
    try:
        config = SimulatorConfig(duration=(low, high), seed=args.seed)
    except ValueError as exc:
        raise CliError(f"simulator: {exc}", 2) from None
    async with EnrowSimulator(config, host=args.host, port=args.port) as sim:
        print(f"Enrow simulator at {sim.base_url}")
        print(f"API key: {sim.api_key}")
        print(
            f"try: ENROW_API_KEY={sim.api_key} enrow-async find examples/leads.csv"
            f" -o found.csv --base-url {sim.base_url}"
        )
        print("Ctrl-C to stop", flush=True)
        interrupt.hint = lambda: "simulator stopped"
        await anyio.sleep_forever()
    return 0


def _command(args: argparse.Namespace) -> Callable[[Interrupt], Awaitable[int]]:
    name: str = args.command
    if name == "simulator":
        return functools.partial(_serve, args)
    connect = _connector(args)
    waiting = WaitOptions(timeout=args.timeout, progress_every=max(0.1, args.progress_every))
    if name == "find":
        options = FindOptions(
            input=args.input,
            output=args.output,
            journal=args.journal,
            batch_size=args.batch_size,
            country_code=args.country_code,
            gender=args.gender,
            resend_unknown=args.resend_unknown,
            wait=waiting,
            sandbox=args.sandbox,
        )
        return functools.partial(find, options, connect)
    if name == "wait":
        return functools.partial(
            commands.wait, args.ids, args.output, args.format, waiting, connect
        )
    if name == "results":
        return functools.partial(commands.results, args.id, args.output, args.format, connect)
    if name == "verify":
        return functools.partial(commands.verify, args.input, args.output, waiting, connect)
    return functools.partial(commands.account, connect)


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


def run(argv: Sequence[str] | None = None) -> int:
    """Run the command line; return the exit status."""
    args = build_parser().parse_args(argv)
    for name, default in _COMMON.items():
        if not hasattr(args, name):
            setattr(args, name, default)
    if args.debug:
        handler = logging.StreamHandler()
        handler.setFormatter(logging.Formatter("%(asctime)s %(name)s %(message)s"))
        logging.getLogger("enrow_async").addHandler(handler)
        logging.getLogger("enrow_async").setLevel(logging.DEBUG)
    interrupt = Interrupt()
    try:
        command = _command(args)
        return anyio.run(run_interruptible, command, interrupt, backend="asyncio")
    except BaseException as raised:  # every failure becomes one line
        error = _essential(raised)
        if isinstance(error, SystemExit):
            raise
        if isinstance(error, Interrupted | KeyboardInterrupt):
            hint = str(error) if isinstance(error, Interrupted) else interrupt.hint()
            print(f"enrow-async: {hint}", file=sys.stderr)
            return 0 if args.command == "simulator" else 130
        if args.debug:
            traceback.print_exception(raised)
        if isinstance(error, CliError):
            print(f"enrow-async: {_one_line(error)}", file=sys.stderr)
            return error.code
        if isinstance(error, ConfigurationError):
            print(f"enrow-async: {_one_line(error)}", file=sys.stderr)
            return 2
        if isinstance(error, EnrowError):
            print(f"enrow-async: error: {_one_line(error)}", file=sys.stderr)
            return 1
        if not isinstance(error, Exception):
            raise
        print(
            f"enrow-async: unexpected error: {type(error).__name__}: {_one_line(error)}"
            " (run with --debug for the traceback)",
            file=sys.stderr,
        )
        return 1


def main() -> None:
    """Console-script entry point."""
    sys.exit(run(sys.argv[1:]))
