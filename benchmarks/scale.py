"""Waiting on thousands of batches at once: client CPU per poll, peak RSS, polls, lateness.

    .venv/bin/python benchmarks/scale.py [--batches 300,2000,10000] [--runs 3]
    .venv/bin/python benchmarks/scale.py --lateness 400     # real-HTTP polling efficiency

The simulator runs in another process (only this process's CPU is counted). Batches of 10,
50 or 200 searches (one third each) take 2-30 s on random progress curves. The baseline,
measured in the same run on the same server, right after ours at each scale, is the loop
users write by hand: one task per batch, aiohttp GET + orjson.loads, sleeping 2 s between
polls. With ``--apart``, the same loop is measured a second time with its batches
started apart: each task's first poll comes at a random moment of its first 2 s, as when
an app waits on each batch from the moment it is created; its polls no longer go out in
one burst per beat. With ``--typed``, the loop reads each answer into ``BulkResults`` with
the client's own read (its checks and typed models), as ours does. Scales run smallest
first, so the peak RSS after our first run at a scale is ours at that scale (the
baseline's runs come after it). Each scale gets its own simulator whose durations are
lengthened by the time it takes to start the batches (``CREATE_SECONDS`` each), so that
they still run when the wait begins.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import math
import random
import statistics
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import aiohttp
import orjson
from _common import cpu, peak_rss_mb, percentile, simulator_process

from enrow_async import AiohttpTransport, EnrowClient
from enrow_async._core.http import Response
from enrow_async._core.jobs import EMAIL_BULK
from enrow_async.testing import EnrowSimulator, SimulatorConfig

KEY = "sim-key"


async def gets(session: aiohttp.ClientSession, url: str) -> int:
    async with session.get(f"{url}/_simulator/stats") as resp:
        stats = orjson.loads(await resp.read())
    return sum(n for key, n in stats["requests"].items() if key.startswith("GET /email/find/bulk"))


SIZES = (10, 50, 200)
CREATE_SECONDS = 0.004  # about what starting one batch takes, server included


async def create(client: EnrowClient, n: int, sizes: tuple[int, ...] = SIZES) -> list[str]:
    """Start ``n`` batches, each of a size drawn from ``sizes``."""
    ids: list[str] = []
    sem = asyncio.Semaphore(32)
    rng = random.Random(n)

    async def one() -> None:
        size = rng.choice(sizes)
        async with sem:
            # Built once a slot is free: 10,000 lists of searches waiting for the semaphore
            # at once were most of the benchmark's peak RSS (the client never held them).
            searches = [
                {"fullname": f"Person {i}", "company_domain": "example.com"} for i in range(size)
            ]
            ids.append((await client.start_bulk_search(searches)).id)

    await asyncio.gather(*(one() for _ in range(n)))
    return ids


def simulator_for(n: int) -> contextlib.AbstractContextManager[str]:
    """The simulator for a run at ``n`` batches, in another process. Starting n batches
    takes a while (a few ms each here): each batch's duration is lengthened by that time,
    so that the batches still run 2-30 s once all are started."""
    offset = n * CREATE_SECONDS
    return simulator_process(
        "--key",
        KEY,
        "--duration",
        f"{2 + offset:g},{30 + offset:g}",
        "--curve",
        "random",
        "--post-rate-limit",
        "0",
    )


def figures(done: int, polls: int, spent: float, n: int) -> dict[str, float]:
    """One run's figures: batches done, polls served, CPU per poll and per batch."""
    return {
        "done": done,
        "polls": polls,
        "cpu_us_per_poll": spent / polls * 1e6,
        "cpu_ms_per_batch": spent / n * 1e3,
        "cpu_s": spent,
    }


