"""The combined progress of several batches, as the plain progress line shows it."""

from __future__ import annotations

from enrow_async import BatchStatus, Progress
from enrow_async.cli.progress import Tracker


def test_the_line_adds_up_the_batches() -> None:
    tracker = Tracker({"a": 10, "b": 0})
    assert tracker.line() == "progress: 0/10 (0%) batches 0/2"
    tracker.update(Progress(batch_id="b", status=BatchStatus.ONGOING, finished=5, requested=30))
    assert tracker.line() == "progress: 5/40 (12%) batches 0/2"
    tracker.update(Progress(batch_id="a", status=BatchStatus.COMPLETED, finished=10, requested=10))
    tracker.complete("b")
    assert tracker.line() == "progress: 40/40 (100%) batches 2/2"
