"""The limits that hold under failure: retry budget, bounded waits, body size, broken
answers, and the API key's safety (redaction, plain http, redirects, id encoding).

Every server here is real HTTP on loopback: the simulator, or a small ``aiohttp.web`` app
(or a raw asyncio server) when the answer must be something the simulator never sends.
"""

from __future__ import annotations

import asyncio
import contextlib
import copy
import logging
import socket
import time
import traceback
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import orjson
import pytest
from aiohttp import web

from enrow_async import (
    APIError,
    Backoff,
    BatchNotFoundError,
    BatchStatus,
    BatchTimeoutError,
    BulkResults,
    ConfigurationError,
    EnrowClient,
    EnrowError,
    PollPolicy,
    ResponseError,
    RetryBudget,
    RetryBudgetExhaustedError,
    RetryPolicy,
    ServerError,
    TransportError,
)
from enrow_async._core.convert import structure
from enrow_async._core.http import ApiConfig, JobKind
from enrow_async._core.requests import read_request
from enrow_async._io.transport import DEFAULT_MAX_BODY
from enrow_async.testing import EnrowSimulator, SimulatorConfig

pytestmark = pytest.mark.anyio

BULK = "/email/find/bulk"
SEARCHES = [
    {"fullname": "Dwight Schrute", "company_domain": "dundermifflin.com"},
    {"fullname": "Jim Halpert", "company_domain": "dundermifflin.com"},
]
COMPLETED: dict[str, Any] = {
    "general": {"id": "b1", "status": "completed"},
    "stats": {
        "finished": 1,
        "requested": 1,
        "valid": 1,
        "credits_cost": {"initial": 1, "refunded": 0, "final": 1},
    },
    "results": [
        {
            "index": "0",
            "qualification": "valid",
            "email": "jim@dundermifflin.com",
            "raw_params": {"fullname": "Jim Halpert", "company_domain": "dundermifflin.com"},
        }
    ],
}

QUICK = PollPolicy(initial=0.05, min_interval=0.05, max_interval=0.5)
"""A first poll at once (the default waits about 1.5 s): for waits that are not the point."""

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


@contextlib.asynccontextmanager
async def serve(handler: Handler, host: str = "127.0.0.1") -> AsyncIterator[str]:
    """A one-route aiohttp.web app (every path) on ``host``, a free port; yields its URL."""

    async def route(request: web.Request) -> web.StreamResponse:
        return await handler(request)

    app = web.Application()
    app.router.add_route("*", "/{path:.*}", route)
    runner = web.AppRunner(app, access_log=None, shutdown_timeout=0.5)
    await runner.setup()
    try:
        await web.TCPSite(runner, host, 0).start()
        yield f"http://{host}:{runner.addresses[0][1]}"
    finally:
        await runner.cleanup()


def json_response(body: Any, status: int = 200) -> web.Response:
    return web.Response(status=status, body=orjson.dumps(body), content_type="application/json")


def completed(batch_id: str) -> dict[str, Any]:
    return {**COMPLETED, "general": {"id": batch_id, "status": "completed"}}


def modified(change: Callable[[dict[str, Any]], object]) -> bytes:
    body = copy.deepcopy(COMPLETED)
    change(body)
    return orjson.dumps(body)


# -- retry budget ------------------------------------------------------------------------------


class Outage:
    """An API that answers 503 to everything while ``down``, the completed batch otherwise."""

    def __init__(self) -> None:
        self.down = True
        self.requests = 0

    async def __call__(self, request: web.Request) -> web.Response:
        self.requests += 1
        if self.down:
            return json_response({"message": "Service unavailable"}, status=503)
        return json_response(completed(request.query["id"]))


