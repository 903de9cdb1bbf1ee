"""The combined progress of several batches, as the plain progress line shows it."""

from __future__ import annotations

from enrow_async import BatchStatus, Progress
from enrow_async.cli.progress import Starting, Tracker


def test_the_line_adds_up_the_batches() -> None:
    tracker = Tracker({"a": 10, "b": 0})
    assert tracker.line() == "progress: 0/10 searches (0%), batches 0/2 done"
    tracker.update(Progress(batch_id="b", status=BatchStatus.ONGOING, finished=5, requested=30))
    assert tracker.line() == "progress: 5/40 searches (12%), batches 0/2 done"
    tracker.update(Progress(batch_id="a", status=BatchStatus.COMPLETED, finished=10, requested=10))
    tracker.complete("b")
    assert tracker.line() == "progress: 40/40 searches (100%), batches 2/2 done"


class FakeClock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_the_eta_counts_down_between_polls_and_is_hidden_when_unknown() -> None:
    clock = FakeClock()
    tracker = Tracker({"a": 100, "b": 100}, clock=clock)
    ongoing = BatchStatus.ONGOING
    tracker.update(Progress(batch_id="a", status=ongoing, finished=10, requested=100))
    assert "eta" not in tracker.line()  # nothing predicted yet: no ETA shown
    tracker.update(Progress(batch_id="a", status=ongoing, finished=20, requested=100, eta=30.0))
    tracker.update(Progress(batch_id="b", status=ongoing, finished=50, requested=100, eta=12.0))
    assert tracker.line().endswith(", batches 0/2 done, eta 30s")
    clock.now += 10  # no poll in between: the ETA still moves
    assert tracker.line().endswith(", eta 20s")
    clock.now += 25
    assert tracker.line().endswith(", eta 0s")
    tracker.update(Progress(batch_id="a", status=ongoing, finished=90, requested=100, eta=4.0))
    assert tracker.line().endswith(", eta 4s")
    tracker.complete("a")
    tracker.complete("b")
    assert tracker.line() == "progress: 200/200 searches (100%), batches 2/2 done"


def test_starting_batches_is_a_phase_of_its_own() -> None:
    starting = Starting(139)
    assert starting.line() == "starting batches 0/139"
    starting.started = 12
    assert starting.line() == "starting batches 12/139"
    assert Tracker({"a": 3}, unit="addresses").line().startswith("progress: 0/3 addresses")
