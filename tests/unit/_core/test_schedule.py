"""The pure poll schedule and last call, driven by a fake clock (no event loop)."""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from enrow_async._core.policy import PollPolicy
from enrow_async._core.schedule import LAST_CALL, PollPlan, draw, last_call

EXACT = PollPolicy(jitter=0.0)  # no jitter far from the finish: delays are exact


def run(
    plan: PollPlan,
    done_at: Callable[[float], int],
    requested: int,
    finish: float,
    rand: float = 0.5,
) -> tuple[list[float], float]:
    """Poll a batch that completes at ``finish`` as the scheduler would: poll times and
    lateness (time of the poll that sees it completed, minus ``finish``)."""
    t = plan.started_at + plan.first_delay(rand)
    times = [t]
    while t < finish:
        plan.observe(t, done_at(t), requested)
        t += plan.next_delay(t, rand)
        times.append(t)
        assert len(times) < 200, "never detected"
    return times, t - finish


def curve(requested: int, finish: float, shape: Callable[[float], float]) -> Callable[[float], int]:
    """``finished`` at time t for a batch whose share done at x = t / finish is shape(x)."""

    def done_at(t: float) -> int:
        x = min(max(t / finish, 0.0), 1.0)
        return min(requested, math.floor(requested * shape(x) + 1e-9))

    return done_at


# --- first poll ---------------------------------------------------------------------------


def test_first_delay_spreads_batches_over_initial_plus_minus_spread() -> None:
    plan = PollPlan(PollPolicy(initial=2.0, spread=0.5), started_at=0.0)
    delays = [plan.first_delay(i / 100) for i in range(100)]
    assert delays == sorted(delays)
    assert delays[0] == pytest.approx(1.0)
    assert delays[-1] == pytest.approx(2.98)
    assert len(set(delays)) == 100  # no two batches in lockstep


def test_first_delay_without_spread_is_initial() -> None:
    plan = PollPlan(PollPolicy(initial=2.0, spread=0.0), started_at=0.0)
    assert {plan.first_delay(r) for r in (0.0, 0.3, 0.999)} == {2.0}


# --- nothing known, stalls ----------------------------------------------------------------


def test_no_progress_backs_off_exponentially_up_to_the_caps() -> None:
    # initial * factor ** n, never above horizon * elapsed nor max_interval.
    policy = PollPolicy(initial=1.0, factor=2.0, max_interval=10.0, horizon=2.5, jitter=0.0)
    plan = PollPlan(policy, started_at=0.0)
    t, delays = 0.0, []
    for _ in range(8):
        t += 1.0
        plan.observe(t, 0, 100)
        delays.append(plan.next_delay(t, 0.5))
    assert delays == [2.0, 4.0, 7.5, 10.0, 10.0, 10.0, 10.0, 10.0]
    assert plan.rate is None
    assert plan.eta(t) is None


def test_stall_backs_off_from_the_last_change_and_recovers() -> None:
    plan = PollPlan(EXACT, started_at=0.0)
    plan.observe(2.0, 20, 100)
    plan.observe(4.0, 40, 100)
    t, delays = 4.0, []
    for _ in range(12):  # stuck at 40 %
        delay = plan.next_delay(t, 0.5)
        assert delay >= EXACT.stall * (t - 4.0) - 1e-9
        assert delay <= EXACT.horizon * t + 1e-9
        delays.append(delay)
        t += delay
        plan.observe(t, 40, 100)
    assert delays == sorted(delays)
    assert delays[-1] > 100.0  # no fixed cap: a long stall is polled ever less often
    plan.observe(t + 1.0, 99, 100)  # moves again, almost done: close watch, at the scale
    assert plan.next_delay(t + 1.0, 0.5) <= EXACT.precision * (t + 1.0)  # of the batch


# --- progress shapes ----------------------------------------------------------------------


def test_linear_progress_predicts_the_finish() -> None:
    plan = PollPlan(EXACT, started_at=100.0)
    plan.observe(102.0, 50, 500)
    plan.observe(104.0, 100, 500)
    assert plan.rate == pytest.approx(25.0)
    assert plan.eta(104.0) == pytest.approx(16.0, rel=0.02)
    # Far from the finish: wait a large share of the way, but stop short of it.
    delay = plan.next_delay(104.0, 0.5)
    assert 4.0 < delay < 16.0


