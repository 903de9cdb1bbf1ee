"""What a wake-up costs: CPU per GET in bursts of k requests, each burst after a sleep.

    .venv/bin/python benchmarks/wakeups.py [--sizes 1,5,20,85,300] [--bursts 40] [--gap 0.25]

No client of ours: one aiohttp session, the GET + ``orjson.loads`` of the hand-written loop
in ``scale.py``, against one batch on the simulator in another process, still running
throughout (it lasts an hour). Each burst
sends k GETs at once (``asyncio.gather``) and waits for every answer; then the process
sleeps ``--gap`` seconds, or not at all (``gap 0``, the reference). Only this process's CPU
is counted. If a GET costs more CPU the fewer come per wake-up, a client whose polls are
spread over time pays for that spread per poll, whatever its own code costs: that is what
``scale.py``'s CPU-per-poll ratio at moderate scale measures (see ``rhythm.py``).
"""

from __future__ import annotations

import argparse
import asyncio
import statistics

import aiohttp
import orjson
from _common import cpu, simulator_process
from scale import KEY, create

from enrow_async import EnrowClient


async def burst_cost(
    session: aiohttp.ClientSession, url: str, k: int, bursts: int, gap: float
) -> float:
    """Microseconds of CPU per GET over ``bursts`` bursts of ``k``, ``gap`` s apart."""

    async def get() -> None:
        async with session.get(url) as resp:
            orjson.loads(await resp.read())

    start = cpu()
    for _ in range(bursts):
        await asyncio.gather(*(get() for _ in range(k)))
        if gap:
            await asyncio.sleep(gap)
    return (cpu() - start) / (k * bursts) * 1e6


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1,5,20,85,300", help="comma-separated burst sizes")
    parser.add_argument("--bursts", type=int, default=40, help="bursts per size and gap")
    parser.add_argument("--gap", type=float, default=0.25, help="seconds of sleep after a burst")
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    sizes = [int(k) for k in args.sizes.split(",")]
    figures: dict[tuple[int, float], list[float]] = {}
    with simulator_process("--key", KEY, "--duration", "3600") as base:
        async with EnrowClient(KEY, base_url=base) as client:
            (batch_id,) = await create(client, 1, (10,))
        url = f"{base}/email/find/bulk?id={batch_id}"
        headers = {"x-api-key": KEY}
        async with aiohttp.ClientSession(headers=headers) as session:
            await burst_cost(session, url, 20, 5, 0.0)  # connections opened, code warm
            for run in range(args.runs):
                for k in sizes:
                    for gap in (0.0, args.gap):
                        cost = await burst_cost(session, url, k, args.bursts, gap)
                        figures.setdefault((k, gap), []).append(cost)
                print(f"run {run + 1} done", flush=True)
    print(f"\nCPU per GET, medians of {args.runs} runs (min-max), {args.bursts} bursts each:")
    print(f"  {'burst':>5}  {'back to back':>20}  {f'after {args.gap:g} s asleep':>20}  ratio")
    for k in sizes:
        hot, cold = figures[k, 0.0], figures[k, args.gap]
        cells = [
            f"{statistics.median(v):.0f} us ({min(v):.0f}-{max(v):.0f})".rjust(20)
            for v in (hot, cold)
        ]
        ratio = statistics.median(cold) / statistics.median(hot)
        print(f"  {k:>5}  {cells[0]}  {cells[1]}  {ratio:.1f}x")


if __name__ == "__main__":
    asyncio.run(main())
