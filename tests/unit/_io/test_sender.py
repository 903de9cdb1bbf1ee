"""The sender in virtual time and in memory: retries per verdict, ``Retry-After``, the
client-wide 429 pause, the retry budget, POSTs never resent after an unknown outcome, the
per-attempt deadline, the POST rate limit, broken answers, the key's safety, and nothing
left running after a cancel.

Most tests run the client on the simulator through MemoryTransport. Answers the simulator
never gives (a ``Retry-After`` date, a broken body, a key echoed back) come from
:class:`Scripted`, a Transport answering with a function of the request, as httpx's
``MockTransport`` does. ``tests/integration/test_transport.py`` keeps what needs real HTTP.
"""

from __future__ import annotations

import copy
import logging
import math
from collections.abc import Callable, Mapping
from email.utils import formatdate
from functools import partial
from typing import Any

import anyio
import anyio.lowlevel
import attrs
import orjson
import pytest
from helpers import (
    BULK,
    COMPLETED,
    JIM,
    SEARCHES,
    Connect,
    Simulate,
    all_text,
    assert_polling_stopped,
    client_tasks,
)
from multidict import CIMultiDict, CIMultiDictProxy

from enrow_async import (
    APIError,
    AuthenticationError,
    Backoff,
    BatchNotFoundError,
    BatchStatus,
    BatchTimeoutError,
    BulkResults,
    EnrowClient,
    EnrowError,
    InsufficientCreditsError,
    OutcomeUnknownError,
    PollPolicy,
    RateLimitError,
    ResponseError,
    RetryBudget,
    RetryBudgetExhaustedError,
    RetryPolicy,
    ServerError,
    TransportError,
    UnreadableBodyError,
)
from enrow_async._core.config import ApiConfig
from enrow_async._core.convert import structure
from enrow_async._core.http import Request, Response
from enrow_async._core.jobs import EMAIL_BULK
from enrow_async._core.requests import account_request, read_request, start_request
from enrow_async._io.sender import Sender
from enrow_async._io.transport import Transport
from enrow_async.testing import EnrowSimulator, FaultKind, Faults, MemoryTransport, SimulatorConfig

pytestmark = pytest.mark.anyio


URL = "https://enrow.test"
CONFIG = ApiConfig.create("k", URL)
READ = read_request(CONFIG, EMAIL_BULK, "b1")
START = start_request(CONFIG, EMAIL_BULK, {"searches": SEARCHES})
QUICK = PollPolicy(initial=0.05, min_interval=0.05, max_interval=0.5)


def as_is(response: Response) -> Response:
    """The reader of a test that looks at the answer itself."""
    return response


"""A first poll at once (the default waits about 1.5 s): for waits whose pace is not the point."""


# -- transports and answers --------------------------------------------------------------------

Answerer = Callable[[Request], Response]


class Scripted:
    """A Transport answering each request with ``answer(request)``, which may raise
    TransportError; ``seen`` records the loop time and the request of every attempt."""

    def __init__(self, answer: Answerer) -> None:
        self._answer = answer
        self.seen: list[tuple[float, Request]] = []

    async def send(self, request: Request) -> Response:
        self.seen.append((anyio.current_time(), request))
        await anyio.lowlevel.checkpoint()
        return self._answer(request)

    async def aclose(self) -> None:
        """Nothing to release."""

    @property
    def times(self) -> list[float]:
        return [at for at, _ in self.seen]


class Recorded:
    """A Transport passing each request on to ``inner``; ``log`` records, per attempt, the
    loop time of its send and of its end, its method and path, and its status (or error);
    ``requests`` keeps each request."""

    def __init__(self, inner: Transport) -> None:
        self._inner = inner
        self.log: list[tuple[float, float, str, str, int | str]] = []
        self.requests: list[Request] = []

    async def send(self, request: Request) -> Response:
        self.requests.append(request)
        sent = anyio.current_time()
        outcome: int | str = "cancelled"
        try:
            response = await self._inner.send(request)
        except EnrowError as error:
            outcome = type(error).__name__
            raise
        else:
            outcome = response.status
            return response
        finally:
            self.log.append((sent, anyio.current_time(), request.method, request.path, outcome))

    async def aclose(self) -> None:
        await self._inner.aclose()

    def sent(self, method: str) -> list[float]:
        return [at for at, _, m, _, _ in self.log if m == method]


def answer(
    status: int,
    body: bytes = b"{}",
    content_type: str = "application/json",
    headers: Mapping[str, str] | None = None,
) -> Response:
    wire = CIMultiDict({"content-type": content_type, **(headers or {})})
    return Response(status, CIMultiDictProxy(wire), body)


def ok(request: Request) -> Response:
    if request.method == "POST":
        return answer(201, b'{"id": "new", "message": "Bulk search operating", "credits_used": 2}')
    return answer(200, orjson.dumps(COMPLETED))


def failing(times: int, failure: Answerer, then: Answerer = ok) -> Answerer:
    """``failure`` for the first ``times`` attempts, ``then`` afterwards."""
    count = 0

    def respond(request: Request) -> Response:
        nonlocal count
        count += 1
        return failure(request) if count <= times else then(request)

    return respond


def refused(request: Request) -> Response:
    raise TransportError("cannot connect", request_sent=False)


def dropped(request: Request) -> Response:
    raise TransportError("ServerDisconnectedError: Server disconnected")


FAILURES: dict[str, Answerer] = {
    "500": lambda r: answer(500, b'{"message": "Internal server error"}'),
    "503": lambda r: answer(503, b'{"message": "Service unavailable"}'),
    "html_502": lambda r: answer(502, b"<html>502 Bad Gateway</html>", "text/html"),
    "429": lambda r: answer(429, b'{"message": "Too Many Requests"}'),
    "dropped": dropped,
    "refused": refused,
}
ERRORS: dict[str, type[EnrowError]] = {
    "500": ServerError,
    "503": ServerError,
    "html_502": ServerError,
    "429": RateLimitError,
    "dropped": TransportError,
    "refused": TransportError,
}