def test_near_the_finish_polls_just_after_it() -> None:
    plan = PollPlan(EXACT, started_at=0.0)
    for t in (2.0, 5.0, 9.5):
        plan.observe(t, int(t * 10), 100)
    left = plan.eta(9.5)
    assert left is not None
    assert left == pytest.approx(0.5, abs=0.05)
    margin = EXACT.margin + EXACT.precision / 16 * 9.5  # the margin, and a share of elapsed
    for rand in (0.0, 0.5, 0.999):
        delay = plan.next_delay(9.5, rand)
        assert left + 0.5 * margin - 1e-9 <= delay <= left + 1.5 * margin


def test_linear_batch_is_caught_quickly_with_few_polls() -> None:
    plan = PollPlan(PollPolicy(), started_at=0.0)
    times, late = run(plan, curve(500, 20.0, lambda x: x), 500, 20.0)
    assert 0.0 <= late <= 0.3
    assert len(times) <= 7


def test_speeding_up_is_seen_as_speeding_up() -> None:
    # Slow start: share done = x ** 2. A straight line from the start would say 40 s.
    plan = PollPlan(EXACT, started_at=0.0)
    done = curve(1000, 20.0, lambda x: x * x)
    for t in (4.0, 8.0, 10.0):
        plan.observe(t, done(t), 1000)
    eta = plan.eta(10.0)
    assert eta is not None
    assert eta < 0.6 * (40.0 - 10.0)
    assert eta == pytest.approx(10.0, rel=0.25)


def test_slowing_down_is_seen_as_slowing_down() -> None:
    # Fast start: share done = sqrt(x). A straight line from the start would say 14.1 s.
    plan = PollPlan(EXACT, started_at=0.0)
    done = curve(1000, 20.0, math.sqrt)
    for t in (2.0, 4.0, 10.0):
        plan.observe(t, done(t), 1000)
    eta = plan.eta(10.0)
    assert eta is not None
    assert eta > 1.4 * (14.14 - 10.0)
    assert eta == pytest.approx(10.0, rel=0.25)


@pytest.mark.parametrize(
    "shape",
    [lambda x: x, lambda x: x * x, lambda x: x**3, math.sqrt],
    ids=["linear", "slow_start", "slower_start", "fast_start"],
)
@pytest.mark.parametrize("finish", [2.5, 12.0, 29.0])
@pytest.mark.parametrize("rand", [0.1, 0.9])
def test_every_shape_is_detected_soon_with_few_polls(
    shape: Callable[[float], float], finish: float, rand: float
) -> None:
    plan = PollPlan(PollPolicy(), started_at=0.0)
    times, late = run(plan, curve(300, finish, shape), 300, finish, rand)
    assert 0.0 <= late <= 0.7
    # A fixed 2 s loop needs 15 for 29 s, a 1 s loop 30. (The bound was 8 with a horizon
    # of 3 times the elapsed time; 1.5 halves the worst-case lateness for up to 2 more.)
    assert len(times) <= 10


def test_stragglers_at_a_vanishing_rate_cost_polls_not_lateness() -> None:
    # Ease-out, x (2 - x): the last searches trickle in ever more slowly.
    plan = PollPlan(PollPolicy(), started_at=0.0)
    times, late = run(plan, curve(300, 29.0, lambda x: x * (2.0 - x)), 300, 29.0)
    assert 0.0 <= late <= 0.5
    assert len(times) <= 16  # a 2 s loop needs 16
    gaps = [b - a for a, b in itertools.pairwise(times)]
    assert max(gaps[-4:]) < max(gaps) / 4  # watching closely at the end only


def test_waiting_on_a_batch_that_started_earlier() -> None:
    # started_at is when the wait began; the batch was created 100 s before and finishes
    # linearly at 120 s: progress since "the start" looks absurdly fast, then slow.
    plan = PollPlan(PollPolicy(), started_at=0.0)
    done = curve(500, 120.0, lambda x: x)
    times, late = run(plan, lambda t: done(t + 100.0), 500, 20.0)
    assert 0.0 <= late <= 0.5
    assert len(times) <= 10  # not a poll every second or two


def test_a_slow_trickle_after_a_fast_start_backs_off() -> None:
    # 100 of 1000 searches in the first 2 s, then one search every 5 s.
    plan = PollPlan(PollPolicy(), started_at=0.0)

    def done(t: float) -> int:
        return 0 if t < 2.0 else 100 + math.floor((t - 2.0) / 5.0)

    times, _ = run(plan, done, 1000, 300.0)
    delays = [b - a for a, b in itertools.pairwise(times)]
    assert len(times) <= 10  # not every couple of seconds, nor every 20 s
    assert delays == sorted(delays)
    assert delays[-1] > 60.0


