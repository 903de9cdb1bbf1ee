"""``find_emails_frame`` on a large frame in the sandbox, beside ``enrow-async find`` on the
same rows: wall time and peak RSS of each.

Writes the leads CSV of ``find_large.py`` (``--rows`` people, a share of them duplicates
in other spellings), then, ``--runs`` times each, in a fresh process: the frame run (read
the CSV into a pandas or polars frame, serve the simulator in the same process as
``--sandbox`` does, ``find_emails_frame`` with no progress bar, write the frame back to CSV)
and the CLI run (``find_large.py``'s: ``enrow-async find --sandbox``). Reports each run's
wall time and the process's peak RSS (``getrusage``), the medians, and the frame's median
peak over the CLI's. Exit status 0 when that ratio is within ``--max-ratio`` (1.5).

    .venv/bin/python benchmarks/frames_large.py --rows 100000 --runs 3
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
from pathlib import Path

from find_large import child_env, measured, run_once, write_leads


async def _enrich(source: Path, output: Path, backend: str, duration: tuple[float, float]) -> None:
    from enrow_async import EnrowClient
    from enrow_async.frames import find_emails_frame
    from enrow_async.testing import EnrowSimulator, SimulatorConfig

    if backend == "polars":
        import polars

        frame = polars.read_csv(source, infer_schema=False)
    else:
        import pandas

        frame = pandas.read_csv(source, dtype=str, keep_default_na=False)
    config = SimulatorConfig(duration=duration)
    async with (
        EnrowSimulator(config, host="127.0.0.1", port=0) as sim,
        EnrowClient(sim.api_key, base_url=sim.base_url) as client,
    ):
        found = await find_emails_frame(client, frame, progress=False, timeout=3600)
    if backend == "polars":
        found.write_csv(output)
    else:
        found.to_csv(output, index=False)


def child(args: argparse.Namespace) -> int:
    """One frame run in this process (``--child``)."""
    import asyncio

    low, _, high = args.duration.partition(",")
    duration = (float(low), float(high or low))
    asyncio.run(_enrich(Path(args.child[0]), Path(args.child[1]), args.backend, duration))
    return 0


def frame_once(source: Path, output: Path, backend: str, duration: str) -> tuple[float, float, int]:
    """Wall seconds, peak RSS (MB) of the frame run's process, exit status."""
    command = [sys.executable, __file__, "--child", str(source), str(output)]
    command += ["--backend", backend, "--duration", duration]
    return measured(command, child_env())


def _line(name: str, walls: list[float], peaks: list[float]) -> str:
    return (
        f"{name}: median {statistics.median(walls):.1f} s wall"
        f" ({min(walls):.1f}-{max(walls):.1f}), peak RSS {statistics.median(peaks):.0f} MB"
        f" ({min(peaks):.0f}-{max(peaks):.0f})"
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=100_000, help="data rows (default 100000)")
    parser.add_argument("--duplicates", type=float, default=0.1, help="share (default 0.1)")
    parser.add_argument("--runs", type=int, default=3, help="runs of each (default 3)")
    parser.add_argument("--backend", choices=("pandas", "polars"), default="pandas")
    parser.add_argument(
        "--duration", default="2,6", help="simulated batch seconds, MIN[,MAX] (default 2,6)"
    )
    parser.add_argument(
        "--max-ratio", type=float, default=1.5, help="frame / CLI peak RSS (default 1.5)"
    )
    parser.add_argument("--child", nargs=2, metavar=("SOURCE", "OUTPUT"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        return child(args)
    with tempfile.TemporaryDirectory() as folder:
        source, output = Path(folder) / "big.csv", Path(folder) / "found.csv"
        distinct = write_leads(source, args.rows, args.duplicates)
        size = source.stat().st_size >> 20
        print(f"{args.rows} rows, {distinct} distinct searches, {size} MB; simulator in process")
        figures: dict[str, tuple[list[float], list[float]]] = {
            args.backend: ([], []),
            "cli": ([], []),
        }
        for number in range(1, args.runs + 1):
            for name in figures:
                if name == "cli":
                    wall, peak, code = run_once(source, output, args.duration, None)
                else:
                    wall, peak, code = frame_once(source, output, name, args.duration)
                if code != 0:
                    print(f"{name} run {number}: exit status {code}")
                    return 1
                figures[name][0].append(wall)
                figures[name][1].append(peak)
                print(f"{name} run {number}: {wall:.1f} s wall, peak RSS {peak:.0f} MB")
    for name, (walls, peaks) in figures.items():
        what = "enrow-async find --sandbox" if name == "cli" else f"find_emails_frame ({name})"
        print(_line(what, walls, peaks))
    ratio = statistics.median(figures[args.backend][1]) / statistics.median(figures["cli"][1])
    print(f"peak RSS, frame / CLI: {ratio:.2f}x (target <= {args.max_ratio:g}x)")
    return 0 if ratio <= args.max_ratio else 1


if __name__ == "__main__":
    sys.exit(main())