def sender(
    transport: Transport,
    *,
    attempts: int = 4,
    budget: RetryBudget | None = None,
    timeout: float = 60.0,
    call_timeout: float = math.inf,
    wall: Callable[[], float] = lambda: 1_700_000_000.0,
    max_retry_after: float = 60.0,
) -> Sender:
    """A sender whose retry ``n`` waits 0.5 * 2 ** (n - 1) s (jitter drawn at 0.5)."""
    return Sender(
        transport,
        retry=RetryPolicy(
            attempts=attempts,
            backoff=Backoff(initial=1.0, factor=2.0, cap=4.0),
            max_retry_after=max_retry_after,
        ),
        budget=budget or RetryBudget(),
        rand=lambda: 0.5,
        posts_per_second=10,
        max_in_flight=64,
        timeout=timeout,
        call_timeout=call_timeout,
        wall=wall,
    )


def since(start: float, times: list[float]) -> list[float]:
    return [round(at - start, 9) for at in times]


# -- retries per verdict -----------------------------------------------------------------------


@pytest.mark.parametrize("kind", list(FAILURES))
async def test_a_transient_failure_is_retried_with_growing_backoff(kind: str) -> None:
    transport = Scripted(failing(3, FAILURES[kind]))
    start = anyio.current_time()
    response = await sender(transport).send(READ, as_is)
    assert response.status == 200
    assert since(start, transport.times) == [0.0, 0.5, 1.5, 3.5]


@pytest.mark.parametrize("kind", list(FAILURES))
async def test_retries_end_at_the_last_attempt_with_its_typed_error(kind: str) -> None:
    transport = Scripted(FAILURES[kind])
    budget = RetryBudget()
    with pytest.raises(EnrowError) as info:
        await sender(transport, attempts=3, budget=budget).send(READ, as_is)
    assert type(info.value) is ERRORS[kind]
    assert len(transport.seen) == 3
    assert budget.tokens < budget.capacity  # each retry was paid for


def unreadable(request: Request) -> Response:
    return answer(200, b'{"general": "not an object"}')


def read_bulk(response: Response) -> object:
    return EMAIL_BULK.read("b1", response)


async def test_a_poll_gives_up_on_attempts_unreadable_answers_in_a_row_only() -> None:
    """Transient failures between unreadable answers are not counted against a poll: four
    dropped connections, then three answers that cannot be read, then a good one, with
    ``attempts=4``; four unreadable answers in a row end it."""
    script = failing(4, dropped, failing(3, unreadable))
    transport = Scripted(script)
    batch = await sender(transport).send(READ, read_bulk, poll=True)
    assert len(transport.seen) == 8
    assert batch is not None
    transport = Scripted(failing(2, dropped, unreadable))
    with pytest.raises(ResponseError):
        await sender(transport).send(READ, read_bulk, poll=True)
    assert len(transport.seen) == 2 + 4


FINAL: dict[str, tuple[Response, type[EnrowError]]] = {
    "400": (answer(400, b'{"message": "Invalid settings payload"}'), APIError),
    "400_not_found": (
        answer(400, b'{"message": "Could not retrieve bulk search results"}'),
        BatchNotFoundError,
    ),
    "401": (answer(401, b'{"message": "This apikey is not valid"}'), AuthenticationError),
    "402": (answer(402, b'{"message": "Insufficient credits"}'), InsufficientCreditsError),
    "404": (answer(404, b'{"message": "Bulk search not found"}'), BatchNotFoundError),
    "418": (answer(418, b'{"message": "I am a teapot"}'), APIError),
    "422": (answer(422, b'{"message": "Insufficient balance"}'), InsufficientCreditsError),
    "301": (answer(301, b"", headers={"location": "https://elsewhere.example/"}), APIError),
}


@pytest.mark.parametrize("case", list(FINAL))
async def test_a_final_answer_is_raised_at_once(case: str) -> None:
    response, error = FINAL[case]
    transport = Scripted(lambda request: response)
    budget = RetryBudget()
    with pytest.raises(EnrowError) as info:
        await sender(transport, budget=budget).send(READ, as_is)
    assert type(info.value) is error
    assert len(transport.seen) == 1
    assert budget.tokens == budget.capacity


@pytest.mark.parametrize("kind", ["refused", "429"])
async def test_a_post_is_resent_when_the_api_certainly_did_not_act(kind: str) -> None:
    transport = Scripted(failing(1, FAILURES[kind]))
    response = await sender(transport).send(START, as_is)
    assert response.status == 201
    assert [request.method for _, request in transport.seen] == ["POST", "POST"]


@pytest.mark.parametrize("kind", ["dropped", "500"])
async def test_a_post_whose_outcome_is_unknown_is_never_resent(kind: str) -> None:
    transport = Scripted(failing(1, FAILURES[kind]))
    with pytest.raises(OutcomeUnknownError, match="not sent again") as info:
        await sender(transport).send(START, as_is)
    assert info.value.request_sent
    assert len(transport.seen) == 1
    if kind == "dropped":
        assert isinstance(info.value.__cause__, TransportError)


@pytest.mark.parametrize(("kind", "created"), [("drop", 0), ("drop_after", 1), ("truncate", 1)])
async def test_a_start_whose_answer_is_lost_is_never_resent(
    sim: EnrowSimulator, connect: Connect, kind: Any, created: int
) -> None:
    sim.inject(kind, method="POST")
    async with connect(sim) as client:
        with pytest.raises(OutcomeUnknownError, match="may have been created") as info:
            await client.start_bulk_search(SEARCHES)
    assert info.value.request_sent
    assert sim.stats.requests["POST", BULK] == 1
    assert sim.stats.batches_created == created


# -- Retry-After -------------------------------------------------------------------------------


def limited(retry_after: str) -> Answerer:
    return lambda request: answer(429, b"{}", headers={"Retry-After": retry_after})