def test_huge_jump_brings_the_next_poll_close() -> None:
    plan = PollPlan(EXACT, started_at=0.0)
    plan.observe(2.0, 1, 1000)
    far = plan.next_delay(2.0, 0.5)
    plan.observe(2.0 + far, 999, 1000)
    assert plan.next_delay(2.0 + far, 0.5) <= EXACT.near + 1.5 * EXACT.margin


def test_coarse_steps_of_ten_searches() -> None:
    # finished moves 0, 1, ..., 10, one step every 2 s; done at 20 s.
    plan = PollPlan(PollPolicy(), started_at=0.0)
    done = curve(10, 20.0, lambda x: x)
    times, late = run(plan, done, 10, 20.0)
    assert 0.0 <= late <= 1.0
    assert len(times) <= 15  # the last step is a 2 s wait for an unknown moment
    # One step seen says "about ten times as long", not nonsense.
    plan = PollPlan(EXACT, started_at=0.0)
    plan.observe(2.5, 1, 10)
    eta = plan.eta(2.5)
    assert eta is not None
    assert 5.0 < eta < 60.0


def test_coarse_step_not_yet_seen_pushes_the_estimate_later() -> None:
    plan = PollPlan(EXACT, started_at=0.0)
    plan.observe(2.0, 1, 10)
    plan.observe(4.0, 2, 10)
    before = plan.eta(4.0)
    plan.observe(9.0, 2, 10)  # the third search should have finished at ~6 s
    after = plan.eta(9.0)
    assert before is not None
    assert after is not None
    assert 9.0 + after > 4.0 + before


# --- odd inputs ---------------------------------------------------------------------------


def test_finished_above_requested_means_done_soon() -> None:
    plan = PollPlan(EXACT, started_at=0.0)
    plan.observe(3.0, 120, 100)
    assert plan.eta(3.0) == 0.0
    assert plan.next_delay(3.0, 0.5) <= max(EXACT.min_interval, 1.5 * 3.0)


def test_zero_requested_is_not_a_division_by_zero() -> None:
    plan = PollPlan(EXACT, started_at=0.0)
    plan.observe(1.0, 0, 0)
    assert plan.eta(1.0) == 0.0
    assert EXACT.min_interval <= plan.next_delay(1.0, 0.5) <= 1.0


def test_progress_going_backwards_restarts_the_estimate() -> None:
    plan = PollPlan(EXACT, started_at=0.0)
    plan.observe(2.0, 50, 100)
    plan.observe(4.0, 10, 100)
    assert plan.rate is None
    assert plan.eta(4.0) is None
    plan.observe(6.0, 30, 100)  # 20 in 2 s since the reset
    assert plan.rate == pytest.approx(10.0)
    assert plan.eta(6.0) == pytest.approx(7.0, rel=0.05)


def test_out_of_order_and_non_finite_snapshots_are_ignored_but_counted() -> None:
    plan = PollPlan(EXACT, started_at=0.0)
    plan.observe(4.0, 40, 100)
    plan.observe(3.0, 90, 100)
    plan.observe(math.nan, 95, 100)
    assert plan.polls == 3
    assert plan.eta(4.0) == pytest.approx(6.0, rel=0.05)


def test_hint_in_seconds_bounds_the_waits() -> None:
    policy = PollPolicy(jitter=0.0, max_interval=60.0)
    plan = PollPlan(policy, started_at=0.0, estimated_duration=60.0)
    assert plan.eta(10.0) == 50.0
    t = 0.0
    for _ in range(20):  # nothing moves: the backoff stops at the hinted finish
        t += plan.next_delay(t, 0.5)
        plan.observe(t, 0, 100)
        if t >= 60.0:
            break
    assert 60.0 <= t <= 60.0 + policy.margin + 1e-9


@pytest.mark.parametrize("hint", [None, 0.0, -5.0, math.nan, math.inf])
def test_useless_hints_are_ignored(hint: float | None) -> None:
    plan = PollPlan(PollPolicy(), started_at=0.0, estimated_duration=hint)
    assert plan.estimated_duration is None
    assert plan.eta(1.0) is None


