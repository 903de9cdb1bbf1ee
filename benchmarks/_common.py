"""Helpers shared by the benchmark scripts: a simulator in another process, CPU timers."""

from __future__ import annotations

import contextlib
import resource
import statistics
import subprocess
import sys
import time
from collections.abc import Iterator, Sequence


@contextlib.contextmanager
def simulator_process(*args: str) -> Iterator[str]:
    """Run ``python -m enrow_async.testing --port 0 ARGS`` and yield its base URL."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "enrow_async.testing", "--port", "0", *args],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline()
        url = next(word for word in line.split() if word.startswith("http"))
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(60)  # a simulator holding 60,000 batches takes a while to stop
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(10)


def cpu() -> float:
    """CPU seconds of this process only (user + system): the simulator is not counted."""
    return time.process_time()


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def median(values: Sequence[float]) -> float:
    return statistics.median(values)


def percentile(values: Sequence[float], q: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    k = min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))
    return ordered[k]