@pytest.mark.parametrize(
    ("retry_after", "second_try"),
    [
        ("3", 3.0),  # seconds: a floor on the 0.5 s backoff
        ("0.2", 0.5),  # shorter than the backoff: the backoff stands
        (formatdate(1_700_000_000 + 7, usegmt=True), 7.0),  # an HTTP-date, from the wall clock
        (formatdate(1_700_000_000 - 60, usegmt=True), 0.5),  # a date passed: the backoff
        ("3600", 60.0),  # capped at RetryPolicy.max_retry_after
        ("soon", 0.5),  # unreadable: ignored
    ],
    ids=["seconds", "short", "http-date", "past-date", "capped", "unreadable"],
)
async def test_retry_after_is_honoured(retry_after: str, second_try: float) -> None:
    transport = Scripted(failing(1, limited(retry_after)))
    start = anyio.current_time()
    await sender(transport).send(READ, as_is)
    assert since(start, transport.times) == [0.0, second_try]


async def test_a_rate_limit_outlasting_the_retries_carries_the_hint() -> None:
    transport = Scripted(limited("3"))
    with pytest.raises(RateLimitError) as info:
        await sender(transport, attempts=2).send(READ, as_is)
    assert info.value.retry_after == 3.0
    assert info.value.status == 429


async def test_a_429_pauses_every_request_of_the_client() -> None:
    def respond(request: Request) -> Response:
        first = len(transport.seen) == 1
        return limited("4")(request) if first else ok(request)

    transport = Scripted(respond)
    shared = sender(transport)
    start = anyio.current_time()
    async with anyio.create_task_group() as tg:
        tg.start_soon(shared.send, account_request(CONFIG), as_is)  # 429 at t=0: pause to t=4

        async def later_read() -> None:
            await anyio.sleep(1)
            await shared.send(READ, as_is)

        tg.start_soon(later_read)
    assert shared.health.paused == start + 4.0
    # The read made at t=1 waited out the pause: nothing reached the API before t=4.
    assert since(start, transport.times) == [0.0, 4.0, 4.0]
    assert {request.path for _, request in transport.seen[1:]} == {BULK, "/account/info"}


async def test_a_429_on_one_poll_holds_back_every_poll(
    simulate: Simulate, connect: Connect
) -> None:
    config = SimulatorConfig(seed=4, duration=20.0, faults=Faults(retry_after=2.0))
    async with simulate(config) as sim:
        ids = [sim.add_batch(SEARCHES) for _ in range(5)]
        recorded = Recorded(MemoryTransport(sim))
        async with connect(sim, transport=recorded, poll_policy=QUICK) as client:
            async with anyio.create_task_group() as tg:

                async def wait_all() -> None:
                    got = [batch.id async for batch in client.wait_for_batches(ids, timeout=60)]
                    assert sorted(got) == sorted(ids)

                tg.start_soon(wait_all)
                await anyio.sleep(5)
                sim.inject("rate_limited", path=BULK)
    limited_at = [end for _, end, _, _, status in recorded.log if status == 429]
    assert len(limited_at) == 1
    held = [sent for sent in recorded.sent("GET") if limited_at[0] < sent < limited_at[0] + 2.0]
    assert held == []  # two seconds without a poll, for every batch
    assert len(recorded.sent("GET")) > 10


# -- the retry budget --------------------------------------------------------------------------


async def test_outage_drains_the_budget_then_calls_fail_fast_and_successes_refill(
    sim: EnrowSimulator, connect: Connect
) -> None:
    # Every retry waits ~0.5 s (rand fixed near 1) and costs 5 of 10 tokens: the first call
    # retries twice, then finds the budget empty. The 503s of the outage are the first 8
    # GETs; the simulator answers normally after them.
    budget = RetryBudget(capacity=10, retry_cost=5, refill=1)
    retry = RetryPolicy(attempts=5, backoff=Backoff(initial=0.5, cap=0.5), rand=lambda: 0.999)
    sim.inject("server_error", count=8, path=BULK)
    ids = [sim.add_batch(SEARCHES, duration=0.0) for _ in range(8)]
    async with connect(sim, retry=retry, retry_budget=budget, poll_policy=QUICK) as client:
        assert client.retry_budget is budget
        start = anyio.current_time()
        with pytest.raises(RetryBudgetExhaustedError, match="retry budget is spent") as info:
            await client.get_bulk_results(ids[0])
        assert anyio.current_time() - start == pytest.approx(2 * 0.999 * 0.5)
        assert sim.stats.requests["GET", BULK] == 3
        assert budget.tokens == 0
        assert isinstance(info.value.__cause__, ServerError)
        assert "HTTP 50" in str(info.value)  # the last failure is named

        # Empty budget: every call, on any batch, fails after its one request, with no sleep.
        for batch_id in ids[1:5]:
            start = anyio.current_time()
            with pytest.raises(RetryBudgetExhaustedError, match="retry budget is spent"):
                await client.get_bulk_results(batch_id)
            assert anyio.current_time() == start
        assert sim.stats.requests["GET", BULK] == 7
        # A wait is no single call: it polls through the last 503 (backing off, paying no
        # tokens) and returns the batch.
        batch = await client.wait_for_batch(ids[5], timeout=10)
        assert batch.status is BatchStatus.COMPLETED
        assert sim.stats.requests["GET", BULK] == 9
        assert sim.stats.faults["server_error"] == 8
        assert budget.tokens == 0

        # Recovery: each success gives back ``refill`` token(s).
        seen = []
        for _ in range(6):
            batch = await client.get_bulk_results(ids[6])
            assert batch.status is BatchStatus.COMPLETED
            seen.append(budget.tokens)
        assert seen == [1, 2, 3, 4, 5, 6]
        # A request that succeeds after a retry gives back what the retry cost.
        sim.inject("server_error", path=BULK)
        async with anyio.create_task_group() as tg:
            tg.start_soon(client.get_bulk_results, ids[7])
            await anyio.sleep(0.1)  # the first try failed; the retry waits
            assert budget.tokens == 1
        assert budget.tokens == 6
        assert sim.stats.requests["GET", BULK] == 9 + 6 + 2


