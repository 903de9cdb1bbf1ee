"""Soak: many batches through a simulator that keeps failing; count what got lost or doubled.

    .venv/bin/python benchmarks/soak.py                       # 1,000 batches over 60 s
    .venv/bin/python benchmarks/soak.py --outage 20,25,reset --outage 30,35,503 \
        --storm 40,70                                          # outages and a 429 storm
    .venv/bin/python benchmarks/soak.py --batches 3000 --seconds 300 --drop 0.08
    .venv/bin/python benchmarks/soak.py --hang 0.005 --read-timeout 2

Batches are started with real POSTs, spread evenly over ``--seconds``, in waves of about
one second; each wave is waited on by its own ``wait_for_batches`` stream, all on the
client's one shared scheduler. The simulator (in this process, real loopback HTTP) faults
GETs at the given rates (POSTs are never faulted: a faulted POST may leave its outcome
unknown, which is a different test). Every yielded batch is compared with what the
simulator holds. The summary counts requests, faults by kind, retries by error, the retry
budget's low-water mark, lost, duplicated and mismatched batches, and the wall time.
"Lost" means silently lost: never yielded by a wait that ended normally. Batches whose wait
was ended by an error (e.g. RetryBudgetExhaustedError once the faults drain the budget) are
counted apart, as reported rather than lost. Exit status 0 only if every batch was yielded
exactly once with the server's results.

``--outage START,END,KIND`` adds a window (seconds after the start) in which every GET
fails (``reset``: the connection closes; ``503``); ``--storm START,END`` one in which every
request, POSTs too, gets a 429 with ``Retry-After``. The summary reports the requests that
reached the simulator during each window and their rate, and checks that no batch was
started twice (the simulator created exactly the batches the client started).

Note: aiohttp resends a GET once, silently, when a kept-alive connection is dropped, so
the client retries fewer ``drop`` faults than the simulator injects.
"""

from __future__ import annotations

import argparse
import asyncio
import math
import random
import sys
import time
from collections import Counter

import attrs
from _common import cpu, peak_rss_mb

from enrow_async import (
    Backoff,
    BulkResults,
    EnrowClient,
    EnrowError,
    PollPolicy,
    RateLimitError,
    RetryBudget,
    RetryPolicy,
)
from enrow_async._core.convert import structure
from enrow_async.testing import FAULT_KINDS, EnrowSimulator, Faults, Outage, SimulatorConfig

BULK = "/email/find/bulk"
SIZES = (1, 1, 3, 10, 10, 25, 50, 100, 250, 800)

RATES = {
    "server_error": 0.08,
    "html_502": 0.04,
    "rate_limited": 0.05,
    "drop": 0.04,
    "drop_after": 0.0,
    "truncate": 0.03,
    "slow": 0.02,
    "hang": 0.0,
    "cut_json": 0.0,
    "inconsistent": 0.0,
    "echo_key": 0.0,
    "bomb": 0.0,
    "drip": 0.0,
    "redirect": 0.0,
}


@attrs.define
class CountingBudget(RetryBudget):
    """A RetryBudget that counts the retries it pays for and its lowest level."""

    retries: Counter[str] = attrs.Factory(Counter)
    refused: int = 0
    low: int = -1

    def try_spend(self, error: EnrowError) -> int | None:
        cost = super().try_spend(error)
        if cost is None:
            self.refused += 1
        else:
            self.retries[type(error).__name__] += 1
        self.low = self.tokens if self.low < 0 else min(self.low, self.tokens)
        return cost


@attrs.define
class Tally:
    started: list[str] = attrs.Factory(list)
    yielded: Counter[str] = attrs.Factory(Counter)
    mismatched: int = 0
    errors: Counter[str] = attrs.Factory(Counter)
    abandoned: set[str] = attrs.Factory(set)
    """Batches of waves that an error ended: not yielded, but reported, not silently lost."""
    start_retries: int = 0
    """Starts refused with 429 after the client's own retries, sent again a second later."""


def searches(rng: random.Random, n: int, batch: int) -> list[dict[str, object]]:
    return [
        {
            "fullname": f"Person {batch}-{i}",
            "company_domain": f"company{rng.randrange(40)}.com",
            "custom": f"{batch}:{i}",
        }
        for i in range(n)
    ]


