"""The progress line: a list job's starting phase, then the combined progress of its
batches (the library's CombinedProgress), its ETA counted down between polls."""

from __future__ import annotations

from collections.abc import Callable

from enrow_async import BatchStatus, CombinedProgress, JobProgress, Progress
from enrow_async.cli.progress import JobTracker


class FakeClock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def _fed(sizes: dict[str, int], clock: FakeClock) -> tuple[JobTracker, Callable[[Progress], None]]:
    """A tracker of the batches ``sizes``, and what feeds it each batch's snapshot."""
    tracker = JobTracker(0, len(sizes), sum(sizes.values()), "searches", clock=clock)
    combined = CombinedProgress(sizes)
    return tracker, lambda progress: tracker.update(combined.update(progress, clock.now))


def test_the_line_adds_up_the_batches() -> None:
    tracker, feed = _fed({"a": 10, "b": 0}, FakeClock())
    assert tracker.line() == "progress: 0/10 searches (0%), batches 0/2 done"
    feed(Progress(batch_id="b", status=BatchStatus.ONGOING, finished=5, requested=30))
    assert tracker.line() == "progress: 5/40 searches (13%), batches 0/2 done"  # 12.5: rounded
    feed(Progress(batch_id="a", status=BatchStatus.COMPLETED, finished=10, requested=10))
    feed(Progress(batch_id="b", status=BatchStatus.COMPLETED, finished=30, requested=30))
    assert tracker.line() == "progress: 40/40 searches (100%), batches 2/2 done"


def test_the_eta_counts_down_between_polls_and_is_hidden_when_unknown() -> None:
    clock = FakeClock()
    tracker, feed = _fed({"a": 100, "b": 100}, clock)
    ongoing = BatchStatus.ONGOING

    def snapshot(batch_id: str, finished: int, eta: float | None = None) -> Progress:
        return Progress(batch_id, ongoing, finished, 100, eta=eta, taken_at=clock.now)

    feed(snapshot("a", 10))
    assert "eta" not in tracker.line()  # nothing predicted yet: no ETA shown
    feed(snapshot("a", 20, eta=30.0))
    feed(snapshot("b", 50, eta=12.0))
    assert tracker.line().endswith(", batches 0/2 done, eta 30s")
    clock.now += 10  # no poll in between: the ETA still moves
    assert tracker.line().endswith(", eta 20s")
    clock.now += 25
    assert tracker.line().endswith(", eta 0s")
    feed(snapshot("a", 90, eta=4.0))
    assert tracker.line().endswith(", eta 4s")


def test_the_eta_counts_from_when_the_snapshot_was_taken_not_when_it_arrived() -> None:
    clock = FakeClock()
    tracker, feed = _fed({"a": 100}, clock)
    feed(Progress("a", BatchStatus.ONGOING, 50, 100, eta=30.0, taken_at=clock.now - 5.0))
    assert tracker.line().endswith(", eta 25s")  # a snapshot 5 s old (the callback ran late)


def test_a_list_job_starts_its_batches_then_counts_its_items() -> None:
    now = [100.0]
    tracker = JobTracker(2, 3, 12, "searches", clock=lambda: now[0])
    assert tracker.line() == "starting batches 0/2"
    assert (tracker.unit, tracker.total, tracker.finished) == ("batches", 2, 0)
    tracker.start(object())
    assert tracker.line() == "starting batches 1/2"
    tracker.start(object())  # the last start: both phases' lines are said once
    assert tracker.said == [
        "starting batches 2/2",
        "progress: 0/12 searches (0%), batches 0/3 done",
    ]
    tracker.update(JobProgress(6, 12, 1, 3, eta=30.0, taken_at=90.0))
    assert tracker.line() == "progress: 6/12 searches (50%), batches 1/3 done, eta 20s"
    assert (tracker.unit, tracker.total, tracker.finished) == ("searches", 12, 6)
    assert JobTracker(0, 1, 3, "addresses").line().startswith("progress: 0/3 addresses")