async def test_simulator_outage_exhausts_the_default_budget(
    sim: EnrowSimulator, connect: Connect
) -> None:
    """The default budget and retries, in virtual time: 5xx on every GET drains it."""
    ids = [sim.add_batch(SEARCHES, duration=0.0) for _ in range(40)]
    sim.inject("server_error", count=10_000, path=BULK, method="GET")
    outcomes: list[type[EnrowError]] = []
    async with connect(sim) as client:
        for batch_id in ids:
            try:
                await client.get_bulk_results(batch_id)
            except (ServerError, RetryBudgetExhaustedError) as exc:
                outcomes.append(type(exc))
        assert client.retry_budget.tokens < client.retry_budget.retry_cost
        before = sim.stats.requests["GET", BULK]
        start = anyio.current_time()
        with pytest.raises(RetryBudgetExhaustedError, match="retry budget is spent"):
            await client.get_bulk_results(ids[0])
        assert anyio.current_time() == start
        assert sim.stats.requests["GET", BULK] == before + 1
    # 500 tokens at 5 per retry: 25 calls of 4 retries each, then fail-fast.
    assert outcomes[:25] == [ServerError] * 25
    assert set(outcomes[25:]) == {RetryBudgetExhaustedError}


# -- deadlines: silence, attempt, call, and bounded waits --------------------------------------


@pytest.fixture
def unbounded(sim: EnrowSimulator) -> MemoryTransport:
    """A MemoryTransport without a read timeout of its own (the default, said out loud):
    only the client's limits cut a hang."""
    return MemoryTransport(sim, read_timeout=None)


def dripping(sim: EnrowSimulator, count: int, method: str = "GET") -> None:
    """The next ``count`` answers come one byte every 0.5 s (``Faults.drip_seconds``): never
    silent for a second, and minutes long for a completed batch's body."""
    assert sim.config.faults.drip_seconds == 0.5
    sim.inject("drip", count=count, path=BULK, method=method)


@pytest.mark.parametrize(
    ("fault", "cut"),
    [
        pytest.param("hang", 2.0, id="silent: cut after read_timeout"),
        pytest.param("drip", 3.0, id="dripping: cut at the attempt's deadline"),
    ],
)
async def test_an_answer_too_slow_is_cut_and_the_read_retried(
    sim: EnrowSimulator, connect: Connect, unbounded: MemoryTransport, fault: FaultKind, cut: float
) -> None:
    """A silent answer is given up after ``read_timeout``; one that drips (never silent for
    ``read_timeout``) once connect + read have passed. Then one backoff, and the retry."""
    assert sim.config.faults.drip_seconds == 0.5
    batch_id = sim.add_batch(SEARCHES, duration=0.0)
    sim.inject(fault, path=BULK)
    options = {"connect_timeout": 1.0, "read_timeout": 2.0, "retry": RetryPolicy(rand=lambda: 0.5)}
    async with connect(sim, transport=unbounded, **options) as client:
        start = anyio.current_time()
        batch = await client.get_bulk_results(batch_id)
        assert anyio.current_time() - start == pytest.approx(cut + 0.1)  # cut + backoff
    assert batch.status is BatchStatus.COMPLETED
    assert sim.stats.faults[fault] == 1
    assert sim.stats.requests["GET", BULK] == 2


@pytest.mark.parametrize("jitter", [0.0, 0.5, 0.999])
async def test_read_timeout_2_ends_a_read_of_a_server_that_never_answers_within_15_s(
    sim: EnrowSimulator, connect: Connect, unbounded: MemoryTransport, jitter: float
) -> None:
    """Every default but ``read_timeout``: 5 attempts of 2 s of silence, and the backoff
    between them (at most 0.2 + 0.4 + 0.8 + 1.6 s)."""
    sim.inject("hang", count=1000, path=BULK)
    retry = RetryPolicy(rand=lambda: jitter)
    async with connect(sim, transport=unbounded, read_timeout=2, retry=retry) as client:
        start = anyio.current_time()
        with pytest.raises(TransportError, match=r"read timeout \(2 s without a byte\)") as info:
            await client.get_bulk_results("b1")
        took = anyio.current_time() - start
    assert type(info.value) is TransportError
    assert info.value.request_sent
    assert 10.0 <= took <= 15.0
    assert took == pytest.approx(10.0 + jitter * 3.0)
    assert sim.stats.requests["GET", BULK] == 5


async def test_drips_past_every_attempt_say_what_cut_them(
    sim: EnrowSimulator, connect: Connect, unbounded: MemoryTransport
) -> None:
    dripping(sim, 100)
    retry = RetryPolicy(attempts=2, rand=lambda: 0.5)
    options = {"connect_timeout": 1.0, "read_timeout": 2.0, "retry": retry}
    async with connect(sim, transport=unbounded, **options) as client:
        with pytest.raises(TransportError, match="no complete answer within 3 s") as info:
            await client.get_bulk_results("b1")
    assert info.value.request_sent
    assert sim.stats.requests["GET", BULK] == 2


async def test_the_call_deadline_cuts_the_attempt_in_flight(
    sim: EnrowSimulator, connect: Connect, unbounded: MemoryTransport
) -> None:
    dripping(sim, 100)
    options = {"connect_timeout": 1.0, "read_timeout": 2.0, "retry": RetryPolicy(rand=lambda: 0.5)}
    async with connect(sim, transport=unbounded, call_timeout=5.0, **options) as client:
        start = anyio.current_time()
        with pytest.raises(
            TransportError, match=r"before the call's 5 s deadline \(call_timeout\)"
        ):
            await client.get_bulk_results("b1")
        assert anyio.current_time() - start == pytest.approx(5.0)
    # Cut at 3 s, tried again after 0.1 s, cut at 5 s by the call's deadline.
    assert sim.stats.requests["GET", BULK] == 2


async def test_no_retry_starts_that_the_call_deadline_would_cut() -> None:
    transport = Scripted(FAILURES["500"])
    start = anyio.current_time()
    with pytest.raises(ServerError) as info:
        await sender(transport, call_timeout=2.0).send(READ, as_is)
    assert anyio.current_time() - start == pytest.approx(1.5)  # not slept to the deadline
    assert since(start, transport.times) == [0.0, 0.5, 1.5]  # the next, at 3.5, is too late
    assert info.value.__notes__ == [
        "not tried again: the call's 2 s deadline (call_timeout) comes before the next try,"
        " 2.00 s away"
    ]


