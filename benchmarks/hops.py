"""The way of one poll, traced: every function of the package it enters, in order.

    .venv/bin/python benchmarks/hops.py [--all]

One ``client.wait_for_batch(id)`` of a batch that is already complete, over real HTTP to the
simulator served in this process: one poll from the call to the socket and back. A profile
hook records each call into a function of ``enrow_async`` (the simulator, ``testing/``, is
left out; so is code that attrs and cattrs generate, which has no file) made after the call
begins and before it returns. Printed: the chain of hand-overs (a call from one module of
the package into another, or into aiohttp; consecutive calls within one module are one
step; a coroutine resumed is not entered again), each with its first ``file:line``, then
the counts. ``--all`` prints every function entered.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from pathlib import Path
from types import FrameType
from typing import Any

import enrow_async
from enrow_async import EnrowClient
from enrow_async.testing import EnrowSimulator, SimulatorConfig

PACKAGE = Path(enrow_async.__file__).parent
SIMULATOR = PACKAGE / "testing"


def where(frame: FrameType) -> str | None:
    """``module:line function`` for a frame of the package (not the simulator), else None."""
    path = Path(frame.f_code.co_filename)
    if PACKAGE not in path.parents or SIMULATOR in path.parents:
        if "aiohttp" in path.parts and path.name == "client.py":
            return f"aiohttp/client.py:{frame.f_lineno} {frame.f_code.co_qualname}"
        return None
    module = path.relative_to(PACKAGE).as_posix()
    return f"{module}:{frame.f_code.co_firstlineno} {frame.f_code.co_qualname}"


async def trace() -> list[str]:
    entered: list[str] = []
    seen: set[FrameType] = set()  # a coroutine resumed is "called" again: counted once

    def hook(frame: FrameType, event: str, _: Any) -> None:
        if event == "call" and frame not in seen:
            seen.add(frame)
            place = where(frame)
            if place is not None:
                entered.append(place)

    async with EnrowSimulator(SimulatorConfig(seed=1)) as sim:
        batch_id = sim.add_batch(
            [{"fullname": "Jim Halpert", "company_domain": "dm.com"}], duration=0.0
        )
        async with EnrowClient(sim.api_key, base_url=sim.base_url) as client:
            await client.get_bulk_results(batch_id)  # opens the session: not the poll's work
            sys.setprofile(hook)
            try:
                await client.wait_for_batch(batch_id, timeout=60)
            finally:
                sys.setprofile(None)
    return entered


def steps(entered: list[str]) -> list[str]:
    """Consecutive entries of one module folded into one step."""
    out: list[str] = []
    for place in entered:
        module = place.split(":", 1)[0]
        if not out or out[-1].split(":", 1)[0] != module:
            out.append(place)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--all", action="store_true", help="every function entered")
    args = parser.parse_args()
    entered = asyncio.run(trace())
    if args.all:
        print("\n".join(entered))
        print()
    chain = steps(entered)
    for n, place in enumerate(chain, 1):
        print(f"{n:3} {place}")
    functions = {place.split(" ", 1)[1] for place in entered}
    print(
        f"\none poll of wait_for_batch: {len(chain)} hand-overs between modules,"
        f" {len(entered)} calls into {len(functions)} functions of the package"
    )


if __name__ == "__main__":
    main()
