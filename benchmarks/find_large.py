"""``enrow-async find`` on a large leads file in the sandbox: wall time and peak RSS.

Generates a CSV of ``--rows`` people (a share of them duplicates, in other spellings and
domain forms), then runs ``python -m enrow_async find big.csv -o found.csv --sandbox --yes --force``
in a subprocess ``--runs`` times; reports each run's wall time and the child's peak RSS
(``getrusage``: the CLI and its in-process simulator together), then the medians and spread.
Exit status 0 when the median peak RSS is within ``--max-rss`` MB.

    .venv/bin/python benchmarks/find_large.py --rows 100000 --runs 3
"""

from __future__ import annotations

import argparse
import csv
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def write_leads(path: Path, rows: int, duplicates: float) -> int:
    """``rows`` data lines; about ``duplicates`` of them repeat an earlier person in
    another spelling. Returns how many distinct people there are."""
    distinct = max(1, round(rows * (1 - duplicates)))
    with path.open("w", newline="", encoding="utf-8") as stream:
        writer = csv.writer(stream)
        writer.writerow(["First Name", "Last Name", "Website URL", "Company Name", "Notes"])
        for i in range(rows):
            person = i if i < distinct else (i * 7919) % distinct
            first, last = f"First{person}", f"Last{person}"
            domain = f"company{person % 997}.com"
            if i >= distinct:  # the same search, written otherwise
                first, domain = first.upper(), f"https://www.{domain}/about"
            writer.writerow([first, last, domain, f"Company {person % 997}", f"note {i}"])
    return distinct


# A fresh wrapper per run: its RUSAGE_CHILDREN peak is that one run's CLI process alone.
_WRAP = (
    "import resource, subprocess, sys; code = subprocess.run(sys.argv[1:]).returncode;"
    " print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss, file=sys.stderr);"
    " sys.exit(code)"
)


def measured(command: list[str], env: dict[str, str]) -> tuple[float, float, int]:
    """Wall seconds, peak RSS (MB) of ``command``'s process alone, its exit status."""
    start = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-c", _WRAP, *command],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    wall = time.perf_counter() - start
    if done.returncode != 0:
        print(done.stderr, file=sys.stderr)
    return wall, int(done.stderr.splitlines()[-1]) / 1024, done.returncode


def child_env() -> dict[str, str]:
    """The environment with this checkout first on ``PYTHONPATH``."""
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    return env


def run_once(
    source: Path, output: Path, duration: str, base_url: str | None
) -> tuple[float, float, int]:
    """Wall seconds, peak RSS (MB) of the CLI process, exit status. Without ``base_url``
    the CLI runs with ``--sandbox`` (the simulator inside its own process); with it, the
    same simulator serves from another process and only the CLI is measured."""
    env = child_env()
    command = [sys.executable, "-m", "enrow_async", "find", str(source), "-o", str(output)]
    if base_url is None:
        command += ["--sandbox", "--sandbox-duration", duration]
    else:
        command += ["--base-url", base_url]
        env["ENROW_API_KEY"] = "sim-key"
    command += ["--yes", "--force", "--progress-every", "60"]  # each run replaces the last output
    return measured(command, env)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=100_000, help="data rows (default 100000)")
    parser.add_argument("--duplicates", type=float, default=0.1, help="share (default 0.1)")
    parser.add_argument("--runs", type=int, default=3, help="runs (default 3)")
    parser.add_argument(
        "--duration", default="2,6", help="simulated batch seconds, MIN[,MAX] (default 2,6)"
    )
    parser.add_argument("--max-rss", type=float, default=250.0, help="MB target (default 250)")
    parser.add_argument(
        "--external",
        action="store_true",
        help="serve the simulator from another process (enrow-async simulator) and measure"
        " the CLI alone (default: --sandbox, the simulator inside the CLI's process)",
    )
    args = parser.parse_args()
    if args.external:
        env = dict(os.environ)
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
        server = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "enrow_async.testing",
                "--port",
                "0",
                "--duration",
                args.duration,
            ],
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
            env=env,
        )
        assert server.stdout is not None
        base_url: str | None = server.stdout.readline().strip()
    else:
        server, base_url = None, None
    try:
        return _measure(args, base_url)
    finally:
        if server is not None:
            server.send_signal(signal.SIGINT)
            server.wait(timeout=30)


def _measure(args: argparse.Namespace, base_url: str | None) -> int:
    with tempfile.TemporaryDirectory() as folder:
        source, output = Path(folder) / "big.csv", Path(folder) / "found.csv"
        distinct = write_leads(source, args.rows, args.duplicates)
        where = "external simulator" if base_url else "--sandbox"
        size = source.stat().st_size >> 20
        print(f"{args.rows} rows, {distinct} distinct searches, {size} MB; {where}")
        walls, peaks = [], []
        for number in range(1, args.runs + 1):
            wall, peak, code = run_once(source, output, args.duration, base_url)
            if code != 0:
                print(f"run {number}: exit status {code}")
                return 1
            walls.append(wall)
            peaks.append(peak)
            print(f"run {number}: {wall:.1f} s wall, peak RSS {peak:.0f} MB")
    print(
        f"median of {args.runs}: {statistics.median(walls):.1f} s wall"
        f" ({min(walls):.1f}-{max(walls):.1f}), peak RSS {statistics.median(peaks):.0f} MB"
        f" ({min(peaks):.0f}-{max(peaks):.0f}); target <= {args.max_rss:g} MB"
    )
    return 0 if statistics.median(peaks) <= args.max_rss else 1


if __name__ == "__main__":
    sys.exit(main())