async def test_a_429_pause_past_the_call_deadline_fails_at_once_and_sends_nothing() -> None:
    transport = Scripted(limited("30"))
    shared = sender(transport, call_timeout=10.0)
    with pytest.raises(RateLimitError) as first:
        await shared.send(READ, as_is)
    assert first.value.__notes__[0].startswith("not tried again")
    start = anyio.current_time()
    with pytest.raises(RateLimitError, match="not sent: after a 429") as second:
        await shared.send(START, as_is)
    assert anyio.current_time() == start
    assert second.value.retry_after == pytest.approx(30.0)
    assert len(transport.seen) == 1  # the start never left


async def test_time_queued_under_the_post_rate_limit_is_not_the_calls(
    sim: EnrowSimulator, connect: Connect
) -> None:
    async with connect(sim, posts_per_second=1, call_timeout=0.5) as client:
        jobs = []
        async with anyio.create_task_group() as tg:
            for _ in range(3):

                async def start() -> None:
                    jobs.append(await client.start_bulk_search(SEARCHES))

                tg.start_soon(start)
    assert len(jobs) == 3  # the third waited 2 s for its slot
    assert sim.stats.batches_created == 3


async def test_a_silent_start_is_an_unknown_outcome_never_resent(
    sim: EnrowSimulator, connect: Connect, unbounded: MemoryTransport
) -> None:
    sim.inject("hang", method="POST")
    options = {"connect_timeout": 1.0, "read_timeout": 2.0}
    async with connect(sim, transport=unbounded, **options) as client:
        start = anyio.current_time()
        with pytest.raises(OutcomeUnknownError, match="read timeout") as info:
            await client.start_bulk_search(SEARCHES)
        assert anyio.current_time() - start == pytest.approx(2.0)
    assert "may have been created" in str(info.value)
    assert sim.stats.requests["POST", BULK] == 1


async def test_a_start_cut_by_the_call_deadline_is_an_unknown_outcome(
    sim: EnrowSimulator, connect: Connect, unbounded: MemoryTransport
) -> None:
    dripping(sim, 1, method="POST")
    options = {"connect_timeout": 1.0, "read_timeout": 2.0, "call_timeout": 1.5}
    async with connect(sim, transport=unbounded, **options) as client:
        with pytest.raises(OutcomeUnknownError, match=r"call's 1\.5 s deadline"):
            await client.start_bulk_search(SEARCHES)
    assert sim.stats.requests["POST", BULK] == 1
    assert sim.stats.batches_created == 1  # rightly in doubt: the API had acted


async def test_wait_is_bounded_by_its_timeout(sim: EnrowSimulator, connect: Connect) -> None:
    batch_id = sim.add_batch(SEARCHES, duration=0.0)
    sim.inject("hang", count=1000, path=BULK)
    async with connect(sim) as client:
        start = anyio.current_time()
        with pytest.raises(BatchTimeoutError) as info:
            await client.wait_for_batch(batch_id, timeout=1)
        assert anyio.current_time() - start == pytest.approx(1.0)  # not the 70 s attempt deadline
    assert info.value.pending == {batch_id: None}


async def test_single_read_is_bounded_by_the_transports_read_timeout(
    sim: EnrowSimulator, connect: Connect
) -> None:
    batch_id = sim.add_batch(SEARCHES, duration=0.0)
    sim.inject("hang", count=1000, path=BULK)
    retry = RetryPolicy(attempts=2, backoff=Backoff(initial=0.01, cap=0.01), rand=lambda: 0.5)
    transport = MemoryTransport(sim, read_timeout=0.3)
    async with connect(sim, transport=transport, retry=retry) as client:
        start = anyio.current_time()
        with pytest.raises(TransportError, match=r"[Tt]imeout") as info:
            await client.get_bulk_results(batch_id)
        assert anyio.current_time() - start == pytest.approx(0.3 + 0.005 + 0.3)  # two tries
    assert info.value.request_sent
    assert sim.stats.requests["GET", BULK] == 2


@pytest.mark.parametrize("hangs", [1, 2])
async def test_hung_polls_are_cut_at_read_timeout_and_tried_again(
    sim: EnrowSimulator, connect: Connect, hangs: int
) -> None:
    batch_id = sim.add_batch(SEARCHES, duration=0.0)
    sim.inject("hang", count=hangs, path=BULK)
    transport = MemoryTransport(sim, read_timeout=0.5)
    async with connect(sim, transport=transport, poll_policy=QUICK) as client:
        batch = await client.wait_for_batch(batch_id, timeout=10)
    assert batch == structure(sim.completed_body(batch_id), BulkResults, body=b"{}")
    assert sim.stats.faults["hang"] == hangs
    assert sim.stats.requests["GET", BULK] == hangs + 1


async def test_polls_carry_no_read_timeout(sim: EnrowSimulator, connect: Connect) -> None:
    """A poll's only limit is the scheduler's watchdog: no timer of its own."""
    batch_id = sim.add_batch(SEARCHES, duration=3.0)
    recorded = Recorded(MemoryTransport(sim))
    async with connect(sim, transport=recorded, poll_policy=QUICK, read_timeout=2) as client:
        await client.wait_for_batch(batch_id, timeout=10)
        await client.get_bulk_results(batch_id)
    assert [request.read_timeout for request in recorded.requests] == [None] * (
        len(recorded.requests) - 1
    ) + [2.0]


class Spinning(Exception):
    """Raised by :class:`Bounded` once a wait has polled more often than it may."""


class Bounded(MemoryTransport):
    """A MemoryTransport refusing requests past ``limit``: a spin fails its wait instead of
    stalling the virtual clock (which moves only while every task waits)."""

    def __init__(self, simulator: EnrowSimulator, limit: int) -> None:
        super().__init__(simulator)
        self.limit = limit
        self.sent = 0

    async def send(self, request: Request) -> Response:
        self.sent += 1
        if self.sent > self.limit:
            raise Spinning(f"{self.sent} requests at t={anyio.current_time()!r}")
        return await super().send(request)


