"""What polls cost in lateness: ``PollPolicy`` variations on the judged mixes of polling_sim.

    .venv/bin/python benchmarks/policy_sweep.py [--batches 1000] [--policies 40] [--seed 0]

The default policy, then ``--policies`` random variations of its knobs (approach, caution,
noise, stall, horizon, factor, precision), each run in virtual time on the short (2-30 s)
and long (30 s-2 h) mixes of ``polling_sim.py`` with and without the minute hint, two seeds
each. One line per policy: long-mix polls median / p90 and lateness p90 as a share of the
duration (without hint, then with), short-mix polls, lateness median / p90, and ``PASS``
when every target of both mixes holds.
"""

from __future__ import annotations

import argparse
import random
from typing import Any

import polling_sim as sim

from enrow_async import PollPolicy

SEEDS = (1, 2)
KNOBS: dict[str, tuple[float, ...]] = {
    "approach": (0.85, 0.9, 0.95, 1.0),
    "caution": (1.5, 1.75, 1.9, 2.0),
    "noise": (2.0, 2.5, 3.0, 3.5),
    "stall": (0.3, 0.35, 0.4, 0.5),
    "horizon": (1.5, 2.0, 2.25),
    "factor": (2.0, 2.5, 3.0),
    "precision": (0.015, 0.02, 0.025),
}


def judged(batches: int) -> list[tuple[bool, list[tuple[int, list[sim.Batch]]]]]:
    """(long, [(mix seed, batches)]) of each judged mix, drawn once for every policy."""
    mixes = []
    for index, (_, coarse, long, is_judged) in enumerate(sim.MIXES):
        if is_judged:
            drawn = [
                (
                    s * 3 + index,
                    sim.make_batches(
                        random.Random(s * 3 + index), batches, coarse=coarse, long=long
                    ),
                )
                for s in SEEDS
            ]
            mixes.append((long, drawn))
    return mixes


def figures(
    policy: PollPolicy, mixes: list[tuple[bool, list[tuple[int, list[sim.Batch]]]]]
) -> dict[tuple[bool, str], sim.Figures]:
    out = {}
    for long, drawn in mixes:
        runs = [sim.simulate(b, policy, seed, (False, True), long=long)[0] for seed, b in drawn]
        for name in (sim.OURS, sim.OURS_HINT):
            out[long, name] = sim.Figures.median_of([run[name] for run in runs])
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--batches", type=int, default=1000, help="batches per mix and seed")
    parser.add_argument("--policies", type=int, default=40, help="random variations to try")
    parser.add_argument("--seed", type=int, default=0, help="seed of the variations")
    args = parser.parse_args()
    rng = random.Random(args.seed)
    variations: list[dict[str, Any]] = [{}]
    for _ in range(args.policies):
        variations.append({knob: rng.choice(values) for knob, values in KNOBS.items()})
    mixes = judged(args.batches)
    for changes in variations:
        f = figures(PollPolicy(**changes), mixes)
        long, hinted, short = f[True, sim.OURS], f[True, sim.OURS_HINT], f[False, sim.OURS]
        ok = all(fig.passes(is_long) for (is_long, _), fig in f.items())
        print(
            f"{'PASS' if ok else '    '} long {long.polls:.0f}/{long.p90_polls:.0f}"
            f" {long.p90_share:.2%} (hint {hinted.polls:.0f}, {hinted.p90_share:.2%})"
            f" | short {short.polls:.0f}, {short.late:.2f}/{short.p90:.2f} s"
            f" | {changes or 'the default policy'}",
            flush=True,
        )


if __name__ == "__main__":
    main()