async def test_outage_drains_the_budget_then_calls_fail_fast_and_successes_refill() -> None:
    outage = Outage()
    # Every retry waits 0.5 s (rand fixed near 1) and costs 5 of 10 tokens: the first call
    # retries twice, then finds the budget empty.
    budget = RetryBudget(capacity=10, retry_cost=5, refill=1)
    retry = RetryPolicy(attempts=5, backoff=Backoff(initial=0.5, cap=0.5))
    async with (
        serve(outage) as url,
        EnrowClient(
            "k",
            base_url=url,
            retry=retry,
            retry_budget=budget,
            rand=lambda: 0.999,
            poll_policy=QUICK,
        ) as client,
    ):
        assert client.retry_budget is budget
        start = time.monotonic()
        with pytest.raises(RetryBudgetExhaustedError, match="retry budget is spent") as info:
            await client.get_bulk_results("b1")
        assert 0.9 < time.monotonic() - start < 3.0
        assert outage.requests == 3
        assert budget.tokens == 0
        assert isinstance(info.value.__cause__, ServerError)
        assert "HTTP 503" in str(info.value)

        # Empty budget: every call, on any batch, now fails after its one request, with no
        # sleep (five tries would have slept about 2 s each).
        for batch_id in ("b2", "b3", "b4", "b5"):
            start = time.monotonic()
            with pytest.raises(RetryBudgetExhaustedError, match="retry budget is spent"):
                await client.get_bulk_results(batch_id)
            assert time.monotonic() - start < 0.25
        assert outage.requests == 7
        start = time.monotonic()
        with pytest.raises(RetryBudgetExhaustedError):
            await client.wait_for_batch("b6", timeout=10)
        assert time.monotonic() - start < 0.5  # the first poll, then no retry sleep
        assert outage.requests == 8

        # Recovery: each success gives back ``refill`` token(s).
        outage.down = False
        seen = []
        for i in range(6):
            batch = await client.get_bulk_results(f"ok{i}")
            assert batch.status is BatchStatus.COMPLETED
            seen.append(budget.tokens)
        assert seen == [1, 2, 3, 4, 5, 6]
        # A request that succeeds after a retry gives back what the retry cost.
        outage.down = True
        task = asyncio.ensure_future(client.get_bulk_results("flaky"))
        for _ in range(300):
            if outage.requests == 15:
                break
            await asyncio.sleep(0.01)
        assert budget.tokens == 1
        outage.down = False
        assert (await task).id == "flaky"
        assert budget.tokens == 6


async def test_simulator_outage_exhausts_the_default_budget() -> None:
    """The same with the simulator and the default budget: 5xx on every GET drains it."""
    async with EnrowSimulator(SimulatorConfig(seed=2)) as sim:
        ids = [sim.add_batch(SEARCHES, duration=0.0) for _ in range(40)]
        sim.inject("server_error", count=10_000, path=BULK, method="GET")
        fast = RetryPolicy(attempts=5, backoff=Backoff(initial=0.001, cap=0.002))
        async with EnrowClient(sim.api_key, base_url=sim.base_url, retry=fast) as client:
            outcomes: list[type[EnrowError]] = []
            for batch_id in ids:
                try:
                    await client.get_bulk_results(batch_id)
                except (ServerError, RetryBudgetExhaustedError) as exc:
                    outcomes.append(type(exc))
            assert client.retry_budget.tokens < client.retry_budget.retry_cost
            before = sim.stats.requests["GET", BULK]
            start = time.monotonic()
            with pytest.raises(RetryBudgetExhaustedError, match="retry budget is spent"):
                await client.get_bulk_results(ids[0])
            assert time.monotonic() - start < 0.25
            assert sim.stats.requests["GET", BULK] == before + 1
    # 500 tokens at 5 per retry: 25 calls of 4 retries each, then fail-fast.
    assert outcomes[:25] == [ServerError] * 25
    assert set(outcomes[25:]) == {RetryBudgetExhaustedError}


# -- bounded waits -----------------------------------------------------------------------------


