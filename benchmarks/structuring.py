"""Cost of fetching and structuring a completed 5,000-result batch.

Baseline, measured in the same run against the same server and bytes: a bare aiohttp GET
plus ``orjson.loads``. Target: ours <= 2.0x the baseline's client CPU.

    .venv/bin/python benchmarks/structuring.py [--results 5000] [--rounds 8] [--runs 15] [--keep 1]

The simulator runs in another process, so only this process's CPU is counted.
"""

from __future__ import annotations

import argparse
import asyncio
from collections import deque

import aiohttp
import orjson
from _common import cpu, median, simulator_process

from enrow_async import BatchStatus, BulkResults, EnrowClient
from enrow_async._convert import structure

KEY = "sim-key"


async def prepare(url: str, size: int) -> str:
    searches = [
        {
            "fullname": f"Person Number{i}",
            "company_domain": f"company{i % 300}.com",
            "custom": {"row": i, "list": "q2"} if i % 2 else f"lead_{i}",
        }
        for i in range(size)
    ]
    async with EnrowClient(KEY, base_url=url) as client:
        job = await client.start_bulk_search(searches, custom="bench")
        batch = await client.wait_for_batch(job.id, timeout=120)
    assert batch.status is BatchStatus.COMPLETED
    assert len(batch.results) == size
    return job.id


async def measure(
    url: str, batch_id: str, runs: int, rounds: int, keep: int
) -> list[dict[str, float]]:
    """``runs`` times: a block of ``rounds`` for each path, in alternating order.

    Each path pays for its own garbage collections in its own block, and what a block keeps
    alive is freed before the next one. The blocks are short and interleaved because this
    machine has slow spells of a second or more in which all CPU work runs ~2.5x slower:
    adjacent blocks share the spell, distant ones may not.
    """
    target = f"{url}/email/find/bulk?id={batch_id}"
    headers = {"x-api-key": KEY}
    kept: deque[object] = deque(maxlen=keep or None) if keep else deque(maxlen=1)
    async with (
        aiohttp.ClientSession() as session,
        EnrowClient(KEY, base_url=url) as client,
    ):
        body = b""
        for _ in range(3):  # warm up both paths and the connection pools
            async with session.get(target, headers=headers) as resp:
                body = await resp.read()
            await client.get_bulk_results(batch_id)
        data = orjson.loads(body)

        async def baseline() -> None:
            async with session.get(target, headers=headers) as resp:
                kept.append(orjson.loads(await resp.read()))

        async def ours() -> None:
            batch = await client.get_bulk_results(batch_id)
            assert len(batch.results) == len(data["results"])
            kept.append(batch)

        async def structure_only() -> None:
            kept.append(structure(data, BulkResults))

        paths = {"baseline": baseline, "ours": ours, "structure only": structure_only}
        out = []
        for run in range(runs):
            figures: dict[str, float] = {"body_mb": len(body) / 1e6}
            for name in sorted(paths, reverse=run % 2 == 1):
                times = []
                for _ in range(rounds):
                    start = cpu()
                    await paths[name]()
                    times.append(cpu() - start)
                kept.clear()
                figures[name] = median(times) * 1000
            out.append(figures)
    return out


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--results", type=int, default=5000)
    parser.add_argument("--rounds", type=int, default=8)
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--keep", type=int, default=1, help="results each path keeps alive")
    args = parser.parse_args()
    with simulator_process("--key", KEY, "--duration", "0.5") as url:
        batch_id = await prepare(url, args.results)
        runs = await measure(url, batch_id, args.runs, args.rounds, args.keep)
        for run, figures in enumerate(runs):
            print(
                f"run {run + 1}: baseline {figures['baseline']:.2f} ms, ours {figures['ours']:.2f} ms,"
                f" structuring alone {figures['structure only']:.2f} ms,"
                f" ratio {figures['ours'] / figures['baseline']:.2f}x"
            )
    base = median([r["baseline"] for r in runs])
    ours = median([r["ours"] for r in runs])
    alone = median([r["structure only"] for r in runs])
    ratio = median([r["ours"] / r["baseline"] for r in runs])
    print(
        f"\n{args.results} results, {runs[0]['body_mb']:.2f} MB body; median of {args.runs} runs"
        f" x {args.rounds} rounds, {args.keep} result(s) kept alive (client CPU per fetch):"
    )
    print(f"  bare aiohttp GET + orjson.loads : {base:7.2f} ms  (1.00x)")
    print(f"  EnrowClient.get_bulk_results    : {ours:7.2f} ms  ({ratio:.2f}x)")
    print(f"  of which structuring (cattrs)   : {alone:7.2f} ms  ({alone / base:.2f}x)")
    print(f"  target <= 2.00x: {'PASS' if ratio <= 2.0 else 'FAIL'}")


if __name__ == "__main__":
    asyncio.run(main())
