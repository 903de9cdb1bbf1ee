"""Where CPU per poll goes at moderate scale: the client's code, or when its polls go out.

    .venv/bin/python benchmarks/rhythm.py [--batches 300] [--runs 2]

The batches of ``scale.py`` (300 by default, 10/50/200 searches, 2-30 s), waited on three
ways in each run, on one simulator in another process:

- ``ours``: the client as shipped, each batch polled on its own schedule;
- ``ours, 2 s rhythm``: the same client with ``PollPlan`` replaced, in this process only,
  by the hand-written loop's schedule (first poll at once, then every 2 s), so every batch
  is polled in step with the others, in bursts of all of them;
- the hand-written loop of ``scale.py`` (aiohttp GET + orjson, 2 s sleeps).

If ``ours, 2 s rhythm`` costs what the loop costs per poll, the client's own code per
poll (scheduler, sender, transport, models) is not what makes the difference: the spread
of its polls over time is (a wake-up of the loop serves fewer polls).
"""

from __future__ import annotations

import argparse
import asyncio
import statistics

import scale

from enrow_async._core import schedule


def _in_step(plan: schedule.PollPlan, now: float, rand: float) -> float:
    return 2.0


def _at_once(plan: schedule.PollPlan, rand: float) -> float:
    return 0.0


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--batches", type=int, default=300)
    parser.add_argument("--runs", type=int, default=2)
    args = parser.parse_args()
    n = args.batches
    shipped = schedule.PollPlan.next_delay, schedule.PollPlan.first_delay
    figures: dict[str, list[float]] = {"ours": [], "ours, 2 s rhythm": [], "hand-written": []}
    with scale.simulator_for(n) as url:
        for run in range(args.runs):
            for name, figure in figures.items():
                if name == "hand-written":
                    row = await scale.baseline(url, n)
                else:
                    in_step = name != "ours"
                    schedule.PollPlan.next_delay = _in_step if in_step else shipped[0]  # type: ignore[method-assign]
                    schedule.PollPlan.first_delay = _at_once if in_step else shipped[1]  # type: ignore[method-assign]
                    row = await scale.ours(url, n)
                figure.append(row["cpu_us_per_poll"])
                print(
                    f"run {run + 1}, {name}: {row['cpu_us_per_poll']:.0f} us CPU/poll,"
                    f" {row['polls']:.0f} polls",
                    flush=True,
                )
    schedule.PollPlan.next_delay, schedule.PollPlan.first_delay = shipped  # type: ignore[method-assign]
    base = statistics.median(figures["hand-written"])
    print(f"\n{n} batches, medians of {args.runs} runs (min-max), CPU per poll:")
    for name, values in figures.items():
        median = statistics.median(values)
        print(
            f"  {name:18s} {median:5.0f} us ({min(values):.0f}-{max(values):.0f}),"
            f" {median / base:.2f}x the hand-written loop"
        )


if __name__ == "__main__":
    asyncio.run(main())
