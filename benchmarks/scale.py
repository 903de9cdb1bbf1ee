"""Waiting on thousands of batches at once: client CPU per poll, peak RSS, polls, lateness.

    .venv/bin/python benchmarks/scale.py [--batches 2000] [--runs 3]
    .venv/bin/python benchmarks/scale.py --batches 10000 --runs 1
    .venv/bin/python benchmarks/scale.py --lateness 400     # real-HTTP polling efficiency

The simulator runs in another process (only this process's CPU is counted). Batches take
2-30 s on random progress curves. The baseline, measured in the same run on the same
server, is the loop users write by hand: one task per batch, aiohttp GET + orjson.loads,
sleeping 2 s between polls.
"""

from __future__ import annotations

import argparse
import asyncio
import math
import random
import statistics
from collections import Counter

import aiohttp
import orjson
from _common import cpu, peak_rss_mb, percentile, simulator_process

from enrow_async import EnrowClient
from enrow_async.testing import EnrowSimulator, SimulatorConfig

KEY = "sim-key"


async def gets(session: aiohttp.ClientSession, url: str) -> int:
    async with session.get(f"{url}/_simulator/stats") as resp:
        stats = orjson.loads(await resp.read())
    return sum(n for key, n in stats["requests"].items() if key.startswith("GET /email/find/bulk"))


async def create(client: EnrowClient, n: int, sizes: tuple[int, int] = (10, 10)) -> list[str]:
    """Start ``n`` batches of log-uniform random sizes in ``sizes``."""
    ids: list[str] = []
    sem = asyncio.Semaphore(32)
    rng = random.Random(n)

    async def one() -> None:
        size = round(math.exp(rng.uniform(math.log(sizes[0]), math.log(sizes[1]))))
        searches = [
            {"fullname": f"Person {i}", "company_domain": "example.com"} for i in range(size)
        ]
        async with sem:
            ids.append((await client.start_bulk_search(searches)).id)

    await asyncio.gather(*(one() for _ in range(n)))
    return ids


async def ours(url: str, n: int) -> dict[str, float]:
    async with (
        aiohttp.ClientSession() as admin,
        EnrowClient(KEY, base_url=url, posts_per_second=10**6, max_in_flight=64) as client,
    ):
        ids = await create(client, n)
        before = await gets(admin, url)
        start = cpu()
        done = 0
        async for _ in client.wait_for_batches(ids, timeout=300):
            done += 1
        spent = cpu() - start
        polls = await gets(admin, url) - before
    return {"done": done, "polls": polls, "cpu_us_per_poll": spent / polls * 1e6, "cpu_s": spent}


async def baseline(url: str, n: int) -> dict[str, float]:
    async with (
        aiohttp.ClientSession() as admin,
        EnrowClient(KEY, base_url=url, posts_per_second=10**6) as client,
    ):
        ids = await create(client, n)
        before = await gets(admin, url)
    headers = {"x-api-key": KEY}
    done = 0

    async def loop(session: aiohttp.ClientSession, batch_id: str) -> None:
        nonlocal done
        while True:
            async with session.get(
                f"{url}/email/find/bulk", params={"id": batch_id}, headers=headers
            ) as resp:
                data = orjson.loads(await resp.read())
            if data["general"]["status"] != "ongoing":
                done += 1
                return
            await asyncio.sleep(2.0)

    start = cpu()
    async with aiohttp.ClientSession() as session:
        await asyncio.gather(*(loop(session, b) for b in ids))
    spent = cpu() - start
    async with aiohttp.ClientSession() as admin:
        polls = await gets(admin, url) - before
    return {"done": done, "polls": polls, "cpu_us_per_poll": spent / polls * 1e6, "cpu_s": spent}