def test_polls_counts_snapshots() -> None:
    plan = PollPlan(PollPolicy(), started_at=0.0)
    for i in range(5):
        plan.observe(float(i + 1), i, 10)
    assert plan.polls == 5


# --- jitter -------------------------------------------------------------------------------


def test_delays_are_deterministic_given_rand() -> None:
    def delays(rands: list[float]) -> list[float]:
        plan = PollPlan(PollPolicy(), started_at=0.0)
        out, t = [], 0.0
        for i, r in enumerate(rands):
            t += 1.0 + i
            plan.observe(t, 3 * i * i, 1000)
            out.append(plan.next_delay(t, r))
        return out

    rands = [0.1, 0.9, 0.4, 0.7, 0.2, 0.6]
    assert delays(rands) == delays(rands)
    assert delays(rands) != delays([1.0 - r for r in rands])


def test_jitter_spreads_far_waits_within_its_share() -> None:
    policy = PollPolicy(jitter=0.2)
    plan = PollPlan(policy, started_at=0.0)
    plan.observe(10.0, 300, 1000)
    plan.observe(20.0, 600, 1000)
    low, mid, high = (plan.next_delay(20.0, r) for r in (0.0, 0.5, 0.999999))
    assert low < mid < high
    assert low == pytest.approx(0.8 * mid)
    assert high == pytest.approx(1.2 * mid, rel=1e-5)


def test_jitter_spreads_waits_at_the_horizon_below_it() -> None:
    policy = PollPolicy(jitter=0.2)
    plan = PollPlan(policy, started_at=0.0)
    plan.observe(2.0, 10, 1000)  # the finish is far: the horizon decides
    delays = [plan.next_delay(2.0, r) for r in (0.0, 0.5, 0.999999)]
    assert delays[0] == pytest.approx(policy.horizon * 2.0)
    assert delays == sorted(delays, reverse=True)
    assert delays[-1] == pytest.approx(0.8 * policy.horizon * 2.0, rel=1e-5)


def test_out_of_range_rand_is_treated_as_the_middle() -> None:
    plan = PollPlan(PollPolicy(), started_at=0.0)
    plan.observe(2.0, 10, 1000)
    middle = plan.next_delay(2.0, 0.5)
    assert plan.next_delay(2.0, 1.0) == middle
    assert plan.next_delay(2.0, math.nan) == middle
    assert plan.first_delay(-3.0) == plan.first_delay(0.5)


# --- properties ---------------------------------------------------------------------------

snapshots = st.lists(
    st.tuples(
        st.floats(0.0, 50.0),  # time since the previous snapshot
        st.integers(-5, 6000),  # finished
        st.integers(-5, 5000),  # requested
        st.floats(0.0, 1.0, exclude_max=True),  # rand
    ),
    max_size=25,
)
policies = st.builds(
    PollPolicy,
    initial=st.floats(0.5, 5.0),
    factor=st.floats(1.0, 3.0),
    min_interval=st.floats(0.01, 0.5),
    max_interval=st.floats(5.0, 120.0),
    jitter=st.floats(0.0, 0.5),
    margin=st.floats(0.0, 2.0),
    near=st.floats(0.0, 10.0),
    approach=st.floats(0.05, 1.0),
    horizon=st.floats(0.05, 10.0),
    caution=st.floats(0.0, 5.0),
)


@settings(max_examples=300, deadline=None)
@given(
    policy=policies,
    start=st.floats(-1e6, 1e9),
    hint=st.none() | st.floats(allow_nan=True, allow_infinity=True),
    seen=snapshots,
)
def test_any_observations_give_a_bounded_finite_delay(
    policy: PollPolicy,
    start: float,
    hint: float | None,
    seen: list[tuple[float, int, int, float]],
) -> None:
    plan = PollPlan(policy, started_at=start, estimated_duration=hint)
    first = plan.first_delay(0.3)
    assert policy.min_interval <= first <= policy.max_interval
    t = start
    for dt, finished, requested, rand in seen:
        t += dt
        plan.observe(t, finished, requested)
        delay = plan.next_delay(t, rand)
        assert math.isfinite(delay)
        assert policy.min_interval <= delay <= policy.max_interval
        eta = plan.eta(t)
        assert eta is None or (math.isfinite(eta) and eta >= 0.0)
        rate = plan.rate
        assert rate is None or (math.isfinite(rate) and rate >= 0.0)
    assert plan.polls == len(seen)