async def test_a_last_call_just_after_a_poll_is_made_once(
    sim: EnrowSimulator, connect: Connect
) -> None:
    batch_id = sim.add_batch(SEARCHES, duration=60.0)
    transport = Bounded(sim, limit=20)
    policy = PollPolicy(initial=0.1, min_interval=0.1, max_interval=0.1, spread=0.0)
    async with connect(sim, transport=transport, poll_policy=policy) as client:
        # Polls at t=0.1 (grid tick 0.1); the last call is due at 0.33 - 0.2 = 0.13.
        with pytest.raises(BatchTimeoutError):
            await client.wait_for_batch(batch_id, timeout=0.33)
    assert transport.sent <= 3


# -- the POST rate limit -----------------------------------------------------------------------


def assert_at_most(limit: int, period: float, moments: list[float]) -> None:
    """No window of ``period`` seconds holds more than ``limit`` of ``moments``."""
    moments = sorted(moments)
    for k in range(len(moments) - limit):
        assert moments[k + limit] - moments[k] >= period - 1e-9, (k, moments)


@pytest.mark.parametrize("slow", [False, True], ids=["prompt", "slow-answers"])
async def test_starts_are_held_to_ten_a_second_of_virtual_time(
    simulate: Simulate, connect: Connect, slow: bool
) -> None:
    config = SimulatorConfig(seed=2, faults=Faults(slow_seconds=0.7))
    async with simulate(config) as sim:
        if slow:
            sim.inject("slow", count=35, method="POST")
        recorded = Recorded(MemoryTransport(sim))
        async with connect(sim, transport=recorded) as client:
            start = anyio.current_time()
            async with anyio.create_task_group() as tg:
                for _ in range(35):
                    tg.start_soon(client.start_bulk_search, SEARCHES)
            took = anyio.current_time() - start
        stats = sim.stats
    sends = [sent for sent, _, method, _, _ in recorded.log if method == "POST"]
    answers = [end for _, end, method, _, _ in recorded.log if method == "POST"]
    assert len(sends) == 35
    # The server counts a POST somewhere between its send and its answer: either way, never
    # more than ten in a second, so it never answers 429.
    assert_at_most(10, 1.0, sends)
    assert_at_most(10, 1.0, answers)
    assert stats.rate_limited == 0
    assert stats.batches_created == 35
    assert took >= 3 * 1.0  # four waves of ten


async def test_reads_are_not_held_by_the_post_limit(sim: EnrowSimulator, connect: Connect) -> None:
    batch_id = sim.add_batch(SEARCHES, duration=0.0)
    recorded = Recorded(MemoryTransport(sim))
    async with connect(sim, transport=recorded) as client:
        async with anyio.create_task_group() as tg:
            for _ in range(10):
                tg.start_soon(client.start_bulk_search, SEARCHES)
        start = anyio.current_time()
        async with anyio.create_task_group() as tg:
            for _ in range(30):
                tg.start_soon(client.get_bulk_results, batch_id)
            tg.start_soon(client.start_bulk_search, SEARCHES)  # waits for the window
    reads = [sent for sent, _, method, _, _ in recorded.log if method == "GET"]
    assert reads == [start] * 30
    assert recorded.sent("POST")[-1] == pytest.approx(start + 1.05)  # period + margin


# -- broken answers ----------------------------------------------------------------------------


def modified(change: Callable[[dict[str, Any]], object]) -> bytes:
    body = copy.deepcopy(COMPLETED)
    change(body)
    return orjson.dumps(body)


BROKEN: dict[str, tuple[int, bytes, str, dict[str, str], type[EnrowError], str]] = {
    "html_200": (
        200,
        b"<html><body>Maintenance</body></html>",
        "text/html",
        {},
        ResponseError,
        r"HTTP 200 body is not JSON \(text/html",
    ),
    "json_array": (
        200,
        orjson.dumps([COMPLETED]),
        "application/json",
        {},
        ResponseError,
        r"expected a JSON object for BulkResults, got list",
    ),
    "missing_general": (
        200,
        modified(lambda b: b.pop("general")),
        "application/json",
        {},
        ResponseError,
        r"required field missing @ \$\.general",
    ),
    "finished_not_a_number": (
        200,
        modified(lambda b: b["stats"].update(finished="many")),
        "application/json",
        {},
        ResponseError,
        r"expected an integer, got 'many' @ \$\.stats\.finished",
    ),
    "ongoing_finished_not_a_number": (
        200,
        orjson.dumps(
            {
                "general": {"id": "b1", "status": "ongoing"},
                "stats": {"finished": "x", "requested": 3},
            }
        ),
        "application/json",
        {},
        ResponseError,
        r"expected an integer, got 'x' @ \$\.stats\.finished",
    ),
    "index_not_a_number": (
        200,
        modified(lambda b: b["results"][0].update(index="first")),
        "application/json",
        {},
        ResponseError,
        r"expected an integer, got 'first' @ \$\.results\[0\]\.index",
    ),
    "results_not_a_list": (
        200,
        modified(lambda b: b.update(results={"0": b["results"][0]})),
        "application/json",
        {},
        ResponseError,
        r"expected a list of results, got dict @ \$\.results",
    ),
    "status_418": (
        418,
        b'{"message": "I am a teapot"}',
        "application/json",
        {},
        APIError,
        r"HTTP 418 for GET /email/find/bulk: unexpected status: I am a teapot",
    ),
    "status_302": (
        302,
        b"",
        "text/plain",
        {"Location": "https://elsewhere.example/email/find/bulk?id=b1"},
        APIError,
        r"HTTP 302 .*redirect to https://elsewhere\.example refused",
    ),
}


