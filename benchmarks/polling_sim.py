"""Virtual-time simulation of batch polling: PollPlan against two naive loops.

    .venv/bin/python benchmarks/polling_sim.py [--batches 5000] [--seed 1] [--plot benchmarks/polling.png]

Each simulated batch finishes at a random time in [2, 30] s. Its searches finish at times
drawn from a progress curve (fast start, linear or slow start, with random strength), so
``finished`` moves unevenly and in integer steps; the batch is ``completed`` from the
moment its last search finishes. A waiter starts polling when the batch is created. No
sleeping and no event loop: each strategy is a loop over virtual poll times.

Reported per strategy: polls per batch (every GET, the one that sees ``completed``
included) and lateness (time of that poll minus the true finish). The main mix has 20 to
1,000 searches per batch; the coarse mix has 10, so ``finished`` moves 0, 1, ..., 10.
"""

from __future__ import annotations

import argparse
import bisect
import math
import random
import statistics
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from enrow_async._schedule import PollPlan, PollPolicy

TARGET_POLLS = 8.0
TARGET_MEDIAN_LATE = 0.3
TARGET_P90_LATE = 1.0
MAX_POLLS = 10_000
SHAPES = ("fast_start", "linear", "slow_start")


@dataclass(frozen=True)
class Batch:
    finish: float  # true finish time, seconds after creation
    shape: str
    times: Sequence[float]  # sorted finish time of every search; times[-1] == finish

    @property
    def requested(self) -> int:
        return len(self.times)

    def finished(self, t: float) -> int:
        return bisect.bisect_right(self.times, t)


def _curve(rng: random.Random, shape: str) -> Callable[[float], float]:
    """Inverse CDF of a search's relative finish time for one random curve of ``shape``."""
    if shape == "linear":
        return lambda v: v
    power = rng.random() < 0.5
    if shape == "fast_start":
        if power:  # x ** q, q < 1: steep start, steady tail
            q = rng.uniform(0.4, 0.75)
            return lambda v: v ** (1.0 / q)
        w = rng.uniform(0.4, 0.9)  # density 1 + w (1 - 2x): rate falls to 1 - w of the mean
        return lambda v: ((1 + w) - math.sqrt((1 + w) ** 2 - 4 * w * v)) / (2 * w)
    if power:  # x ** q, q > 1: warm-up
        q = rng.uniform(1.5, 3.0)
        return lambda v: v ** (1.0 / q)
    w = rng.uniform(0.4, 0.9)  # density 1 - w + 2 w x: rate grows from 1 - w of the mean
    return lambda v: (-(1 - w) + math.sqrt((1 - w) ** 2 + 4 * w * v)) / (2 * w)


def make_batches(rng: random.Random, count: int, *, coarse: bool) -> list[Batch]:
    batches = []
    for _ in range(count):
        finish = rng.uniform(2.0, 30.0)
        shape = rng.choice(SHAPES)
        size = 10 if coarse else round(math.exp(rng.uniform(math.log(20), math.log(1000))))
        inverse = _curve(rng, shape)
        rel = sorted(inverse(rng.random()) for _ in range(size))
        top = rel[-1] or 1.0
        times = [finish * x / top for x in rel]
        times[-1] = finish
        batches.append(Batch(finish, shape, times))
    return batches


Outcome = tuple[int, float]  # (polls, lateness)


def run_fixed(batch: Batch, interval: float = 2.0) -> Outcome:
    """GET, sleep ``interval``, repeat: the first poll is at creation."""
    polls = math.floor(batch.finish / interval) + 1
    t = (polls - 1) * interval
    if t < batch.finish:
        polls += 1
        t += interval
    return polls, t - batch.finish


def run_backoff(
    batch: Batch, first: float = 1.0, factor: float = 1.5, cap: float = 20.0
) -> Outcome:
    """GET, then sleep 1 s, 1.5 s, 2.25 s, ... capped at 20 s."""
    t, delay, polls = 0.0, first, 1
    while t < batch.finish:
        t += delay
        delay = min(cap, delay * factor)
        polls += 1
    return polls, t - batch.finish


def run_plan(batch: Batch, policy: PollPolicy, rng: random.Random, *, hint: bool) -> Outcome:
    minutes = math.ceil(batch.finish / 60.0) if hint else None
    plan = PollPlan(
        policy, started_at=0.0, estimated_duration=None if minutes is None else minutes * 60.0
    )
    t = plan.first_delay(rng.random())
    for polls in range(1, MAX_POLLS):
        if t >= batch.finish:
            return polls, t - batch.finish
        plan.observe(t, batch.finished(t), batch.requested)
        delay = plan.next_delay(t, rng.random())
        assert policy.min_interval <= delay <= policy.max_interval, delay
        t += delay
    raise RuntimeError("no finish detected")


def percentile(values: Sequence[float], q: float) -> float:
    """Linear-interpolated percentile, ``q`` in [0, 100]."""
    data = sorted(values)
    pos = (len(data) - 1) * q / 100.0
    lo = math.floor(pos)
    hi = min(lo + 1, len(data) - 1)
    return data[lo] + (data[hi] - data[lo]) * (pos - lo)


@dataclass
class Summary:
    name: str
    outcomes: list[Outcome]

    @property
    def polls(self) -> list[float]:
        return [p for p, _ in self.outcomes]

    @property
    def late(self) -> list[float]:
        return [lt for _, lt in self.outcomes]

    @property
    def median_polls(self) -> float:
        return statistics.median(self.polls)

    @property
    def mean_polls(self) -> float:
        return statistics.fmean(self.polls)

    @property
    def median_late(self) -> float:
        return statistics.median(self.late)

    @property
    def p90_late(self) -> float:
        return percentile(self.late, 90)

    def passes(self) -> bool:
        return (
            self.median_polls <= TARGET_POLLS
            and self.median_late <= TARGET_MEDIAN_LATE
            and self.p90_late <= TARGET_P90_LATE
        )