async def ours(
    url: str, n: int, sizes: tuple[int, ...] = SIZES, inspect: str = ""
) -> dict[str, float]:
    """Our client waiting on ``n`` batches; with ``inspect`` (``_simserver.py``'s URL), the
    lateness of each batch too: when the caller got it, minus when it finished."""
    async with (
        aiohttp.ClientSession() as admin,
        EnrowClient(KEY, base_url=url, posts_per_second=10**6, max_in_flight=64) as client,
    ):
        began = time.monotonic()
        ids = await create(client, n, sizes)
        print(f"  ({n} batches started in {time.monotonic() - began:.1f} s)", flush=True)
        before = await gets(admin, url)
        loop = asyncio.get_running_loop()
        seen: dict[str, float] = {}
        start = cpu()
        async for batch in client.wait_for_batches(ids, timeout=300):
            seen[batch.id] = loop.time()
        spent = cpu() - start
        polls = await gets(admin, url) - before
        row = figures(len(seen), polls, spent, n)
        if inspect:
            async with admin.post(f"{inspect}/finish", data=orjson.dumps(list(seen))) as resp:
                finish = orjson.loads(await resp.read())
            late = [seen[batch_id] - at for batch_id, at in finish.items()]
            row |= {"late_median": statistics.median(late), "late_p90": percentile(late, 0.9)}
            row["late_max"] = max(late)
    return row