async def lateness(n: int, seed: int) -> dict[str, float]:
    """Polls per batch and detection lateness over real HTTP (simulator in-process), on the
    polling benchmark's main mix: 20-1,000 searches, 2-30 s, fast-start, linear or
    slow-start progress. Each batch is waited on from the moment it is created, all on one
    client (one shared scheduler), as in the virtual-time simulation."""
    rng = random.Random(seed)
    config = SimulatorConfig(seed=seed, post_rate_limit=None)
    late: list[float] = []
    polls: Counter[str] = Counter()
    trace = aiohttp.TraceConfig()

    async def count(_: object, __: object, params: aiohttp.TraceRequestStartParams) -> None:
        polls[params.url.query.get("id", "")] += 1

    trace.on_request_start.append(count)
    async with (
        EnrowSimulator(config) as sim,
        aiohttp.ClientSession(trace_configs=[trace]) as session,
        EnrowClient(sim.api_key, base_url=sim.base_url, session=session) as client,
    ):
        loop = asyncio.get_running_loop()

        async def one() -> None:
            size = round(math.exp(rng.uniform(math.log(20), math.log(1000))))
            searches = [
                {"fullname": f"P {i}", "company_domain": "example.com"} for i in range(size)
            ]
            curve = rng.choice(["fast_start", "linear", "slow_start"])
            batch_id = sim.add_batch(searches, duration=rng.uniform(2.0, 30.0), curve=curve)
            await client.wait_for_batch(batch_id, timeout=120)
            late.append(loop.time() - sim.batch(batch_id).finish_at)

        async with asyncio.TaskGroup() as tg:
            for _ in range(n):
                tg.create_task(one())
                await asyncio.sleep(0.01)
    return {
        "polls_per_batch": statistics.median(polls.values()),
        "mean_polls": sum(polls.values()) / n,
        "median_late": statistics.median(late),
        "p90_late": percentile(late, 0.9),
    }


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--batches", type=int, default=2000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--no-baseline", action="store_true")
    parser.add_argument(
        "--lateness",
        type=int,
        default=0,
        metavar="N",
        help="real-HTTP lateness check on N batches instead",
    )
    args = parser.parse_args()
    if args.lateness:
        rows = [await lateness(args.lateness, seed) for seed in range(args.runs)]
        for row in rows:
            print(
                f"polls/batch median {row['polls_per_batch']:.0f} (mean {row['mean_polls']:.2f})  lateness median {row['median_late']:.3f} s  p90 {row['p90_late']:.3f} s"
            )
        med = {k: statistics.median(r[k] for r in rows) for k in rows[0]}
        print(
            f"\n{args.lateness} batches x {args.runs} runs over real HTTP (medians): median {med['polls_per_batch']:.0f} polls/batch (mean {med['mean_polls']:.2f}),"
            f" lateness median {med['median_late']:.3f} s, p90 {med['p90_late']:.3f} s"
            f"  [targets <= 8, <= 0.3 s, <= 1.0 s: {'PASS' if med['polls_per_batch'] <= 8 and med['median_late'] <= 0.3 and med['p90_late'] <= 1.0 else 'FAIL'}]"
        )
        return
    with simulator_process(
        "--key", KEY, "--duration", "2,30", "--curve", "random", "--post-rate-limit", "0"
    ) as url:
        ours_rows, base_rows = [], []
        for run in range(args.runs):
            row = await ours(url, args.batches)
            ours_rows.append(row)
            print(
                f"run {run + 1} ours: {row['done']:.0f}/{args.batches} done, {row['polls']:.0f} polls, {row['cpu_us_per_poll']:.0f} us CPU/poll"
            )
            if not args.no_baseline:
                base = await baseline(url, args.batches)
                base_rows.append(base)
                print(
                    f"run {run + 1} baseline: {base['done']:.0f}/{args.batches} done, {base['polls']:.0f} polls, {base['cpu_us_per_poll']:.0f} us CPU/poll"
                )
    per_poll = statistics.median(r["cpu_us_per_poll"] for r in ours_rows)
    polls = statistics.median(r["polls"] for r in ours_rows) / args.batches
    print(f"\n{args.batches} batches, median of {args.runs} runs:")
    print(f"  ours     : {per_poll:6.0f} us client CPU per poll, {polls:.2f} polls per batch")
    if base_rows:
        base_poll = statistics.median(r["cpu_us_per_poll"] for r in base_rows)
        base_polls = statistics.median(r["polls"] for r in base_rows) / args.batches
        print(
            f"  baseline : {base_poll:6.0f} us client CPU per poll, {base_polls:.2f} polls per batch (2 s loop, task per batch)"
        )
        print(
            f"  ratio    : {per_poll / base_poll:.2f}x CPU per poll, {polls / base_polls:.2f}x polls"
        )
    all_done = all(r["done"] == args.batches for r in ours_rows)
    rss = peak_rss_mb()
    print(f"  all complete: {all_done}; peak RSS of this process {rss:.0f} MB")
    print(
        f"  targets: CPU/poll <= 150 us {'PASS' if per_poll <= 150 else 'FAIL'}; RSS <= 150 MB {'PASS' if rss <= 150 else 'FAIL'}"
    )


if __name__ == "__main__":
    asyncio.run(main())