@contextlib.asynccontextmanager
async def silent_server() -> AsyncIterator[str]:
    """Accepts connections and reads requests, never writes a byte back."""
    writers: list[asyncio.StreamWriter] = []

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        writers.append(writer)
        with contextlib.suppress(ConnectionError):
            while await reader.read(65536):
                pass
        writer.close()

    server = await asyncio.start_server(handle, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.close()
        for writer in writers:
            writer.close()
        await server.wait_closed()


@contextlib.asynccontextmanager
async def hanging(kind: str) -> AsyncIterator[tuple[str, str]]:
    """(base_url, batch_id) of a server whose GETs never get an answer."""
    if kind == "raw":
        async with silent_server() as url:
            yield url, "b1"
        return
    async with EnrowSimulator(SimulatorConfig(seed=5)) as sim:
        batch_id = sim.add_batch(SEARCHES, duration=0.0)
        sim.inject("hang", count=1000, path=BULK)
        yield sim.base_url, batch_id


@pytest.mark.parametrize("kind", ["simulator_hang", "raw"])
async def test_wait_is_bounded_by_its_timeout(kind: str) -> None:
    async with hanging(kind) as (url, batch_id):
        async with EnrowClient("sim-key", base_url=url) as client:
            start = time.monotonic()
            with pytest.raises(BatchTimeoutError) as info:
                await client.wait_for_batch(batch_id, timeout=1)
            elapsed = time.monotonic() - start
    assert 0.9 < elapsed < 1.5
    assert info.value.pending == {batch_id: None}


@pytest.mark.parametrize("kind", ["simulator_hang", "raw"])
async def test_single_read_is_bounded_by_read_timeout(kind: str) -> None:
    async with hanging(kind) as (url, batch_id):
        async with EnrowClient(
            "sim-key",
            base_url=url,
            read_timeout=0.3,
            retry=RetryPolicy(attempts=2, backoff=Backoff(initial=0.01, cap=0.01)),
        ) as client:
            start = time.monotonic()
            with pytest.raises(TransportError, match=r"[Tt]imeout") as info:
                await client.get_bulk_results(batch_id)
            elapsed = time.monotonic() - start
    assert 0.5 < elapsed < 1.5  # two tries of 0.3 s
    assert info.value.request_sent


async def test_a_hung_poll_is_cut_at_read_timeout_and_tried_again() -> None:
    async with EnrowSimulator(SimulatorConfig(seed=6)) as sim:
        batch_id = sim.add_batch(SEARCHES, duration=0.0)
        sim.inject("hang", count=1, path=BULK)
        async with EnrowClient(
            sim.api_key, base_url=sim.base_url, read_timeout=0.5, poll_policy=QUICK
        ) as client:
            batch = await client.wait_for_batch(batch_id, timeout=10)
        assert batch == structure(sim.completed_body(batch_id), BulkResults)
        assert sim.stats.faults["hang"] == 1
        assert sim.stats.requests["GET", BULK] == 2


async def test_hung_polls_are_retried_until_the_answer_comes() -> None:
    async with EnrowSimulator(SimulatorConfig(seed=6)) as sim:
        batch_id = sim.add_batch(SEARCHES, duration=0.0)
        sim.inject("hang", count=2, path=BULK)
        async with EnrowClient(
            sim.api_key, base_url=sim.base_url, read_timeout=0.5, poll_policy=QUICK
        ) as client:
            batch = await client.wait_for_batch(batch_id, timeout=10)
        assert batch.status is BatchStatus.COMPLETED
        assert sim.stats.faults["hang"] == 2
        assert sim.stats.requests["GET", BULK] == 3


# -- body size ---------------------------------------------------------------------------------


def gone(request: web.Request) -> bool:
    return request.transport is None or request.transport.is_closing()


class Firehose:
    """A 200 JSON answer far over the cap: declared up front, or chunked without end."""

    def __init__(self, *, chunked: bool) -> None:
        self.chunked = chunked
        self.written = 0
        self.done = asyncio.Event()

    async def __call__(self, request: web.Request) -> web.StreamResponse:
        response = web.StreamResponse(headers={"content-type": "application/json"})
        if self.chunked:
            response.enable_chunked_encoding()
        else:
            response.content_length = 1 << 30  # 1 GiB declared, never sent
        await response.prepare(request)
        chunk = b" " * 65536
        try:
            for _ in range(16384 if self.chunked else 1):  # up to 1 GiB
                if gone(request):
                    break
                await response.write(chunk)
                self.written += len(chunk)
                await asyncio.sleep(0)
            for _ in range(3000):  # hold the connection open until the client leaves
                if gone(request):
                    break
                await asyncio.sleep(0.01)
        except ConnectionError:
            pass
        finally:
            self.done.set()
        return response


@pytest.mark.parametrize("chunked", [False, True], ids=["content-length", "chunked"])
async def test_body_over_the_cap_is_refused_before_it_is_read(chunked: bool) -> None:
    firehose = Firehose(chunked=chunked)
    cap = 256 * 1024
    async with serve(firehose) as url:
        async with EnrowClient("k", base_url=url, max_response_bytes=cap) as client:
            start = time.monotonic()
            with pytest.raises(ResponseError, match="exceeds the 262144-byte cap") as info:
                await client.get_bulk_results("b1")
            elapsed = time.monotonic() - start
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(2):
                await firehose.done.wait()
    assert "max_response_bytes" in str(info.value)
    assert info.value.status == 200
    assert elapsed < 1.0
    # Refused at the header, or once the cap is passed: nowhere near the 1 GiB on offer.
    print(f"\n{'chunked' if chunked else 'content-length'}: server wrote {firehose.written} bytes")
    assert firehose.written < 16 * 1024 * 1024


async def test_default_cap_fits_a_full_batch() -> None:
    searches = [
        {
            "fullname": f"Person Number {i}",
            "company_domain": f"company{i % 97}.com",
            "custom": str(i),
        }
        for i in range(5000)
    ]
    async with EnrowSimulator(SimulatorConfig(seed=8, valid_rate=1.0)) as sim:
        batch_id = sim.add_batch(searches, duration=0.0, custom="a full batch")
        size = len(orjson.dumps(sim.completed_body(batch_id)))
        async with EnrowClient(sim.api_key, base_url=sim.base_url) as client:
            batch = await client.get_bulk_results(batch_id)
    assert len(batch.results) == 5000
    assert batch.results[-1].custom == "4999"
    assert 1_000_000 < size < DEFAULT_MAX_BODY


# -- broken answers ----------------------------------------------------------------------------

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
    hits = 0

    async def answer(request: web.Request) -> web.Response:
        nonlocal hits
        hits += 1
        return web.Response(status=status, body=body, content_type=content_type, headers=headers)

    async with serve(answer) as url, EnrowClient("k", base_url=url, poll_policy=QUICK) as client:
        with pytest.raises(error, match=message) as info:
            await client.get_bulk_results("b1")
        assert type(info.value) is error  # not a subclass standing in for it
        assert hits == 1  # a broken answer is reported, not retried
        with pytest.raises(error, match=message):
            await client.wait_for_batch("b1", timeout=5)
    if isinstance(info.value, ResponseError) and status == 200:
        assert info.value.body == body  # kept for debugging
    if isinstance(info.value, APIError):
        assert info.value.status == status


# -- the key's safety --------------------------------------------------------------------------

SECRET = "sk-live-0123456789abcdef-SECRET"


def all_text(exc: BaseException) -> str:
    """Everything an exception can show: str, repr and the whole chained traceback."""
    parts = ["".join(traceback.format_exception(exc))]
    seen: BaseException | None = exc
    while seen is not None:
        parts += [str(seen), repr(seen), repr(seen.args)]
        seen = seen.__cause__ or seen.__context__
    return "\n".join(parts)


async def test_key_is_redacted_everywhere(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG, logger="enrow_async")
    errors: list[BaseException] = []
    config = SimulatorConfig(api_key=SECRET, seed=9, duration=(0.2, 0.4))
    fast = RetryPolicy(attempts=8, backoff=Backoff(initial=0.01, cap=0.02))
    async with EnrowSimulator(config) as sim:
        async with EnrowClient(
            SECRET, base_url=sim.base_url, retry=fast, poll_policy=QUICK
        ) as client:
            assert SECRET not in repr(client)
            api_config = ApiConfig.create(SECRET, sim.base_url)
            assert SECRET not in repr(api_config)
            assert SECRET not in str(api_config)
            request = read_request(api_config, JobKind.EMAIL_BULK, BULK, "b1")
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
            sim.inject("drop", count=16, path=BULK)
            with pytest.raises(TransportError) as dropped:
                await client.get_bulk_results(job.id)
            errors.append(dropped.value)
            sim.inject("truncate", count=8, path=BULK)
            with pytest.raises(TransportError) as truncated:
                await client.get_bulk_results(job.id)
            errors.append(truncated.value)
            with pytest.raises(BatchTimeoutError) as late:
                await client.wait_for_batch(sim.add_batch(SEARCHES, duration=60), timeout=0.3)
            errors.append(late.value)
        # A wrong key is not echoed either (the server's message names neither key).
        wrong = SECRET[::-1]
        async with EnrowClient(wrong, base_url=sim.base_url) as client:
            with pytest.raises(APIError) as auth:
                await client.get_bulk_results(job.id)
            errors.append(auth.value)
    for error in errors:
        text = all_text(error)
        assert SECRET not in text, type(error)
        assert wrong not in text, type(error)
    assert any("retry" in r.getMessage() for r in caplog.records), "retries should be logged"
    assert caplog.records
    for record in caplog.records:
        assert SECRET not in record.getMessage()
    assert SECRET not in caplog.text
    assert wrong not in caplog.text


@contextlib.asynccontextmanager
async def raw_answer(payload: bytes) -> AsyncIterator[str]:
    """Answers every connection with ``payload`` (not necessarily HTTP), then closes it."""

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.read(65536)
        writer.write(payload)
        with contextlib.suppress(ConnectionError):
            await writer.drain()
        writer.close()

    server = await asyncio.start_server(handle, "127.0.0.1", 0)
    try:
        yield f"http://127.0.0.1:{server.sockets[0].getsockname()[1]}"
    finally:
        server.close()
        await server.wait_closed()


@pytest.mark.parametrize(
    "payload",
    [
        b"HELLO WORLD\r\n\r\n",
        b"HTTP/1.1 99999 Odd\r\n\r\n",
        b"HTTP/1.1 200 OK\r\nContent-Length: abc\r\n\r\n{}",
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nZZZ\r\n",
    ],
    ids=["not-http", "bad-status", "bad-length", "bad-chunk"],
)
async def test_key_is_redacted_from_aiohttp_errors_on_malformed_http(payload: bytes) -> None:
    """aiohttp's ClientResponseError keeps the request headers (x-api-key) in its
    ``request_info`` and ``args``: the chained cause must not show the key."""
    async with (
        raw_answer(payload) as url,
        EnrowClient(SECRET, base_url=url, retry=RetryPolicy(attempts=2)) as client,
    ):
        with pytest.raises(TransportError) as info:
            await client.get_bulk_results("b1")
    assert info.value.__cause__ is not None
    assert SECRET not in all_text(info.value)
    request_info = getattr(info.value.__cause__, "request_info", None)
    if request_info is not None:
        assert request_info.headers["x-api-key"] == "<redacted>"


@pytest.mark.parametrize(
    "url",
    [
        "http://api.enrow.io",
        "http://10.0.0.7:8080",
        "http://127.0.0.1.nip.io",
        "http://localhost.example.com",
        "HTTP://api.enrow.io/",
    ],
)
async def test_plain_http_to_a_remote_host_is_refused(url: str) -> None:
    with pytest.raises(ConfigurationError, match="plain-http") as info:
        EnrowClient(SECRET, base_url=url)
    assert SECRET not in str(info.value)
    client = EnrowClient(SECRET, base_url=url, allow_http=True)
    assert client.base_url.lower().startswith("http://")


@pytest.mark.parametrize(
    "url", ["http://127.0.0.1:8765", "http://localhost:1", "http://[::1]:80", "https://x.example"]
)
async def test_https_and_loopback_http_are_accepted(url: str) -> None:
    assert EnrowClient(SECRET, base_url=url).base_url == url


def can_bind(host: str) -> bool:
    try:
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
            sock.bind((host, 0))
    except OSError:
        return False
    return True


@pytest.mark.parametrize("status", [301, 302, 303, 307, 308])
async def test_redirect_is_refused_and_the_key_never_reaches_the_target(status: int) -> None:
    if not can_bind("127.0.0.2"):
        pytest.skip("this platform cannot bind 127.0.0.2 (no 127/8 loopback range)")
    seen: list[tuple[str, str, str | None]] = []

    async def target(request: web.Request) -> web.Response:
        seen.append((request.method, request.path_qs, request.headers.get("x-api-key")))
        return json_response(COMPLETED)

    async with serve(target, host="127.0.0.2") as other:

        async def redirect(request: web.Request) -> web.Response:
            return web.Response(status=status, headers={"Location": other + request.path_qs})

        async with (
            serve(redirect) as url,
            EnrowClient(SECRET, base_url=url, poll_policy=QUICK) as client,
        ):
            with pytest.raises(
                APIError, match=r"redirect to http://127\.0\.0\.2:\d+ refused"
            ) as info:
                await client.get_bulk_results("b1")
            assert info.value.status == status
            with pytest.raises(APIError, match="refused"):
                await client.wait_for_batch("b1", timeout=5)
            with pytest.raises(APIError, match="refused"):
                await client.start_bulk_search(SEARCHES)
    assert seen == []
    assert SECRET not in all_text(info.value)


WEIRD_IDS = ["a&id=b c/é?#", "x+y%20z", "../../account/info", "id=1;2", " spaced "]


@pytest.mark.parametrize("batch_id", WEIRD_IDS)
async def test_ids_reach_the_server_as_exactly_one_id(batch_id: str) -> None:
    seen: list[tuple[str, list[str]]] = []

    async def record(request: web.Request) -> web.Response:
        seen.append((request.path, request.query.getall("id", [])))
        return json_response(completed(request.query["id"]))

    async with serve(record) as url, EnrowClient("k", base_url=url, poll_policy=QUICK) as client:
        batch = await client.get_bulk_results(batch_id)
        waited = await client.wait_for_batch(batch_id, timeout=5)
    assert seen == [(BULK, [batch_id]), (BULK, [batch_id])]
    assert batch.id == waited.id == batch_id


async def test_weird_id_is_unknown_to_the_simulator_not_another_batch() -> None:
    async with EnrowSimulator(SimulatorConfig(seed=10)) as sim:
        real = sim.add_batch(SEARCHES, duration=0.0)
        async with EnrowClient(sim.api_key, base_url=sim.base_url) as client:
            assert (await client.get_bulk_results(real)).id == real
            for batch_id in (f"x&id={real}", f"{real}#", f"{real}?id={real}"):
                with pytest.raises(BatchNotFoundError):
                    await client.get_bulk_results(batch_id)