@pytest.mark.parametrize("case", list(BROKEN))
async def test_broken_answer_is_a_typed_error_saying_what_is_wrong(case: str) -> None:
    status, body, content_type, headers, error, message = BROKEN[case]
    transport = Scripted(lambda request: answer(status, body, content_type, headers))
    async with EnrowClient("k", base_url=URL, transport=transport, poll_policy=QUICK) as client:
        with pytest.raises(error, match=message) as info:
            await client.get_bulk_results("b1")
        if isinstance(info.value, ResponseError) and status == 200:
            # A 2xx that cannot be read is read again, like a dropped answer, a bounded
            # number of times (issue 12, rule 4); other answers are final at once.
            assert len(transport.seen) == RetryPolicy().attempts
        else:
            assert type(info.value) is error  # not a subclass standing in for it
            assert len(transport.seen) == 1
        if isinstance(info.value, UnreadableBodyError):
            # Transient: a wait polls on (backing off) until its deadline.
            with pytest.raises(BatchTimeoutError):
                await client.wait_for_batch("b1", timeout=30)
        else:
            with pytest.raises(error, match=message):
                await client.wait_for_batch("b1", timeout=30)
    if isinstance(info.value, ResponseError) and status == 200:
        assert info.value.body == body  # kept for debugging
    if isinstance(info.value, APIError):
        assert info.value.status == status


# -- the key's safety --------------------------------------------------------------------------

SECRET = "sk-live-0123456789abcdef-SECRET"


async def test_key_is_redacted_everywhere(
    simulate: Simulate, connect: Connect, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG, logger="enrow_async")
    errors: list[BaseException] = []
    config = SimulatorConfig(api_key=SECRET, seed=9, duration=(0.2, 0.4))
    retry = RetryPolicy(attempts=8)
    async with simulate(config) as sim:
        options = {"retry": retry, "poll_policy": QUICK}
        async with connect(sim, **options) as client:
            assert SECRET not in repr(client)
            api_config = ApiConfig.create(SECRET, sim.base_url)
            assert SECRET not in repr(api_config)
            assert SECRET not in str(api_config)
            request = read_request(api_config, EMAIL_BULK, "b1")
            assert SECRET not in repr(request)
            assert SECRET not in str(request)
            # A run with retries of every kind.
            for kind in ("server_error", "html_502", "rate_limited", "drop", "truncate"):
                sim.inject(kind, count=1, path=BULK, method="GET")
            job = await client.start_bulk_search(SEARCHES)
            batch = await client.wait_for_batch(job.id, timeout=10)
            assert batch.status is BatchStatus.COMPLETED
            # Errors of every family, each with its chain.
            with pytest.raises(BatchNotFoundError) as not_found:
                await client.get_bulk_results("no-such-batch")
            errors.append(not_found.value)
            sim.inject("server_error", count=8, path=BULK)
            with pytest.raises(ServerError) as server:
                await client.get_bulk_results(job.id)
            errors.append(server.value)
            sim.inject("drop", count=8, path=BULK)
            with pytest.raises(TransportError) as dropped_:
                await client.get_bulk_results(job.id)
            errors.append(dropped_.value)
            sim.inject("truncate", count=8, path=BULK)
            with pytest.raises(TransportError) as truncated:
                await client.get_bulk_results(job.id)
            errors.append(truncated.value)
            with pytest.raises(BatchTimeoutError) as late:
                await client.wait_for_batch(sim.add_batch(SEARCHES, duration=60), timeout=0.3)
            errors.append(late.value)
        # A wrong key is not echoed either (the server's message names neither key).
        wrong = SECRET[::-1]
        async with connect(sim, key=wrong) as client:
            with pytest.raises(APIError) as auth:
                await client.get_bulk_results(job.id)
            errors.append(auth.value)
    for error in errors:
        text = all_text(error)
        assert SECRET not in text, type(error)
        assert wrong not in text, type(error)
    assert any("retry" in r.getMessage() for r in caplog.records), "retries should be logged"
    for record in caplog.records:
        assert SECRET not in record.getMessage()
    assert SECRET not in caplog.text
    assert wrong not in caplog.text


def echoing(status: int, template: str, content_type: str = "application/json") -> Answerer:
    """Answers ``status`` with ``template`` where ``{key}`` is the request's own key."""

    def respond(request: Request) -> Response:
        key = request.headers["x-api-key"]
        return answer(status, template.replace("{key}", key).encode(), content_type)

    return respond


ECHOES: dict[str, tuple[Answerer, type[EnrowError]]] = {
    "error_message": (echoing(400, '{"message": "bad key {key}"}'), APIError),
    "auth_reason": (echoing(401, '{"reason": "key {key} is not valid"}'), AuthenticationError),
    "server_error": (echoing(503, '{"error": "upstream refused {key}"}'), ServerError),
    "redirect": (
        lambda request: answer(
            302, b"", headers={"location": f"https://{request.headers['x-api-key']}@evil.example/"}
        ),
        APIError,
    ),
}


@pytest.mark.parametrize("case", list(ECHOES))
async def test_a_key_echoed_by_the_server_is_redacted_from_errors_and_logs(
    case: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG, logger="enrow_async")
    respond, error = ECHOES[case]
    transport = Scripted(respond)
    retry = RetryPolicy(attempts=2)
    async with EnrowClient(SECRET, base_url=URL, transport=transport, retry=retry) as client:
        with pytest.raises(error) as info:
            await client.get_bulk_results("b1")
    assert SECRET not in all_text(info.value)
    assert SECRET not in caplog.text


async def test_a_key_echoed_in_a_field_value_is_redacted_from_the_response_error() -> None:
    body = modified(lambda b: b["stats"].update(finished="{key}"))
    transport = Scripted(echoing(200, body.decode()))
    async with EnrowClient(SECRET, base_url=URL, transport=transport) as client:
        with pytest.raises(ResponseError) as info:
            await client.get_bulk_results("b1")
    assert SECRET not in str(info.value)


# -- nothing left behind after a cancel --------------------------------------------------------


