"""How long ``import enrow_async`` takes, against ``import aiohttp`` alone.

Each import runs in a fresh interpreter (``-c``), timed around the import statement with
``time.perf_counter``; the runs of each module are interleaved and the median reported.

    .venv/bin/python benchmarks/import_time.py --runs 15
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys

CODE = "import time; t = time.perf_counter(); import {module}; print(time.perf_counter() - t)"
MODULES = ("aiohttp", "enrow_async", "enrow_async.testing.pytest_plugin")


def once(module: str) -> float:
    done = subprocess.run(
        [sys.executable, "-c", CODE.format(module=module)],
        capture_output=True,
        text=True,
        check=True,
    )
    return float(done.stdout) * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=15)
    runs = parser.parse_args().runs
    times: dict[str, list[float]] = {module: [] for module in MODULES}
    for _ in range(runs):
        for module in MODULES:
            times[module].append(once(module))
    for module, values in times.items():
        print(
            f"import {module}: median {statistics.median(values):.0f} ms "
            f"(min {min(values):.0f}, max {max(values):.0f}, {runs} fresh processes)"
        )


if __name__ == "__main__":
    main()