# --- last call before a deadline -----------------------------------------------------------


def test_no_deadline_keeps_the_delay() -> None:
    assert last_call(10.0, 3.0, math.inf) == 13.0
    assert last_call(10.0, 3.0, math.inf, first=True) == 13.0


def test_poll_moved_to_just_before_the_deadline() -> None:
    assert last_call(10.0, 30.0, 20.0) == 20.0 - LAST_CALL
    assert last_call(10.0, 1.0, 20.0) == 11.0


def test_after_the_last_call_no_extra_polls() -> None:
    now = 20.0 - LAST_CALL
    assert last_call(now, 5.0, 20.0) == now + 5.0


def test_first_poll_lands_before_a_short_deadline() -> None:
    assert last_call(0.0, 1.0, 0.1, first=True) == 0.05
    assert last_call(0.0, 0.01, 0.1, first=True) == 0.01


# --- scale-free: hour-long batches, wrong predictions -------------------------------------


def test_an_hour_long_batch_is_polled_about_a_dozen_times() -> None:
    # A fixed 20 s cap polled this 2 h batch 360 times.
    for shape in (lambda x: x, lambda x: x * x, math.sqrt):
        plan = PollPlan(PollPolicy(), started_at=0.0)
        times, late = run(plan, curve(1000, 7200.0, shape), 1000, 7200.0)
        assert len(times) <= 16
        assert 0.0 <= late <= 0.02 * 7200.0


def test_a_hint_off_by_two_costs_polls_not_lateness() -> None:
    done = curve(500, 1800.0, lambda x: x)
    _, honest = run(PollPlan(PollPolicy(), started_at=0.0), done, 500, 1800.0)
    for hint in (900.0, 3600.0):  # half and twice the true duration
        plan = PollPlan(PollPolicy(), started_at=0.0, estimated_duration=hint)
        times, late = run(plan, done, 500, 1800.0)
        assert late <= max(honest, 0.02 * 1800.0)
        assert len(times) <= 16


def _shaped(kind: str, requested: int, finish: float, a: float, b: float) -> Callable[[float], int]:
    """Progress curves that fool a fit: a stall from ``a`` to ``b`` (shares of ``finish``)
    then a burst to the end, or a late bend (a trickle of ``a`` of the searches up to ``b``
    of the time, then the rest at once), or a slow-down from ``b`` on."""

    def share(x: float) -> float:
        if kind == "stall":
            return x if x < a else (a if x < b else a + (1 - a) * (x - b) / (1 - b))
        if kind == "late_bend":
            return a * x / b if x < b else a + (1 - a) * (x - b) / (1 - b)
        return x / a if x < b * a else b + (1 - b) * (x - b * a) / (1 - b * a)  # slow-down

    return curve(requested, finish, share)


@settings(max_examples=300, deadline=None)
@given(
    kind=st.sampled_from(["stall", "late_bend", "slow_down"]),
    requested=st.integers(1, 1000),
    finish=st.floats(2.0, 7200.0),
    a=st.floats(0.05, 0.9),
    b=st.floats(0.1, 0.95),
    hint=st.sampled_from([None, 0.5, 1.0, 2.0]),
    rand=st.floats(0.0, 1.0, exclude_max=True),
)
def test_worst_case_lateness_is_a_share_of_the_duration(
    kind: str,
    requested: int,
    finish: float,
    a: float,
    b: float,
    hint: float | None,
    rand: float,
) -> None:
    # Whatever fools the fit (and a hint off by 2x either way), the poll that sees the end
    # comes at most horizon * duration after it (the PollPlan docstring's worst case).
    policy = PollPolicy()
    done = _shaped(kind, requested, finish, a, b)
    estimated = None if hint is None else math.ceil(hint * finish / 60.0) * 60.0
    plan = PollPlan(policy, started_at=0.0, estimated_duration=estimated)
    _, late = run(plan, done, requested, finish, rand)
    worst = max(policy.horizon * finish, policy.initial * (1 + policy.spread))
    assert 0.0 <= late <= worst + 1e-6


@pytest.mark.parametrize(
    ("rand", "used"), [(0.0, 0.0), (0.25, 0.25), (1.0, 0.5), (-0.1, 0.5), (math.nan, 0.5)]
)
def test_a_draw_out_of_range_is_taken_as_the_middle(rand: float, used: float) -> None:
    assert draw(rand) == used
