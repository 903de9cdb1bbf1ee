"""Issue 5's targets, measured: find_emails at scale, a burst of starts, webhook-driven waits.

    .venv/bin/python benchmarks/workflow.py [--searches 12345] [--burst 25] [--runs 3]

Everything runs against the simulator in-process over real loopback HTTP, with its POST rate
limit on (10 per second per key, as documented). Baselines are measured in the same run: the
same burst without the client's limiter, and the same wait polling without a webhook. The
burst is also run with its first 10 POSTs reaching the server 0.2 s late (slow network).
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import time

from enrow_async import EnrowClient, WebhookReceiver
from enrow_async.testing import EnrowSimulator, Faults, SimulatorConfig

BULK = ("GET", "/email/find/bulk")


def people(n: int) -> list[dict[str, str]]:
    return [
        {"fullname": f"Person {i}", "company_domain": f"company{i % 97}.com", "custom": str(i)}
        for i in range(n)
    ]


async def find_emails(n: int) -> dict[str, float]:
    config = SimulatorConfig(duration=(1.0, 3.0), seed=n)
    async with EnrowSimulator(config) as sim:
        async with EnrowClient(sim.api_key, base_url=sim.base_url) as client:
            start = time.monotonic()
            results = await client.find_emails(people(n), timeout=300)
            wall = time.monotonic() - start
        in_order = [r.index for r in results] == list(range(n)) and [r.custom for r in results] == [
            str(i) for i in range(n)
        ]
        return {
            "wall": wall,
            "results": len(results),
            "in_order": in_order,
            "rate_limited": sim.stats.rate_limited,
            "batches": sim.stats.batches_created,
        }


async def burst(tasks: int, limited: bool, slow_first: float = 0.0) -> dict[str, float]:
    """``tasks`` starts at once; ``slow_first`` delays the first 10 on their way to the
    server's rate-limit check (a slow network or handshake), as ``Faults.slow`` does."""
    config = SimulatorConfig(duration=5.0, faults=Faults(slow_seconds=slow_first))
    async with EnrowSimulator(config) as sim:
        if slow_first:
            sim.inject("slow", count=10, method="POST")
        rate = 10 if limited else 10**6
        async with EnrowClient(sim.api_key, base_url=sim.base_url, posts_per_second=rate) as client:
            start = time.monotonic()
            await asyncio.gather(*(client.start_bulk_search(people(3)) for _ in range(tasks)))
            wall = time.monotonic() - start
        return {
            "wall": wall,
            "rate_limited": sim.stats.rate_limited,
            "batches": sim.stats.batches_created,
        }


async def webhook_wait(with_webhook: bool, seed: int) -> dict[str, float]:
    config = SimulatorConfig(duration=(4.0, 8.0), webhook_delay=0.05, seed=seed)
    async with (
        EnrowSimulator(config) as sim,
        WebhookReceiver(host="127.0.0.1", port=0) as hooks,
        EnrowClient(sim.api_key, base_url=sim.base_url) as client,
    ):
        job = await client.start_bulk_search(people(200), webhook=hooks.url)
        before = sim.stats.requests[BULK]
        await client.wait_for_batch(job.id, timeout=60, webhook=hooks if with_webhook else None)
        late = asyncio.get_running_loop().time() - sim.batch(job.id).finish_at
        return {"gets": sim.stats.requests[BULK] - before, "late": late}


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--searches", type=int, default=12345)
    parser.add_argument("--burst", type=int, default=25)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()

    rows = [await find_emails(args.searches) for _ in range(args.runs)]
    print(
        f"find_emails over {args.searches} searches ({rows[0]['batches']:.0f} batches), {args.runs} runs:"
    )
    print(
        f"  wall {statistics.median(r['wall'] for r in rows):.1f} s median; results {rows[0]['results']:.0f};"
        f" in input order: {all(r['in_order'] for r in rows)}; 429s from the server: {sum(r['rate_limited'] for r in rows):.0f}"
    )

    limited = [await burst(args.burst, True) for _ in range(args.runs)]
    unlimited = [await burst(args.burst, False) for _ in range(args.runs)]
    slowed = [await burst(args.burst, True, slow_first=0.2) for _ in range(args.runs)]
    print(f"\n{args.burst} concurrent starts from {args.burst} tasks sharing one client:")
    print(
        f"  with the client-wide limiter   : 429s per run {[int(r['rate_limited']) for r in limited]},"
        f" batches per run {[int(r['batches']) for r in limited]}, wall {statistics.median(r['wall'] for r in limited):.2f} s median"
    )
    print(
        f"  limiter off (baseline)         : 429s per run {[int(r['rate_limited']) for r in unlimited]}"
        f" (retried), batches per run {[int(r['batches']) for r in unlimited]}, wall {statistics.median(r['wall'] for r in unlimited):.2f} s median"
    )
    print(
        f"  limiter, first 10 arrive 0.2 s late: 429s per run {[int(r['rate_limited']) for r in slowed]},"
        f" batches per run {[int(r['batches']) for r in slowed]}, wall {statistics.median(r['wall'] for r in slowed):.2f} s median"
    )

    hooked = [await webhook_wait(True, seed) for seed in range(args.runs)]
    polled = [await webhook_wait(False, seed) for seed in range(args.runs)]
    print("\nwait_for_batch on a 200-search batch of 4-8 s (medians):")
    for name, group in (("webhook-woken", hooked), ("polling only (baseline)", polled)):
        print(
            f"  {name:24s}: {statistics.median(r['gets'] for r in group):.0f} GETs,"
            f" returned {statistics.median(r['late'] for r in group):.3f} s after the finish"
        )
    ok = (
        all(r["in_order"] and r["rate_limited"] == 0 for r in rows)
        and all(r["rate_limited"] == 0 and r["batches"] == args.burst for r in limited + slowed)
        and all(r["batches"] == args.burst for r in unlimited)
        and max(r["gets"] for r in hooked) <= 2
        and max(r["late"] for r in hooked) <= 0.3
    )
    print(f"\ntargets (in order, no 429, <= 2 GETs, <= 0.3 s): {'PASS' if ok else 'FAIL'}")


if __name__ == "__main__":
    asyncio.run(main())
