"""Virtual-time simulation of batch polling: PollPlan against two naive loops.

    .venv/bin/python benchmarks/polling_sim.py [--batches 5000] [--seed 1] [--repeat 1]
        [--hint both|none|minutes] [--plot benchmarks/polling.png]

Each simulated batch finishes at a random time in [2, 30] s. Its searches finish at times
drawn from a progress curve (fast start, linear or slow start, of random strength), so
``finished`` moves unevenly and in integer steps; the batch is ``completed`` from the moment
its last search finishes. The waiter starts polling when the batch is created. No sleeping
and no event loop: every strategy is a loop over virtual poll times, and all strategies see
the same batches.

Per strategy: polls per batch (every GET, the one that sees ``completed`` included) and
lateness (time of that poll minus the true finish). The main mix has 20 to 1,000 searches
per batch (log-uniform); the coarse mix has 10, so ``finished`` moves 0, 1, ..., 10. The
hint is ``estimated_duration`` as the API gives it: minutes, rounded up. ``--repeat K``
runs seeds ``seed .. seed + K - 1`` and reports the median of each figure over them.
Exit status 0 when PollPlan meets the targets on the main mix.
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

from enrow_async._core.schedule import PollPlan, PollPolicy

TARGET_POLLS = 8.0
TARGET_MEDIAN_LATE = 0.3
TARGET_P90_LATE = 1.0
SHAPES = ("fast_start", "linear", "slow_start")
OURS = "PollPlan, no hint"
OURS_HINT = "PollPlan, minute hint"
FIXED = "fixed 2 s"
BACKOFF = "backoff 1 s x1.5 cap 20 s"


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
    """Inverse CDF of a search's relative finish time, for one random curve of ``shape``."""
    if shape == "linear":
        return lambda v: v
    power = rng.random() < 0.5
    if shape == "fast_start":
        if power:  # share done = x ** q, q < 1: steep start, steady tail
            q = rng.uniform(0.4, 0.75)
            return lambda v: v ** (1.0 / q)
        w = rng.uniform(0.4, 0.9)  # rate 1 + w (1 - 2x): falls to 1 - w of the mean
        return lambda v: ((1 + w) - math.sqrt((1 + w) ** 2 - 4 * w * v)) / (2 * w)
    if power:  # share done = x ** q, q > 1: warm-up
        q = rng.uniform(1.5, 3.0)
        return lambda v: v ** (1.0 / q)
    w = rng.uniform(0.4, 0.9)  # rate 1 - w + 2 w x: grows from 1 - w of the mean
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
    polls = math.ceil(batch.finish / interval) + 1
    return polls, (polls - 1) * interval - batch.finish


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
    """PollPlan as the client drives it: observe each snapshot, then ask for the next delay."""
    minutes = math.ceil(batch.finish / 60.0)
    plan = PollPlan(policy, started_at=0.0, estimated_duration=minutes * 60.0 if hint else None)
    t = plan.first_delay(rng.random())
    polls = 1
    while t < batch.finish:
        plan.observe(t, batch.finished(t), batch.requested)
        delay = plan.next_delay(t, rng.random())
        assert policy.min_interval <= delay <= policy.max_interval, delay
        t += delay
        polls += 1
    return polls, t - batch.finish


def percentile(values: Sequence[float], q: float) -> float:
    """Linear-interpolated percentile, ``q`` in [0, 100]."""
    data = sorted(values)
    pos = (len(data) - 1) * q / 100.0
    lo = math.floor(pos)
    hi = min(lo + 1, len(data) - 1)
    return data[lo] + (data[hi] - data[lo]) * (pos - lo)


@dataclass(frozen=True)
class Figures:
    polls: float  # median polls per batch
    mean_polls: float
    late: float  # median lateness, s
    p90: float  # 90th-percentile lateness, s
    p99: float

    @classmethod
    def of(cls, outcomes: Sequence[Outcome]) -> Figures:
        polls = [p for p, _ in outcomes]
        late = [lt for _, lt in outcomes]
        return cls(
            statistics.median(polls),
            statistics.fmean(polls),
            statistics.median(late),
            percentile(late, 90),
            percentile(late, 99),
        )

    @classmethod
    def median_of(cls, runs: Sequence[Figures]) -> Figures:
        return cls(*(statistics.median(getattr(f, k) for f in runs) for k in cls.__annotations__))

    def passes(self) -> bool:
        return (
            self.polls <= TARGET_POLLS
            and self.late <= TARGET_MEDIAN_LATE
            and self.p90 <= TARGET_P90_LATE
        )


Results = dict[str, Figures]


def simulate(
    batches: list[Batch], policy: PollPolicy, seed: int, hints: Sequence[bool]
) -> tuple[Results, dict[str, list[Outcome]]]:
    """Every strategy on the same ``batches``: figures, plus raw outcomes for the plot.

    Figures keyed ``"<shape>"`` are PollPlan's (first hint mode) on that curve only.
    """
    raw: dict[str, list[Outcome]] = {}
    for hint in hints:
        raw[OURS_HINT if hint else OURS] = [
            run_plan(b, policy, random.Random(seed * 7919 + i), hint=hint)
            for i, b in enumerate(batches)
        ]
    raw[FIXED] = [run_fixed(b) for b in batches]
    raw[BACKOFF] = [run_backoff(b) for b in batches]
    results = {name: Figures.of(outcomes) for name, outcomes in raw.items()}
    ours = raw[OURS_HINT if hints[0] else OURS]
    for shape in SHAPES:
        results[shape] = Figures.of(
            [o for o, b in zip(ours, batches, strict=True) if b.shape == shape]
        )
    return results, raw