async def test_a_cancelled_send_leaves_no_task_and_gives_its_slot_back(
    sim: EnrowSimulator, unbounded: MemoryTransport
) -> None:
    sim.inject("hang", count=10, method="POST")
    config = ApiConfig.create(sim.api_key, sim.base_url)
    shared = sender(unbounded)
    request = start_request(config, EMAIL_BULK, {"searches": SEARCHES})
    with anyio.move_on_after(5) as scope:
        async with anyio.create_task_group() as tg:
            for _ in range(10):  # ten hung starts hold every slot of the POST limit
                tg.start_soon(shared.send, request, as_is)
    assert scope.cancelled_caught
    cancelled = anyio.current_time()
    assert client_tasks() == set()
    response = await shared.send(request, as_is)  # waits for the window, not forever
    assert response.status == 201
    assert anyio.current_time() == pytest.approx(cancelled + 1.05)
    assert sim.stats.requests["POST", BULK] == 11


async def test_cancelling_a_wait_with_its_poll_in_flight_stops_its_polling(
    sim: EnrowSimulator, connect: Connect
) -> None:
    batch_id = sim.add_batch(SEARCHES, duration=60.0)
    sim.inject("hang", path=BULK)
    async with connect(sim, poll_policy=QUICK) as client:
        with anyio.move_on_after(5) as scope:
            await client.wait_for_batch(batch_id, timeout=30)
        assert scope.cancelled_caught
        assert sim.stats.faults["hang"] == 1  # cancelled with that poll in flight
        await assert_polling_stopped(sim)


async def test_cancelling_many_waits_mid_flight_stops_every_poll(
    sim: EnrowSimulator, connect: Connect
) -> None:
    slow = [sim.add_batch(SEARCHES * 5, duration=60.0) for _ in range(30)]
    quick = [sim.add_batch(SEARCHES, duration=0.1) for _ in range(5)]
    sim.inject("hang", count=8, path=BULK)
    done: list[str] = []
    async with connect(sim, poll_policy=attrs.evolve(QUICK, tick=0.0)) as client:
        with anyio.move_on_after(5) as scope:
            async with anyio.create_task_group() as tg:

                async def many() -> None:
                    async for batch in client.wait_for_batches([*slow[:20], *quick], timeout=30):
                        done.append(batch.id)

                tg.start_soon(many)
                for batch_id in slow[20:]:
                    tg.start_soon(partial(client.wait_for_batch, batch_id, timeout=30))
        assert scope.cancelled_caught
        assert sim.stats.faults["hang"] == 8
        assert set(done) <= set(quick)
        await assert_polling_stopped(sim)


# -- waits outlive outages (issue 12, rule 1): the gate holds polls, one probe at a time


class Outage:
    """A Transport failing every request between ``start`` and ``end`` (loop clock)."""

    def __init__(self, inner: MemoryTransport, start: float, end: float, kind: str) -> None:
        self.inner, self.start, self.end, self.kind = inner, start, end, kind
        self.during = 0
        self.total = 0

    async def send(self, request: Request) -> Response:
        self.total += 1
        if self.start <= anyio.current_time() < self.end:
            self.during += 1
            if self.kind == "refused":
                raise TransportError("cannot connect (outage)", request_sent=False)
            if self.kind == "reset":
                raise TransportError("connection reset (outage)")
            status, extra = (429, {"Retry-After": "1"}) if self.kind == "429" else (503, {})
            headers = CIMultiDictProxy(CIMultiDict({"content-type": "application/json", **extra}))
            return Response(status, headers, b'{"message": "unavailable"}')
        return await self.inner.send(request)

    async def aclose(self) -> None:
        await self.inner.aclose()


@pytest.mark.parametrize(
    ("kind", "seconds"), [("refused", 5.0), ("reset", 5.0), ("503", 5.0), ("503", 900.0)]
)
async def test_300_waits_outlive_an_outage_with_exact_results(
    connect: Connect, kind: str, seconds: float
) -> None:
    config = SimulatorConfig(seed=7, duration=(2.0, 30.0))
    async with EnrowSimulator(config, serve=False) as sim:
        ids = [sim.add_batch(JIM * 3) for _ in range(300)]
        outage = Outage(MemoryTransport(sim), 1.0, 1.0 + seconds, kind)
        timeout = seconds + 60.0
        async with connect(sim, transport=outage) as client:

            async def wait(batch_id: str) -> None:
                batch = await client.wait_for_batch(batch_id, timeout=timeout)
                assert batch.status is BatchStatus.COMPLETED
                assert batch == structure(sim.completed_body(batch_id), BulkResults, body=b"{}")
                done.append(batch_id)

            done: list[str] = []
            async with anyio.create_task_group() as tg:
                for batch_id in ids:
                    tg.start_soon(wait, batch_id)
    assert sorted(done) == sorted(ids)
    # Bounded whatever the number of waits: the polls in flight when it began (at most
    # max_in_flight, 64), then one probe at a time, at most one every 5-10 s once it lasts
    # (a jittered step of the retry policy's backoff, capped at 10 s).
    assert outage.during <= 64 + 3 + seconds / 0.5 * 0 + _probes(seconds)
    print(
        f"\n{kind} {seconds:g} s: {outage.during} requests during the outage, {outage.total} in all"
    )


def _probes(seconds: float) -> int:
    """Probes in ``seconds`` of outage, at the most: waits of 0.1-0.2 s doubling, capped at
    5-10 s (``Backoff()``'s ceiling, jittered down to half)."""
    wait, spent, probes = 0.1, 0.0, 0
    while spent < seconds:
        spent += wait
        probes += 1
        wait = min(wait * 2, 5.0)
    return probes


async def test_a_30_s_storm_of_429s_delays_waits_but_fails_none(connect: Connect) -> None:
    async with EnrowSimulator(SimulatorConfig(seed=8, duration=(2.0, 10.0)), serve=False) as sim:
        ids = [sim.add_batch(JIM) for _ in range(100)]
        storm = Outage(MemoryTransport(sim), 0.5, 30.5, "429")
        async with connect(sim, transport=storm) as client:
            seen = [b.id async for b in client.wait_for_batches(ids, timeout=120)]
    assert sorted(seen) == sorted(ids)
    assert storm.during <= 64 + _probes(30.0) + 30  # at most about one a second: Retry-After 1