async def wave(
    client: EnrowClient, sim: EnrowSimulator, ids: list[str], tally: Tally, timeout: float
) -> None:
    try:
        async for batch in client.wait_for_batches(ids, timeout=timeout):
            tally.yielded[batch.id] += 1
            if batch != structure(sim.completed_body(batch.id), BulkResults, body=b"{}"):
                tally.mismatched += 1
    except EnrowError as exc:
        tally.errors[type(exc).__name__] += 1
        tally.abandoned.update(bid for bid in ids if bid not in tally.yielded)
        print(
            f"  wave of {len(ids)} ended early: {type(exc).__name__}: {str(exc)[:200]}",
            file=sys.stderr,
        )


async def soak(args: argparse.Namespace) -> Summary:
    rng = random.Random(args.seed)
    windows = [Outage(a, b, kind, methods="GET") for a, b, kind in args.outage]
    windows += [Outage(a, b, "429") for a, b in args.storm]
    faults = Faults(
        **{kind: getattr(args, kind) for kind in FAULT_KINDS},
        retry_after=args.retry_after,
        slow_seconds=args.slow_seconds,
        outages=windows,
    )
    config = SimulatorConfig(
        seed=args.seed, duration=args.duration, faults=faults, post_rate_limit=None
    )
    budget = CountingBudget(capacity=args.budget)
    retry = RetryPolicy(attempts=args.attempts, backoff=Backoff(initial=0.05, cap=1.0))
    polling = PollPolicy(initial=0.4, min_interval=0.1, max_interval=2.0)
    tally = Tally()
    waves = max(1, math.ceil(args.seconds))
    per_wave = math.ceil(args.batches / waves)
    start, cpu_start = time.monotonic(), cpu()
    async with (
        EnrowSimulator(config) as sim,
        EnrowClient(
            sim.api_key,
            base_url=sim.base_url,
            retry=retry,
            retry_budget=budget,
            poll_policy=polling,
            posts_per_second=10**6,
            read_timeout=args.read_timeout,
        ) as client,
        asyncio.TaskGroup() as tg,
    ):
        searches_total = 0
        for w in range(waves):
            await asyncio.sleep(max(0.0, start + w * args.seconds / waves - time.monotonic()))
            count = min(per_wave, args.batches - len(tally.started))
            if count <= 0:
                break
            ids = []
            for _ in range(count):
                size = rng.choice(SIZES)
                searches_total += size
                people = searches(rng, size, len(tally.started))
                while True:
                    try:
                        job = await client.start_bulk_search(people)
                        break
                    except RateLimitError:  # certainly not started: safe to send later
                        tally.start_retries += 1
                        await asyncio.sleep(1.0)
                tally.started.append(job.id)
                ids.append(job.id)
            tg.create_task(wave(client, sim, ids, tally, args.timeout))
    stats = sim.stats
    return Summary(
        created=stats.created[BULK],
        start_retries=tally.start_retries,
        windows=[
            (f"{w.kind} {w.start:g}-{w.end:g} s", stats.faults[f"outage_{w.kind}"], w.end - w.start)
            for w in windows
        ],
        batches=len(tally.started),
        searches=searches_total,
        gets=stats.requests["GET", BULK],
        posts=stats.requests["POST", BULK],
        faults=dict(stats.faults),
        retries=dict(budget.retries),
        budget_low=budget.low,
        budget=budget.capacity,
        refused=budget.refused,
        lost=len(set(tally.started) - set(tally.yielded) - tally.abandoned),
        abandoned=len(tally.abandoned),
        duplicated=sum(n > 1 for n in tally.yielded.values()),
        mismatched=tally.mismatched,
        stream_errors=dict(tally.errors),
        wall=time.monotonic() - start,
        cpu=cpu() - cpu_start,
    )


