"""Virtual-time simulation of batch polling: PollPlan against naive loops, on two mixes.

    .venv/bin/python benchmarks/polling_sim.py [--batches 5000] [--seed 1] [--repeat 1]
        [--hint both|none|minutes] [--plot benchmarks/polling.png]

The short mix finishes in 2-30 s (uniform), the long mix in 30 s-2 h (log-uniform); a
coarse short mix (10 searches per batch) is reported, not judged. Searches finish at times
drawn from a progress curve (fast start, linear or slow start, of random strength), so
``finished`` moves unevenly and in integer steps; the batch is ``completed`` from the moment
its last search finishes. The waiter starts polling when the batch is created. No sleeping
and no event loop: every strategy is a loop over virtual poll times, and all strategies see
the same batches.

Per strategy: polls per batch (every GET, the one that sees ``completed`` included),
lateness (time of that poll minus the true finish; also as a share of the duration), and
for PollPlan the ETA error at 25 / 50 / 75 % done. The hint is ``estimated_duration`` as the
API gives it: minutes, rounded up; on the long mix one batch in five gets one off by 2x.
Baselines: a fixed 2 s loop, a backoff of 1 s x1.5 capped at 20 s, and on the long mix a
fixed 60 s loop. ``--repeat K`` runs seeds ``seed .. seed + K - 1`` and reports the median
of each figure over them. Exit status 0 when PollPlan meets every target.
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

from enrow_async._core.policy import PollPolicy
from enrow_async._core.schedule import PollPlan

TARGET_POLLS = 8.0
TARGET_MEDIAN_LATE = 0.3
TARGET_P90_LATE = 1.0
TARGET_LONG_POLLS = 12.0
TARGET_LONG_P90_POLLS = 30.0
TARGET_LONG_SHARE = 0.02
TARGET_ETA = 0.25
SHAPES = ("fast_start", "linear", "slow_start")
OURS = "PollPlan, no hint"
OURS_HINT = "PollPlan, minute hint"
FIXED = "fixed 2 s"
BACKOFF = "backoff 1 s x1.5 cap 20 s"
FIXED_60 = "fixed 60 s"


@dataclass(frozen=True)
class Batch:
    finish: float  # true finish time, seconds after creation
    shape: str
    times: Sequence[float]  # sorted finish time of every search; times[-1] == finish
    hint: float  # estimated_duration as the API gives it: whole minutes, sometimes off 2x

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


def make_batches(rng: random.Random, count: int, *, coarse: bool, long: bool) -> list[Batch]:
    """The short mix finishes in 2-30 s (uniform), the long one in 30 s-2 h (log-uniform),
    its hint off by 2x (either way) for one batch in five."""
    batches = []
    for _ in range(count):
        if long:
            finish = math.exp(rng.uniform(math.log(30.0), math.log(7200.0)))
        else:
            finish = rng.uniform(2.0, 30.0)
        shape = rng.choice(SHAPES)
        size = 10 if coarse else round(math.exp(rng.uniform(math.log(20), math.log(1000))))
        inverse = _curve(rng, shape)
        rel = sorted(inverse(rng.random()) for _ in range(size))
        top = rel[-1] or 1.0
        times = [finish * x / top for x in rel]
        times[-1] = finish
        off = rng.choice((0.5, 2.0)) if long and rng.random() < 0.2 else 1.0
        hint = math.ceil(finish * off / 60.0) * 60.0
        batches.append(Batch(finish, shape, times, hint))
    return batches


@dataclass(frozen=True)
class Outcome:
    polls: int
    late: float  # seconds
    share: float  # lateness over the batch's duration
    eta: tuple[float, ...] = ()  # |eta error| / true remaining at the first poll past each LEVELS


LEVELS = (0.25, 0.5, 0.75)  # progress at which the ETA is judged


def _outcome(batch: Batch, polls: int, t: float, eta: tuple[float, ...] = ()) -> Outcome:
    return Outcome(polls, t - batch.finish, (t - batch.finish) / batch.finish, eta)


def run_fixed(batch: Batch, interval: float = 2.0) -> Outcome:
    """GET, sleep ``interval``, repeat: the first poll is at creation."""
    polls = math.ceil(batch.finish / interval) + 1
    return _outcome(batch, polls, (polls - 1) * interval)


def run_backoff(
    batch: Batch, first: float = 1.0, factor: float = 1.5, cap: float = 20.0
) -> Outcome:
    """GET, then sleep 1 s, 1.5 s, 2.25 s, ... capped at 20 s."""
    t, delay, polls = 0.0, first, 1
    while t < batch.finish:
        t += delay
        delay = min(cap, delay * factor)
        polls += 1
    return _outcome(batch, polls, t)


def run_plan(batch: Batch, policy: PollPolicy, rng: random.Random, *, hint: bool) -> Outcome:
    """PollPlan as the client drives it: observe each snapshot, then ask for the next delay.
    The ETA is read at the first poll that sees each of ``LEVELS`` of the searches done."""
    plan = PollPlan(policy, started_at=0.0, estimated_duration=batch.hint if hint else None)
    t = plan.first_delay(rng.random())
    polls = 1
    errors: list[float] = []
    while t < batch.finish:
        finished = batch.finished(t)
        plan.observe(t, finished, batch.requested)
        while len(errors) < len(LEVELS) and finished >= LEVELS[len(errors)] * batch.requested:
            eta = plan.eta(t)
            left = batch.finish - t
            errors.append(math.inf if eta is None else abs(eta - left) / left)
        delay = plan.next_delay(t, rng.random())
        assert policy.min_interval <= delay <= policy.max_interval, delay
        t += delay
        polls += 1
    errors += [math.nan] * (len(LEVELS) - len(errors))  # a level passed between two polls
    return _outcome(batch, polls, t, tuple(errors))


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
    p90_polls: float
    mean_polls: float
    late: float  # median lateness, s
    p90: float  # 90th-percentile lateness, s
    p99: float
    p90_share: float  # 90th-percentile lateness over duration
    max_share: float
    eta25: float  # median |ETA error| / true remaining at 25 %, 50 %, 75 % done
    eta50: float
    eta75: float

    @classmethod
    def of(cls, outcomes: Sequence[Outcome]) -> Figures:
        polls = [o.polls for o in outcomes]
        late = [o.late for o in outcomes]
        share = [o.share for o in outcomes]
        etas = []
        for i in range(len(LEVELS)):
            seen = [o.eta[i] for o in outcomes if o.eta and not math.isnan(o.eta[i])]
            etas.append(statistics.median(seen) if seen else math.nan)
        return cls(
            statistics.median(polls),
            percentile(polls, 90),
            statistics.fmean(polls),
            statistics.median(late),
            percentile(late, 90),
            percentile(late, 99),
            percentile(share, 90),
            max(share),
            *etas,
        )

    @classmethod
    def median_of(cls, runs: Sequence[Figures]) -> Figures:
        return cls(*(statistics.median(getattr(f, k) for f in runs) for k in cls.__annotations__))

    def passes(self, long: bool) -> bool:
        if long:
            return (
                self.polls <= TARGET_LONG_POLLS
                and self.p90_polls <= TARGET_LONG_P90_POLLS
                and self.p90_share <= TARGET_LONG_SHARE
                and self.eta50 <= TARGET_ETA
            )
        return (
            self.polls <= TARGET_POLLS
            and self.late <= TARGET_MEDIAN_LATE
            and self.p90 <= TARGET_P90_LATE
            and self.eta50 <= TARGET_ETA
        )


Results = dict[str, Figures]


def simulate(
    batches: list[Batch], policy: PollPolicy, seed: int, hints: Sequence[bool], *, long: bool
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
    if long:
        raw[FIXED_60] = [run_fixed(b, 60.0) for b in batches]
    results = {name: Figures.of(outcomes) for name, outcomes in raw.items()}
    ours = raw[OURS_HINT if hints[0] else OURS]
    for shape in SHAPES:
        results[shape] = Figures.of(
            [o for o, b in zip(ours, batches, strict=True) if b.shape == shape]
        )
    return results, raw


def print_table(title: str, results: Results, *, long: bool, judged: bool) -> None:
    print(f"\n{title}")
    print(
        f"  {'strategy':<27} {'polls med':>9} {'p90':>5} {'late med':>9} {'late p90':>9}"
        f" {'p90 share':>9} {'max share':>9}  ETA error at 25/50/75 %"
    )
    for name in (OURS, OURS_HINT, FIXED, BACKOFF, FIXED_60):
        if name not in results:
            continue
        f = results[name]
        ours = name in (OURS, OURS_HINT)
        verdict = ("  PASS" if f.passes(long) else "  FAIL") if judged and ours else ""
        eta = f"  {f.eta25:.0%} / {f.eta50:.0%} / {f.eta75:.0%}" if ours else ""
        print(
            f"  {name:<27} {f.polls:>9.1f} {f.p90_polls:>5.0f} {f.late:>8.3f}s {f.p90:>8.3f}s"
            f" {f.p90_share:>9.2%} {f.max_share:>9.1%}{eta}{verdict}"
        )
    print(
        "  PollPlan by curve: "
        + "; ".join(
            f"{s} {results[s].polls:g} polls, p90 {results[s].p90_share:.2%} late,"
            f" ETA at 50 % {results[s].eta50:.0%}"
            for s in SHAPES
        )
    )


def plot(path: str, mixes: dict[str, tuple[dict[str, list[Outcome]], Results]], seed: int) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    rng = random.Random(seed)
    colors = {
        OURS: "tab:blue",
        OURS_HINT: "tab:purple",
        FIXED: "tab:orange",
        BACKOFF: "tab:green",
        FIXED_60: "tab:red",
    }
    fig, axes = plt.subplots(len(mixes), 2, figsize=(13, 5 * len(mixes)), squeeze=False)
    for (title, (raw, results)), (left, right) in zip(mixes.items(), axes, strict=True):
        long = "long" in title
        for layer, name in enumerate(n for n in colors if n in raw):
            sample = raw[name][:2000]
            ys = [100 * o.share if long else o.late for o in sample]
            xs = [o.polls * rng.uniform(0.93, 1.07) for o in sample]
            left.scatter(xs, ys, s=4, alpha=0.25, color=colors[name], label=name, zorder=5 - layer)
            f = results[name]
            y, top = (100 * f.p90_share, 100 * f.p90_share) if long else (f.late, f.p90)
            if long:
                y = 100 * statistics.median(o.share for o in raw[name])
            left.errorbar(
                f.polls,
                y,
                yerr=[[0.0], [top - y]],
                fmt="D",
                ms=9,
                color=colors[name],
                mec="black",
                capsize=6,
                zorder=8,
            )
            late = sorted(100 * o.share if long else o.late for o in raw[name])
            right.plot(
                late,
                [(i + 1) / len(late) for i in range(len(late))],
                color=colors[name],
                label=name,
            )
        unit = "lateness, % of the batch's duration" if long else "lateness of detection (s)"
        target = 100 * TARGET_LONG_SHARE if long else TARGET_P90_LATE
        left.axvline(TARGET_LONG_POLLS if long else TARGET_POLLS, ls=":", color="grey")
        left.axhline(target, ls="--", color="grey")
        left.set(
            xscale="log",
            xlabel="polls per batch (log, jittered)",
            ylabel=unit,
            ylim=(0, 10 if long else 12),
            title=f"{title}\neach batch; diamond = median, bar up to p90",
        )
        left.legend(loc="upper right", markerscale=4, fontsize=8)
        right.axvline(target, ls="--", color="grey")
        right.axhline(0.9, ls=":", color="grey")
        right.set(
            xlabel=unit, ylabel="share of batches", xlim=(0, 10), title="lateness, cumulative\n"
        )
        right.grid(alpha=0.3)
        right.legend(loc="lower right", fontsize=8)
    fig.suptitle(f"Polling batches with uneven progress (virtual time, seed {seed})")
    fig.tight_layout()
    fig.savefig(path, dpi=90)
    plt.close(fig)


MIXES = (  # (title, coarse, long, judged)
    ("short mix, 2-30 s, 20-1000 searches", False, False, True),
    ("short coarse mix, 2-30 s, 10 searches", True, False, False),
    ("long mix, 30 s-2 h, 20-1000 searches", False, True, True),
)


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
    ok = True
    shown: dict[str, tuple[dict[str, list[Outcome]], Results]] = {}
    for index, (title, coarse, long, judged) in enumerate(MIXES):
        runs: list[Results] = []
        for seed in seeds:
            mix_seed = seed * 3 + index
            batches = make_batches(random.Random(mix_seed), args.batches, coarse=coarse, long=long)
            results, raw = simulate(batches, policy, mix_seed, hints, long=long)
            runs.append(results)
            if judged and seed == args.seed:
                shown[title] = (raw, results)
        medians = {k: Figures.median_of([r[k] for r in runs]) for k in runs[0]}
        over = (
            f"seed {args.seed}" if len(seeds) == 1 else f"median over seeds {seeds[0]}-{seeds[-1]}"
        )
        note = "" if judged else " (not judged)"
        print_table(
            f"{title}; {args.batches} batches; {over}{note}", medians, long=long, judged=judged
        )
        if judged:
            ok = ok and all(medians[n].passes(long) for n in (OURS, OURS_HINT) if n in medians)
    print(
        f"\ntargets: short mix median polls <= {TARGET_POLLS:g}, lateness median <= "
        f"{TARGET_MEDIAN_LATE} s, p90 <= {TARGET_P90_LATE} s; long mix polls median <= "
        f"{TARGET_LONG_POLLS:g}, p90 <= {TARGET_LONG_P90_POLLS:g}, lateness p90 <= "
        f"{TARGET_LONG_SHARE:.0%} of the duration; ETA error at 50 % <= {TARGET_ETA:.0%}: "
        f"{'PASS' if ok else 'FAIL'}"
    )
    if args.plot:
        plot(args.plot, shown, args.seed)
        print(f"wrote {args.plot}")
    print(f"({time.perf_counter() - began:.1f} s)")
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
