"""Serve the Enrow simulator until Ctrl-C: ``python -m enrow_async.testing --port 0``.

The first line on stdout is the base URL (flushed), so a test or a benchmark can start
the simulator as a subprocess and read where it listens.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import signal
import sys
from collections.abc import Sequence

from ._config import CURVES, FAULT_KINDS, Faults, SimulatorConfig
from ._server import EnrowSimulator

SPEEDS = {
    "instant": (0.0, 0.0),
    "fast": (0.2, 1.0),
    "slow": (5.0, 30.0),
    "realistic": (30.0, 300.0),
}


def _duration(text: str) -> tuple[float, float]:
    low, _, high = text.partition(",")
    return float(low), float(high or low)


def _fault_rate(text: str) -> tuple[str, float]:
    kind, sep, rate = text.partition("=")
    if not sep or kind not in FAULT_KINDS:
        raise argparse.ArgumentTypeError(
            f"expected KIND=RATE with KIND in {', '.join(FAULT_KINDS)}"
        )
    return kind, float(rate)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m enrow_async.testing", description="Serve a simulated Enrow API."
    )
    add = parser.add_argument
    add("--host", default="127.0.0.1")
    add("--port", type=int, default=8765, help="0 picks a free port (default 8765)")
    add("--key", default="sim-key", help="the accepted x-api-key (default sim-key)")
    add("--seed", type=int, default=0)
    add("--speed", choices=SPEEDS, default="fast", help="job duration preset (default fast)")
    add("--duration", type=_duration, metavar="MIN[,MAX]", help="job duration in seconds")
    add("--curve", choices=CURVES, default="random", help="progress curve (default random)")
    add("--fail-rate", type=float, default=0.0, help="share of bulk jobs that fail")
    add("--valid-rate", type=float, default=0.7, help="share of searches that find someone")
    add("--fault-rate", type=_fault_rate, action="append", default=[], metavar="KIND=RATE")
    add("--fault-methods", default="GET", help="comma-separated methods faults apply to")
    add("--retry-after", type=float, default=0.05, help="Retry-After of faulted 429s")
    add("--ongoing-status", type=int, choices=(200, 202), default=200)
    add("--not-found-status", type=int, choices=(400, 404), default=400)
    add("--index-as", choices=("str", "int"), default="str")
    add("--credits", type=float, help="the key's balance (default unlimited)")
    add("--post-rate-limit", type=int, default=10, help="POSTs per second per key, 0: off")
    add("--webhook-delay", type=float, default=0.0)
    return parser


def _config(args: argparse.Namespace) -> SimulatorConfig:
    faults = Faults(
        **dict(args.fault_rate),
        methods=tuple(args.fault_methods.split(",")),
        retry_after=args.retry_after,
    )
    return SimulatorConfig(
        api_key=args.key,
        seed=args.seed,
        duration=args.duration or SPEEDS[args.speed],
        curve=args.curve,
        fail_rate=args.fail_rate,
        valid_rate=args.valid_rate,
        ongoing_status=args.ongoing_status,
        not_found_status=args.not_found_status,
        index_as=args.index_as,
        credits=args.credits,
        post_rate_limit=args.post_rate_limit or None,
        faults=faults,
        webhook_delay=args.webhook_delay,
    )


async def serve(config: SimulatorConfig, host: str, port: int) -> None:
    """Run until SIGINT or SIGTERM, then shut down cleanly."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError):  # Windows: Ctrl-C still interrupts
            loop.add_signal_handler(signum, stop.set)
    async with EnrowSimulator(config, host=host, port=port) as sim:
        print(sim.base_url, flush=True)
        print(f"Enrow simulator at {sim.base_url}, key {sim.api_key!r}", file=sys.stderr)
        await stop.wait()


def main(argv: Sequence[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    try:
        config = _config(args)
    except (TypeError, ValueError) as error:
        parser.error(str(error))
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(serve(config, args.host, args.port))
    return 0


if __name__ == "__main__":
    sys.exit(main())
