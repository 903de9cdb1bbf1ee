"""The simulator's command-line options, shared by both ways to serve it from a shell:
``python -m enrow_async.testing`` and ``enrow-async simulator`` take the same options with
the same defaults ([add_simulator_options][enrow_async.testing.add_simulator_options], then
[simulator_config_from][enrow_async.testing.simulator_config_from]).
"""

from __future__ import annotations

import argparse
import math

from ._config import CURVES, FAULT_KINDS, Faults, SimulatorConfig

__all__ = [
    "DEFAULT_PORT",
    "SPEEDS",
    "add_simulator_options",
    "parse_duration",
    "simulator_config_from",
]

DEFAULT_PORT = 8765
"""Where the simulator listens unless told otherwise."""

SPEEDS = {
    "instant": (0.0, 0.0),
    "fast": (0.2, 1.0),
    "slow": (5.0, 30.0),
    "realistic": (30.0, 300.0),
}
"""Job duration presets (seconds, min and max) of ``--speed``."""


def parse_duration(text: str) -> tuple[float, float]:
    """``"2"`` -> (2, 2), ``"2,6"`` -> (2, 6): seconds a job takes, a number or a range."""
    low, _, high = text.partition(",")
    try:
        pair = float(low), float(high or low)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected SECONDS or MIN,MAX, got {text!r}") from None
    if not all(math.isfinite(v) and v >= 0 for v in pair) or pair[0] > pair[1]:
        raise argparse.ArgumentTypeError(f"expected 0 <= MIN <= MAX seconds, got {text!r}")
    return pair


def _fault_rate(text: str) -> tuple[str, float]:
    kind, sep, rate = text.partition("=")
    if not sep or kind not in FAULT_KINDS:
        raise argparse.ArgumentTypeError(
            f"expected KIND=RATE with KIND in {', '.join(FAULT_KINDS)}"
        )
    try:
        return kind, float(rate)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number as RATE, got {rate!r}") from None


def add_simulator_options(parser: argparse.ArgumentParser | argparse._ArgumentGroup) -> None:
    """Add the simulator's options (every one with its help and default) to ``parser``."""
    add = parser.add_argument
    add("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    add(
        "--port",
        type=int,
        default=DEFAULT_PORT,
        help=f"port to listen on; 0 picks a free one (default {DEFAULT_PORT})",
    )
    add("--key", default="sim-key", help="the accepted x-api-key (default sim-key)")
    add("--seed", type=int, default=0, help="seed of the made-up results (default 0)")
    add(
        "--speed",
        choices=SPEEDS,
        default="fast",
        help="job duration preset: "
        + ", ".join(f"{name} {low:g}-{high:g} s" for name, (low, high) in SPEEDS.items())
        + " (default fast)",
    )
    add(
        "--duration",
        type=parse_duration,
        metavar="MIN[,MAX]",
        help="seconds a job takes, overrides --speed (default: from --speed)",
    )
    add("--curve", choices=CURVES, default="random", help="progress curve (default random)")
    add("--fail-rate", type=float, default=0.0, help="share of bulk jobs that fail (default 0)")
    add(
        "--valid-rate",
        type=float,
        default=0.7,
        help="share of searches that find someone (default 0.7)",
    )
    add(
        "--fault-rate",
        type=_fault_rate,
        action="append",
        default=[],
        metavar="KIND=RATE",
        help=f"inject a fault ({', '.join(FAULT_KINDS)}) at this rate; repeatable (default none)",
    )
    add(
        "--fault-methods",
        default="GET",
        help="comma-separated HTTP methods faults apply to (default GET)",
    )
    add(
        "--retry-after",
        type=float,
        default=0.05,
        help="Retry-After seconds of faulted 429s (default 0.05)",
    )
    add(
        "--ongoing-status",
        type=int,
        choices=(200, 202),
        default=200,
        help="status of a batch still running (default 200)",
    )
    add(
        "--not-found-status",
        type=int,
        choices=(400, 404),
        default=400,
        help="status of an unknown batch id (default 400)",
    )
    add(
        "--index-as",
        choices=("str", "int"),
        default="str",
        help="wire type of a result's index (default str)",
    )
    add("--credits", type=float, help="the key's balance (default unlimited)")
    add(
        "--post-rate-limit",
        type=int,
        default=10,
        help="POSTs per second per key, 0: off (default 10)",
    )
    add(
        "--webhook-delay",
        type=float,
        default=0.0,
        help="seconds between a job's end and its webhook (default 0)",
    )


def simulator_config_from(args: argparse.Namespace) -> SimulatorConfig:
    """The [SimulatorConfig][enrow_async.testing.SimulatorConfig] of parsed
    [add_simulator_options][enrow_async.testing.add_simulator_options] options (ValueError
    or TypeError for values it refuses)."""
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
