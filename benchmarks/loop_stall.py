"""How long the event loop is held while big answers arrive together (issue 27, item 3).

    .venv/bin/python benchmarks/loop_stall.py [--runs 3] [--batches 200] [--size 5000]
        [--loops asyncio,uvloop] [--keep] [--before /tmp/stall-before]

The simulator runs in another process (``--duration 0 --post-rate-limit 0``: every batch is
complete as soon as it is created). ``--batches`` batches of ``--size`` searches are
created once (by a process of their own); then each run, in a fresh process, opens a client
and waits on all of them with ``wait_for_batches`` (default options) on the default loop or
uvloop, counting each batch as it comes and letting it go (``--keep``: keeping every one
until the end), while a ticker task asks to wake every 5 ms. Every batch is already
complete, so every first poll brings back its 5,000 results: the answers arrive together,
up to ``max_in_flight`` (64) at a time.

The stall is how late each tick wakes (the gap between two ticks minus the 5 ms asked
for), from the first poll to the last batch; the run reports its longest and its p99, the
longest full garbage collection (``gc.callbacks``, observed only), the wait's duration and
the peak RSS of its process.

``--before PATH`` runs the same children against the package at PATH too (the code before,
e.g. ``git archive main enrow_async | tar -x -C /tmp/stall-before``), through
``PYTHONPATH``; the two take turns on the same simulator and batches. Each child prints
which ``enrow_async`` it imported. Figures: ``benchmarks/README.md``.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import os
import subprocess
import sys
import tempfile
import time

from _common import median, peak_rss_mb, percentile, simulator_process

KEY = "sim-key"
TICK = 0.005


async def create(url: str, batches: int, size: int) -> list[str]:
    from enrow_async import EnrowClient

    def searches(batch: int) -> list[dict[str, object]]:
        return [
            {
                "fullname": f"Person Number{i}",
                "company_domain": f"company{(batch * size + i) % 3000}.com",
                "custom": {"row": i, "batch": batch} if i % 2 else f"lead_{i}",
            }
            for i in range(size)
        ]

    async with EnrowClient(KEY, base_url=url, posts_per_second=1000) as client:
        jobs = await asyncio.gather(
            *(client.start_bulk_search(searches(b)) for b in range(batches))
        )
    return [job.id for job in jobs]


class GcWatch:
    """The longest full (generation 2) collection, seen through ``gc.callbacks``."""

    def __init__(self) -> None:
        self.longest = 0.0
        self.full = 0
        self._start = 0.0
        gc.callbacks.append(self._callback)

    def _callback(self, phase: str, info: dict[str, int]) -> None:
        if info["generation"] != 2:
            return
        if phase == "start":
            self._start = time.perf_counter()
        else:
            self.full += 1
            self.longest = max(self.longest, time.perf_counter() - self._start)


async def child(url: str, ids: list[str], size: int, keep: bool) -> dict[str, object]:
    import enrow_async
    from enrow_async import BatchStatus, EnrowClient

    loop = asyncio.get_running_loop()
    gaps: list[float] = []
    running = True

    async def ticker() -> None:
        last = loop.time()
        while running:
            await asyncio.sleep(TICK)
            now = loop.time()
            gaps.append(now - last - TICK)
            last = now

    watch = GcWatch()
    kept = []
    results = 0
    async with EnrowClient(KEY, base_url=url) as client:
        tick = asyncio.create_task(ticker())
        started = time.perf_counter()
        async for batch in client.wait_for_batches(ids, timeout=600):
            assert batch.status is BatchStatus.COMPLETED
            results += len(batch.results)
            if keep:
                kept.append(batch)
        took = time.perf_counter() - started
        running = False
        await tick
    assert results == len(ids) * size
    return {
        "package": os.path.dirname(enrow_async.__file__),
        "max_ms": max(gaps) * 1000,
        "p99_ms": percentile(gaps, 0.99) * 1000,
        "gc_full": watch.full,
        "gc_longest_ms": watch.longest * 1000,
        "seconds": took,
    }


def run_child(
    url: str, ids_file: str, args: argparse.Namespace, loop: str, path: str | None
) -> dict[str, object]:
    env = dict(os.environ)
    if path is not None:
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [path, env.get("PYTHONPATH")]))
    command = [sys.executable, __file__, "--child", "--url", url, "--ids", ids_file]
    command += ["--loops", loop, "--size", str(args.size)] + ["--keep"] * args.keep
    done = subprocess.run(command, env=env, check=True, capture_output=True, text=True)
    return json.loads(done.stdout.strip().splitlines()[-1])  # type: ignore[no-any-return]


def report(label: str, rows: list[dict[str, object]]) -> None:
    def figure(key: str) -> str:
        values = [float(row[key]) for row in rows]  # type: ignore[arg-type]
        return f"{median(values):.1f} ({min(values):.1f}-{max(values):.1f})"

    print(
        f"{label:16} max {figure('max_ms')} ms, p99 {figure('p99_ms')} ms,"
        f" longest full GC {figure('gc_longest_ms')} ms, wait {figure('seconds')} s,"
        f" peak RSS {figure('rss_mb')} MB"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--batches", type=int, default=200)
    parser.add_argument("--size", type=int, default=5000)
    parser.add_argument("--loops", default="asyncio,uvloop")
    parser.add_argument("--keep", action="store_true", help="keep every batch until the end")
    parser.add_argument("--before", help="a checkout of the code before, measured too")
    parser.add_argument("--create", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--url", help=argparse.SUPPRESS)
    parser.add_argument("--ids", help=argparse.SUPPRESS)
    args = parser.parse_args()
    loops = args.loops.split(",")
    if args.create:  # in a process of its own: the children inherit the parent's peak RSS
        with open(args.ids, "w") as file:
            json.dump(asyncio.run(create(args.url, args.batches, args.size)), file)
        return
    if args.child:
        with open(args.ids) as file:
            waited = child(args.url, json.load(file), args.size, args.keep)
        if loops == ["uvloop"]:
            import uvloop

            row = uvloop.run(waited)
        else:
            row = asyncio.run(waited)
        print(json.dumps(row | {"rss_mb": peak_rss_mb()}))
        return
    codes = {"after": None} if args.before is None else {"before": args.before, "after": None}
    rows: dict[tuple[str, str], list[dict[str, object]]] = {}
    with (
        simulator_process("--duration", "0", "--post-rate-limit", "0") as url,
        tempfile.NamedTemporaryFile("w", suffix=".json") as ids_file,
    ):
        create_args = ["--url", url, "--ids", ids_file.name, "--batches", str(args.batches)]
        subprocess.run(
            [sys.executable, __file__, "--create", *create_args, "--size", str(args.size)],
            check=True,
        )
        for run in range(args.runs):
            for loop in loops:
                for code in sorted(codes, reverse=run % 2 == 1):
                    row = run_child(url, ids_file.name, args, loop, codes[code])
                    rows.setdefault((code, loop), []).append(row)
                    print(
                        f"run {run + 1} {code:6} {loop:8} max {row['max_ms']:7.1f} ms"
                        f"  p99 {row['p99_ms']:6.1f} ms  full GCs {row['gc_full']}"
                        f" (longest {row['gc_longest_ms']:.1f} ms)  {row['seconds']:.1f} s"
                        f"  {row['rss_mb']:.0f} MB  [{row['package']}]",
                        flush=True,
                    )
    kept = "every batch kept" if args.keep else "each batch dropped once counted"
    print(
        f"\n{args.batches} batches x {args.size} results ({kept}), 5 ms ticker,"
        f" medians of {args.runs} runs (min-max):"
    )
    for (code, loop), found in sorted(rows.items()):
        report(f"{code}, {loop}", found)


if __name__ == "__main__":
    main()