@contextlib.contextmanager
def inspected_simulator(n: int) -> Iterator[tuple[str, str]]:
    """``simulator_for(n)``, served by ``_simserver.py``: (base URL, inspection URL)."""
    offset = n * CREATE_SECONDS
    args = ["--key", KEY, "--duration", f"{2 + offset:g},{30 + offset:g}", "--curve", "random"]
    script = str(Path(__file__).with_name("_simserver.py"))
    proc = subprocess.Popen(
        [sys.executable, script, "--port", "0", *args, "--post-rate-limit", "0"],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stdout is not None
        yield proc.stdout.readline().strip(), proc.stdout.readline().strip()
    finally:
        proc.terminate()
        try:
            proc.wait(60)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(10)


def child(url: str, inspect: str, n: int, sizes: str) -> dict[str, float]:
    """One run of ``ours`` in a process of its own (its own peak RSS)."""
    out = subprocess.run(
        [
            sys.executable,
            __file__,
            "--child",
            "--url",
            url,
            "--inspect",
            inspect,
            "--batches",
            str(n),
            "--sizes",
            sizes,
        ],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    return json.loads(out.strip().splitlines()[-1])


def isolated(scales: list[int], runs: int, sizes: str) -> None:
    """``--processes``: each run of ours in its own process on one simulator per scale (the
    simulator of ``_simserver.py``): CPU per poll, peak RSS, lateness; medians and ranges.
    (At commit 7f407e3 this compared the heap scheduler with the task per batch that
    replaced it, the designs taking turns: ``--designs heap,simple``.)"""
    table: dict[int, list[dict[str, float]]] = {}
    for n in scales:
        with inspected_simulator(n) as (url, inspect):
            for run in range(runs):
                row = child(url, inspect, n, sizes)
                table.setdefault(n, []).append(row)
                print(
                    f"{n} batches, run {run + 1}: {row['done']:.0f}/{n} done,"
                    f" {row['polls']:.0f} polls, {row['cpu_us_per_poll']:.0f} us CPU/poll,"
                    f" {row['rss_mb']:.0f} MB, lateness median {row['late_median']:.3f} s"
                    f" p90 {row['late_p90']:.3f} s max {row['late_max']:.3f} s",
                    flush=True,
                )

    def spread(values: list[float], fmt: str) -> str:
        return f"{statistics.median(values):{fmt}} ({min(values):{fmt}}-{max(values):{fmt}})"

    print(f"\nmedians of {runs} runs (min-max):")
    for n in scales:
        rows = table[n]
        print(
            f"  {n:>6} batches: {spread([r['cpu_us_per_poll'] for r in rows], '.0f')} us/poll,"
            f" peak RSS {spread([r['rss_mb'] for r in rows], '.0f')} MB,"
            f" polls/batch {statistics.median(r['polls'] for r in rows) / n:.2f},"
            f" lateness median {spread([r['late_median'] for r in rows], '.3f')} s,"
            f" p90 {spread([r['late_p90'] for r in rows], '.3f')} s,"
            f" all complete: {all(r['done'] == n for r in rows)}"
        )


async def baseline(
    url: str, n: int, sizes: tuple[int, ...] = SIZES, *, apart: bool = False, typed: bool = False
) -> dict[str, float]:
    """The hand-written loop; ``apart``: each batch's first poll at a random moment of its
    first 2 s instead of all at once; ``typed``: each answer read into ``BulkResults`` by
    the client's own read (checks and models included) instead of ``orjson.loads``."""
    async with (
        aiohttp.ClientSession() as admin,
        EnrowClient(KEY, base_url=url, posts_per_second=10**6) as client,
    ):
        ids = await create(client, n, sizes)
        before = await gets(admin, url)
    headers = {"x-api-key": KEY}
    done = 0
    phase = random.Random(n)

    async def loop(session: aiohttp.ClientSession, batch_id: str) -> None:
        nonlocal done
        if apart:
            await asyncio.sleep(phase.uniform(0.0, 2.0))
        while True:
            async with session.get(
                f"{url}/email/find/bulk", params={"id": batch_id}, headers=headers
            ) as resp:
                body = await resp.read()
                if typed:
                    status = EMAIL_BULK.read(
                        batch_id, Response(resp.status, resp.headers, body)
                    ).status
                else:
                    status = orjson.loads(body)["general"]["status"]
            if status != "ongoing":
                done += 1
                return
            await asyncio.sleep(2.0)

    start = cpu()
    async with aiohttp.ClientSession() as session:
        await asyncio.gather(*(loop(session, b) for b in ids))
    spent = cpu() - start
    async with aiohttp.ClientSession() as admin:
        polls = await gets(admin, url) - before
    return figures(done, polls, spent, n)


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
        EnrowClient(
            sim.api_key, base_url=sim.base_url, transport=AiohttpTransport(session=session)
        ) as client,
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
    parser.add_argument(
        "--batches", default="300,2000,10000", help="comma-separated scales, smallest first"
    )
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--no-baseline", action="store_true")
    parser.add_argument(
        "--apart",
        action="store_true",
        help="also measure the hand-written loop with its batches started apart (not judged)",
    )
    parser.add_argument(
        "--typed",
        action="store_true",
        help="also measure the hand-written loop reading typed results, as ours does (not judged)",
    )
    parser.add_argument(
        "--no-ours",
        action="store_true",
        help="the hand-written loop alone (its own peak RSS: the process's high-water mark)",
    )
    parser.add_argument(
        "--sizes",
        default=",".join(map(str, SIZES)),
        help="comma-separated batch sizes in searches, drawn uniformly (default 10,50,200)",
    )
    parser.add_argument(
        "--lateness",
        type=int,
        default=0,
        metavar="N",
        help="real-HTTP lateness check on N batches instead",
    )
    parser.add_argument(
        "--processes",
        action="store_true",
        help="ours only, each run in its own process: peak RSS and lateness too",
    )
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--url", default="", help=argparse.SUPPRESS)
    parser.add_argument("--inspect", default="", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        sizes = tuple(int(size) for size in args.sizes.split(","))
        row = await ours(args.url, int(args.batches), sizes, args.inspect)
        print(json.dumps(row | {"rss_mb": peak_rss_mb()}))
        return
    if args.processes:
        isolated([int(n) for n in args.batches.split(",")], args.runs, args.sizes)
        return
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
    scales = [int(n) for n in args.batches.split(",")]
    sizes = tuple(int(size) for size in args.sizes.split(","))
    rows: dict[int, tuple[list[dict[str, float]], list[dict[str, float]]]] = {}
    extras = {
        name: {option: True}
        for name, option, wanted in (
            ("started apart", "apart", args.apart),
            ("with typed results", "typed", args.typed),
        )
        if wanted
    }
    extra_rows: dict[tuple[str, int], list[dict[str, float]]] = {}
    rss: dict[int, float] = {}
    for n in scales:
        with simulator_for(n) as url:
            ours_rows, base_rows = rows.setdefault(n, ([], []))
            for run in range(args.runs):
                line = f"{n} batches, run {run + 1}:"
                if not args.no_ours:
                    row = await ours(url, n, sizes)
                    ours_rows.append(row)
                    rss.setdefault(n, peak_rss_mb())
                    line += f" ours {row['done']:.0f}/{n} done, {row['polls']:.0f} polls, {row['cpu_us_per_poll']:.0f} us CPU/poll, {row['cpu_ms_per_batch']:.2f} ms CPU/batch"
                if not args.no_baseline:
                    base = await baseline(url, n, sizes)
                    base_rows.append(base)
                    rss.setdefault(n, peak_rss_mb())
                    line += f"{';' if ours_rows else ''} baseline {base['polls']:.0f} polls, {base['cpu_us_per_poll']:.0f} us CPU/poll, {base['cpu_ms_per_batch']:.2f} ms CPU/batch"
                    if not args.no_ours:
                        line += f", ratio per poll {row['cpu_us_per_poll'] / base['cpu_us_per_poll']:.2f}x, per batch {row['cpu_ms_per_batch'] / base['cpu_ms_per_batch']:.2f}x"
                for name, options in extras.items():
                    other = await baseline(url, n, sizes, **options)
                    extra_rows.setdefault((name, n), []).append(other)
                    line += f"; loop {name} {other['cpu_us_per_poll']:.0f} us CPU/poll"
                print(line, flush=True)
    print(
        f"\nmedians of {args.runs} runs (min-max), batches of {'/'.join(map(str, sizes))} searches:"
    )
    ok = True

    def spread(values: list[float], fmt: str) -> str:
        return f"{statistics.median(values):{fmt}} ({min(values):{fmt}}-{max(values):{fmt}})"

    for n in scales:
        ours_rows, base_rows = rows[n]
        text = f"  {n:>6} batches:"
        if ours_rows:
            per_poll = [r["cpu_us_per_poll"] for r in ours_rows]
            per_batch = [r["cpu_ms_per_batch"] for r in ours_rows]
            polls = statistics.median(r["polls"] for r in ours_rows) / n
            done = all(r["done"] == n for r in ours_rows)
            text += f" ours {spread(per_poll, '.0f')} us/poll, {spread(per_batch, '.2f')} ms/batch, {polls:.2f} polls/batch, all complete: {done};"
        if base_rows:
            base = [r["cpu_us_per_poll"] for r in base_rows]
            base_batch = [r["cpu_ms_per_batch"] for r in base_rows]
            base_polls = statistics.median(r["polls"] for r in base_rows) / n
            text += f" hand-written {spread(base, '.0f')} us/poll, {spread(base_batch, '.2f')} ms/batch, {base_polls:.2f} polls/batch;"
        if ours_rows and base_rows:
            ratios = [o / b for o, b in zip(per_poll, base, strict=True)]
            batch_ratios = [o / b for o, b in zip(per_batch, base_batch, strict=True)]
            ok = ok and statistics.median(ratios) <= 1.0
            text += f" ratio per poll {spread(ratios, '.2f')}x, per batch {spread(batch_ratios, '.2f')}x;"
        for name in extras:
            other = [r["cpu_us_per_poll"] for r in extra_rows[name, n]]
            text += f" loop {name} {spread(other, '.0f')} us/poll"
            if ours_rows:
                other_ratios = [o / b for o, b in zip(per_poll, other, strict=True)]
                text += f" (ours / it: {spread(other_ratios, '.2f')}x, not judged)"
            text += ";"
        who = "ours" if ours_rows else "the hand-written loop"
        text += f" peak RSS after the first run of {who} {rss[n]:.0f} MB"
        print(text)
    if ours_rows and base_rows:
        print(
            f"  target: CPU per poll <= 1.0x the hand-written loop at every scale: {'PASS' if ok else 'FAIL'}"
        )


if __name__ == "__main__":
    asyncio.run(main())