def print_table(title: str, results: Results, *, judged: bool) -> None:
    print(f"\n{title}")
    print(
        f"  {'strategy':<27} {'polls med':>9} {'mean':>6} {'late med':>9} {'late p90':>9} {'late p99':>9}"
    )
    for name in (OURS, OURS_HINT, FIXED, BACKOFF):
        if name not in results:
            continue
        f = results[name]
        verdict = (
            ("  PASS" if f.passes() else "  FAIL") if judged and name in (OURS, OURS_HINT) else ""
        )
        print(
            f"  {name:<27} {f.polls:>9.1f} {f.mean_polls:>6.2f} {f.late:>8.3f}s {f.p90:>8.3f}s {f.p99:>8.3f}s{verdict}"
        )
    for name in (OURS, OURS_HINT):
        if name not in results:
            continue
        f = results[name]
        for base_name in (FIXED, BACKOFF):
            b = results[base_name]
            print(
                f"  {name} / {base_name}: polls x{f.polls / b.polls:.2f}, median lateness "
                f"x{f.late / b.late:.2f}, p90 lateness x{f.p90 / b.p90:.2f}"
            )
    print(
        "  PollPlan by curve: "
        + "; ".join(
            f"{s} {results[s].polls:g} polls, {results[s].late:.2f} / {results[s].p90:.2f} s"
            for s in SHAPES
        )
    )


def plot(path: str, raw: dict[str, list[Outcome]], results: Results, seed: int) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    rng = random.Random(seed)
    ours = OURS if OURS in raw else OURS_HINT
    shown = (ours, FIXED, BACKOFF)
    colors = ("tab:blue", "tab:orange", "tab:green")
    fig, (left, right) = plt.subplots(1, 2, figsize=(12, 5))
    for layer, (name, color) in enumerate(zip(shown, colors, strict=True)):
        sample = raw[name][:2000]
        xs = [p + rng.uniform(-0.3, 0.3) for p, _ in sample]
        left.scatter(
            xs, [lt for _, lt in sample], s=4, alpha=0.25, color=color, label=name, zorder=3 - layer
        )
        f = results[name]
        left.errorbar(
            f.polls,
            f.late,
            yerr=[[0.0], [f.p90 - f.late]],
            fmt="D",
            ms=9,
            color=color,
            mec="black",
            capsize=6,
            zorder=5,
        )
        late = sorted(lt for _, lt in raw[name])
        right.plot(late, [(i + 1) / len(late) for i in range(len(late))], color=color, label=name)
    left.axvline(TARGET_POLLS, ls=":", color="grey")
    left.axhline(TARGET_P90_LATE, ls="--", color="grey")
    left.set(
        xlabel="polls per batch (jittered)",
        ylabel="lateness of detection (s)",
        ylim=(0, 12),
        title="each batch; diamond = median, bar up to p90",
    )
    left.legend(loc="upper right", markerscale=4)
    right.axvline(TARGET_P90_LATE, ls="--", color="grey")
    right.axhline(0.9, ls=":", color="grey")
    right.set(
        xlabel="lateness of detection (s)",
        ylabel="share of batches",
        xlim=(0, 10),
        title="lateness, cumulative",
    )
    right.grid(alpha=0.3)
    right.legend(loc="lower right")
    fig.suptitle(f"Polling batches that finish in 2-30 s, uneven progress (main mix, seed {seed})")
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--batches", type=int, default=5000, help="batches per mix and seed")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--repeat", type=int, default=1, help="seeds to run; medians reported")
    parser.add_argument(
        "--hint",
        choices=("both", "none", "minutes"),
        default="both",
        help="whether PollPlan is given estimated_duration (minutes, rounded up)",
    )
    parser.add_argument("--plot", metavar="PNG", help="write a polls-vs-lateness plot")
    args = parser.parse_args(argv)
    hints = {"both": (False, True), "none": (False,), "minutes": (True,)}[args.hint]
    began = time.perf_counter()
    policy = PollPolicy()
    print(f"{policy}")
    seeds = range(args.seed, args.seed + max(1, args.repeat))
    medians: dict[bool, Results] = {}
    for coarse in (False, True):
        runs: list[Results] = []
        for seed in seeds:
            batches = make_batches(random.Random(seed * 2 + coarse), args.batches, coarse=coarse)
            results, raw = simulate(batches, policy, seed * 2 + coarse, hints)
            runs.append(results)
            if args.plot and not coarse and seed == args.seed:
                plot(args.plot, raw, results, seed)
        medians[coarse] = {k: Figures.median_of([r[k] for r in runs]) for k in runs[0]}
        what = "coarse mix, 10 searches per batch" if coarse else "main mix, 20-1000 searches"
        over = (
            f"seed {args.seed}" if len(seeds) == 1 else f"median over seeds {seeds[0]}-{seeds[-1]}"
        )
        note = " (targets apply to the main mix only)" if coarse else ""
        print_table(
            f"{what}; {args.batches} batches; {over}{note}", medians[coarse], judged=not coarse
        )
    main_mix = medians[False]
    ours = [main_mix[name] for name in (OURS, OURS_HINT) if name in main_mix]
    ok = all(
        f.passes()
        and all(f.late < main_mix[b].late and f.p90 < main_mix[b].p90 for b in (FIXED, BACKOFF))
        for f in ours
    )
    print(
        f"\ntargets on the main mix: median polls <= {TARGET_POLLS:g}, median lateness <= "
        f"{TARGET_MEDIAN_LATE} s, p90 lateness <= {TARGET_P90_LATE} s, lateness below both "
        f"baselines: {'PASS' if ok else 'FAIL'}"
    )
    if args.plot:
        print(f"wrote {args.plot}")
    print(f"({time.perf_counter() - began:.1f} s)")
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
