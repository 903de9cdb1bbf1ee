"""A list job's progress: its starting phase, then the combined progress of its batches
(CombinedProgress), its ETA counted down between polls."""

from __future__ import annotations

from collections.abc import Callable

from enrow_async import BatchMatch, BatchStatus, Estimate, JobProgress, ListProgress, Progress
from enrow_async._core.collect import CombinedProgress


class FakeClock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def _fed(
    sizes: dict[str, int], clock: FakeClock
) -> tuple[ListProgress, Callable[[Progress], None]]:
    """The progress of the batches ``sizes``, and what feeds it each batch's snapshot."""
    progress = ListProgress(0, len(sizes), sum(sizes.values()), clock=clock)
    combined = CombinedProgress(sizes)
    return progress, lambda snapshot: progress.update(combined.update(snapshot, clock.now))


def test_the_line_adds_up_the_batches() -> None:
    progress, feed = _fed({"a": 10, "b": 0}, FakeClock())
    assert progress.line() == "progress: 0/10 searches (0%), batches 0/2 done"
    feed(Progress(batch_id="b", status=BatchStatus.ONGOING, finished=5, requested=30))
    assert progress.line() == "progress: 5/40 searches (13%), batches 0/2 done"  # 12.5: rounded
    feed(Progress(batch_id="a", status=BatchStatus.COMPLETED, finished=10, requested=10))
    feed(Progress(batch_id="b", status=BatchStatus.COMPLETED, finished=30, requested=30))
    assert progress.line() == "progress: 40/40 searches (100%), batches 2/2 done"


def test_the_eta_counts_down_between_polls_and_is_hidden_when_unknown() -> None:
    clock = FakeClock()
    progress, feed = _fed({"a": 100, "b": 100}, clock)
    ongoing = BatchStatus.ONGOING

    def snapshot(batch_id: str, finished: int, eta: float | None = None) -> Progress:
        return Progress(batch_id, ongoing, finished, 100, eta=eta, taken_at=clock.now)

    feed(snapshot("a", 10))
    assert "eta" not in progress.line()  # nothing predicted yet: no ETA shown
    feed(snapshot("a", 20, eta=30.0))
    feed(snapshot("b", 50, eta=12.0))
    assert progress.line().endswith(", batches 0/2 done, eta 30s")
    clock.now += 10  # no poll in between: the ETA still moves
    assert progress.line().endswith(", eta 20s")
    clock.now += 25
    assert progress.line().endswith(", eta 0s")
    feed(snapshot("a", 90, eta=4.0))
    assert progress.line().endswith(", eta 4s")


def test_the_eta_counts_from_when_the_snapshot_was_taken_not_when_it_arrived() -> None:
    clock = FakeClock()
    progress, feed = _fed({"a": 100}, clock)
    feed(Progress("a", BatchStatus.ONGOING, 50, 100, eta=30.0, taken_at=clock.now - 5.0))
    assert progress.line().endswith(", eta 25s")  # a snapshot 5 s old (the callback ran late)


def test_a_list_job_starts_its_batches_then_counts_its_items() -> None:
    now = [100.0]
    earlier = BatchMatch(0, "b0", 4, 4)
    estimate = Estimate("search", 12, 12, 0, (earlier,), (), 0, 8, 2, 8.0, None)
    progress = ListProgress.of(estimate, clock=lambda: now[0])
    assert (progress.to_start, progress.batches, progress.items) == (2, 3, 12)
    assert progress.line() == "starting batches 0/2"
    assert (progress.unit, progress.total, progress.finished) == ("batches", 2, 0)
    assert progress.detail() == "(at most 10 a second)"
    progress.start(object())
    assert progress.line() == "starting batches 1/2"
    progress.start(object())  # the last start: the wait's count begins
    assert progress.line() == "progress: 0/12 searches (0%), batches 0/3 done"
    progress.update(JobProgress(6, 12, 1, 3, eta=30.0, taken_at=90.0))
    assert progress.line() == "progress: 6/12 searches (50%), batches 1/3 done, eta 20s"
    assert (progress.unit, progress.total, progress.finished) == ("searches", 12, 6)
    assert ListProgress(0, 1, 3, "address").line().startswith("progress: 0/3 addresses")