def simulate(
    batches: list[Batch], policy: PollPolicy, seed: int
) -> tuple[list[Summary], dict[str, Summary]]:
    """The three strategies on ``batches``; also ours (no hint) per shape."""
    ours = [
        run_plan(b, policy, random.Random(seed * 7919 + i), hint=False)
        for i, b in enumerate(batches)
    ]
    hinted = [
        run_plan(b, policy, random.Random(seed * 7919 + i), hint=True)
        for i, b in enumerate(batches)
    ]
    rows = [
        Summary("PollPlan, no hint", ours),
        Summary("PollPlan, minute hint", hinted),
        Summary("fixed 2 s", [run_fixed(b) for b in batches]),
        Summary("backoff 1 s x1.5 cap 20 s", [run_backoff(b) for b in batches]),
    ]
    shapes = {
        shape: Summary(shape, [o for o, b in zip(ours, batches, strict=True) if b.shape == shape])
        for shape in SHAPES
    }
    return rows, shapes


def print_table(title: str, rows: list[Summary], shapes: dict[str, Summary]) -> None:
    fixed, backoff = rows[2], rows[3]
    print(f"\n{title}")
    print(f"{'strategy':<27} {'polls med':>9} {'mean':>6} {'late med':>9} {'late p90':>9}  targets")
    for row in rows:
        verdict = "PASS" if row.passes() else "FAIL"
        print(
            f"{row.name:<27} {row.median_polls:>9.1f} {row.mean_polls:>6.2f} "
            f"{row.median_late:>8.3f}s {row.p90_late:>8.3f}s  {verdict}"
        )
    for row in rows[:2]:
        for base in (fixed, backoff):
            print(
                f"  {row.name} / {base.name}: polls x{row.median_polls / base.median_polls:.2f}, "
                f"median lateness x{row.median_late / base.median_late:.2f}, "
                f"p90 lateness x{row.p90_late / base.p90_late:.2f}"
            )
    print(
        "  PollPlan, no hint, by curve: "
        + "; ".join(
            f"{s.name} {s.median_polls:.0f} polls, {s.median_late:.2f}/{s.p90_late:.2f} s"
            for s in shapes.values()
        )
    )


def plot(path: str, rows: list[Summary], rng: random.Random) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    shown = [rows[0], rows[2], rows[3]]
    colors = ("tab:blue", "tab:orange", "tab:green")
    fig, (left, right) = plt.subplots(1, 2, figsize=(12, 5))
    for row, color in zip(shown, colors, strict=True):
        sample = row.outcomes[:2000]
        xs = [p + rng.uniform(-0.3, 0.3) for p, _ in sample]
        left.scatter(xs, [lt for _, lt in sample], s=4, alpha=0.25, color=color, label=row.name)
        left.errorbar(
            row.median_polls,
            row.median_late,
            yerr=[[0.0], [row.p90_late - row.median_late]],
            fmt="D",
            ms=9,
            color=color,
            mec="black",
            capsize=6,
        )
        late = sorted(row.late)
        right.plot(
            late, [(i + 1) / len(late) for i in range(len(late))], color=color, label=row.name
        )
    left.axvline(TARGET_POLLS, ls=":", color="grey")
    left.axhline(TARGET_MEDIAN_LATE, ls=":", color="grey")
    left.axhline(TARGET_P90_LATE, ls="--", color="grey")
    left.set(
        xlabel="polls per batch",
        ylabel="lateness of detection (s)",
        ylim=(0, 12),
        title="per batch (diamond: median, bar up to p90)",
    )
    left.legend(loc="upper right", markerscale=4)
    right.set(
        xlabel="lateness of detection (s)",
        ylabel="share of batches",
        xlim=(0, 10),
        title="lateness CDF",
    )
    right.axvline(TARGET_P90_LATE, ls="--", color="grey")
    right.grid(alpha=0.3)
    right.legend(loc="lower right")
    fig.suptitle("Polling 2-30 s batches with uneven progress (virtual time, no hint)")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--batches", type=int, default=5000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--plot", metavar="PNG", help="write a polls-vs-lateness plot")
    args = parser.parse_args(argv)
    began = time.perf_counter()
    policy = PollPolicy()
    print(f"PollPlan defaults: {policy}")
    ok = True
    main_rows: list[Summary] = []
    for coarse in (False, True):
        rng = random.Random(args.seed * 2 + coarse)
        batches = make_batches(rng, args.batches, coarse=coarse)
        rows, shapes = simulate(batches, policy, args.seed * 2 + coarse)
        title = (
            "coarse mix: 10 searches per batch"
            if coarse
            else "main mix: 20-1000 searches per batch"
        )
        print_table(f"{title}, {args.batches} batches, seed {args.seed}", rows, shapes)
        if not coarse:
            main_rows = rows
            ok = (
                rows[0].passes()
                and rows[1].passes()
                and all(
                    rows[0].median_late < base.median_late and rows[0].p90_late < base.p90_late
                    for base in rows[2:]
                )
            )
    print(
        f"\ntargets (main mix): median polls <= {TARGET_POLLS:g}, median lateness <= "
        f"{TARGET_MEDIAN_LATE} s, p90 <= {TARGET_P90_LATE} s, and better lateness than both "
        f"baselines: {'PASS' if ok else 'FAIL'}"
    )
    if args.plot:
        plot(args.plot, main_rows, random.Random(args.seed))
        print(f"wrote {args.plot}")
    print(f"({time.perf_counter() - began:.1f} s)")
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
