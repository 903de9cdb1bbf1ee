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

from ._config import SimulatorConfig
from ._server import EnrowSimulator
from .options import add_simulator_options, simulator_config_from


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m enrow_async.testing",
        description="Serve a simulated Enrow API (the same options as: enrow-async simulator).",
    )
    add_simulator_options(parser)
    return parser


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
        config = simulator_config_from(args)
    except (TypeError, ValueError) as error:
        parser.error(str(error))
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(serve(config, args.host, args.port))
    return 0


if __name__ == "__main__":
    sys.exit(main())