@attrs.frozen(kw_only=True)
class Summary:
    created: int
    start_retries: int
    windows: list[tuple[str, int, float]]
    batches: int
    searches: int
    gets: int
    posts: int
    faults: dict[str, int]
    retries: dict[str, int]
    budget_low: int
    budget: int
    refused: int
    lost: int
    abandoned: int
    duplicated: int
    mismatched: int
    stream_errors: dict[str, int]
    wall: float
    cpu: float

    @property
    def ok(self) -> bool:
        twice = self.created != self.batches
        return not (self.lost or self.abandoned or self.duplicated or self.mismatched or twice)

    def table(self) -> str:
        gets = max(self.gets, 1)
        faults = sum(self.faults.values())
        lines = [
            ("batches started", f"{self.batches} ({self.searches} searches)"),
            ("requests", f"{self.gets} GET, {self.posts} POST"),
            ("faults (all, on GETs)", f"{faults} ({faults / gets:.1%} of GETs)"),
        ]
        lines += [
            (f"  {kind}", f"{self.faults[kind]} ({self.faults[kind] / gets:.1%})")
            for kind in FAULT_KINDS
            if self.faults.get(kind)
        ]
        lines.append(("retries (all)", str(sum(self.retries.values()))))
        lines += [(f"  after {name}", str(n)) for name, n in sorted(self.retries.items())]
        lines += [
            (
                "retry budget low / cap",
                f"{self.budget_low} / {self.budget} (refused {self.refused})",
            ),
            ("started twice", str(self.created - self.batches)),
            ("starts refused (429) and sent later", str(self.start_retries)),
            ("lost (silently)", str(self.lost)),
            ("duplicated", str(self.duplicated)),
            ("mismatched results", str(self.mismatched)),
            ("waits ended by an error", str(self.stream_errors or 0)),
            ("  their unfinished batches", str(self.abandoned)),
            ("wall time", f"{self.wall:.1f} s"),
            ("CPU (client + simulator)", f"{self.cpu:.1f} s; peak RSS {peak_rss_mb():.0f} MB"),
        ]
        seen: Counter[str] = Counter()
        for name, count, seconds in self.windows:  # same-kind windows share one counter
            kind = name.split()[0]
            seen[kind] += 1
            if seen[kind] == 1:
                lines.append(
                    (f"during {kind} windows", f"{count} requests ({count / seconds:.1f}/s)")
                )
        width = max(len(name) for name, _ in lines)
        return "\n".join(f"{name:<{width}}  {value}" for name, value in lines)


def _window(text: str) -> tuple[float, float, str]:
    start, end, kind = text.split(",")
    return float(start), float(end), kind


def _range(text: str) -> tuple[float, float]:
    low, _, high = text.partition(",")
    return float(low), float(high or low)


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__.splitlines()[0], formatter_class=argparse.ArgumentDefaultsHelpFormatter
    )
    parser.add_argument("--batches", type=int, default=1000, help="batches to start in all")
    parser.add_argument(
        "--seconds", type=float, default=60.0, help="spread the starts over this long"
    )
    parser.add_argument(
        "--duration", type=_range, default=(0.5, 10.0), help="MIN,MAX seconds a batch runs"
    )
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--attempts", type=int, default=12, help="RetryPolicy.attempts")
    parser.add_argument("--budget", type=int, default=500, help="RetryBudget capacity")
    parser.add_argument(
        "--read-timeout", type=float, default=5.0, help="client read_timeout (cuts hung polls)"
    )
    parser.add_argument("--timeout", type=float, default=600.0, help="deadline of each wave's wait")
    parser.add_argument(
        "--retry-after", type=float, default=0.1, help="Retry-After of the 429 fault"
    )
    parser.add_argument("--slow-seconds", type=float, default=0.3, help="delay of the slow fault")
    parser.add_argument(
        "--outage", type=_window, action="append", default=[], help="START,END,reset|503 (GETs)"
    )
    parser.add_argument(
        "--storm", type=_range, action="append", default=[], help="START,END of a 429 storm"
    )
    for kind, rate in RATES.items():
        parser.add_argument(
            f"--{kind.replace('_', '-')}",
            type=float,
            default=rate,
            help=f"rate of {kind} faults on GETs",
        )
    args = parser.parse_args()
    summary = asyncio.run(soak(args))
    print(summary.table())
    ok = summary.ok
    print("PASS: every batch once, results as the server holds them" if ok else "FAIL")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
