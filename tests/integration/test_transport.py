"""AiohttpTransport over real HTTP on 127.0.0.1: what only a socket shows.

Body caps (declared and chunked), redirects never followed, the key kept out of aiohttp's own
errors on malformed HTTP, plain http refused, ids encoded as exactly one id, and answers that
never come bounded by the read timeout (a single call's silence), the per-attempt deadline
(``connect_timeout + read_timeout``: the sender's for a call, the scheduler's watchdog for a
poll) or the wait's deadline. The
servers are the simulator, a small ``aiohttp.web`` app, or a raw asyncio server when the
answer must be something no HTTP server sends. No assertion reads a wall clock: each test
checks what ended the wait (the error and its message) and what the server saw.
"""

from __future__ import annotations

import asyncio
import contextlib
import gzip
import logging
import socket
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import orjson
import pytest
from aiohttp import ClientSession, web
from helpers import BULK, COMPLETED, SEARCHES, Connect, Simulate, all_text

from enrow_async import (
    APIError,
    Backoff,
    BatchNotFoundError,
    BatchStatus,
    BatchTimeoutError,
    ConfigurationError,
    EnrowClient,
    OutcomeUnknownError,
    PollPolicy,
    ResponseError,
    RetryPolicy,
    TransportError,
)
from enrow_async._core.config import ApiConfig
from enrow_async._core.jobs import EMAIL_BULK
from enrow_async._core.requests import read_request
from enrow_async._io.transport import DEFAULT_MAX_BODY, AiohttpTransport
from enrow_async.testing import EnrowSimulator, SimulatorConfig

pytestmark = pytest.mark.anyio

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]

SECRET = "sk-live-0123456789abcdef-SECRET"
QUICK = PollPolicy(initial=0.01, min_interval=0.01, max_interval=0.1)
"""A first poll at once (the default waits about 1.5 s): for waits whose pace is not the point."""
TWO_TRIES = RetryPolicy(attempts=2, backoff=Backoff(initial=0.01, cap=0.01))


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


class RawServer:
    """A raw asyncio server on 127.0.0.1: ``answer(reader, writer)`` per connection.
    ``requests`` counts the connections that sent something."""

    def __init__(self, answer: Callable[[asyncio.StreamWriter], Awaitable[None]]) -> None:
        self._answer = answer
        self.requests = 0
        self._writers: list[asyncio.StreamWriter] = []
        self._server: asyncio.Server | None = None

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self._writers.append(writer)
        with contextlib.suppress(ConnectionError):
            if await reader.read(65536):
                self.requests += 1
                await self._answer(writer)
                while await reader.read(65536):  # hold the connection until the client leaves
                    pass
        writer.close()

    async def __aenter__(self) -> str:
        self._server = await asyncio.start_server(self._handle, "127.0.0.1", 0)
        return f"http://127.0.0.1:{self._server.sockets[0].getsockname()[1]}"

    async def __aexit__(self, *exc: object) -> None:
        assert self._server is not None
        self._server.close()
        for writer in self._writers:
            writer.close()
        await self._server.wait_closed()


def json_response(body: Any, status: int = 200) -> web.Response:
    return web.Response(status=status, body=orjson.dumps(body), content_type="application/json")


def completed(batch_id: str) -> dict[str, Any]:
    return {**COMPLETED, "general": {"id": batch_id, "status": "completed"}}


# -- body size ---------------------------------------------------------------------------------


def gone(request: web.Request) -> bool:
    return request.transport is None or request.transport.is_closing()


class Firehose:
    """A 200 JSON answer far over the cap: declared up front, or chunked without end."""

    def __init__(self, *, chunked: bool) -> None:
        self.chunked = chunked
        self.written = 0
        self.left = asyncio.Event()  # the client went away

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
        self.left.set()
        return response


@pytest.mark.parametrize("chunked", [False, True], ids=["content-length", "chunked"])
async def test_body_over_the_cap_is_refused_before_it_is_read(chunked: bool) -> None:
    firehose = Firehose(chunked=chunked)
    cap = 256 * 1024
    async with serve(firehose) as url:
        async with EnrowClient("k", base_url=url, max_response_bytes=cap) as client:
            with pytest.raises(ResponseError, match="exceeds the 262144-byte cap") as info:
                await client.get_bulk_results("b1")
        async with asyncio.timeout(5):  # a guard: the server sees the client leave
            await firehose.left.wait()
    assert "max_response_bytes" in str(info.value)
    assert info.value.status == 200
    # Refused at the header, or once the cap is passed: nowhere near the 1 GiB on offer.
    assert firehose.written < 16 * 1024 * 1024
    if not chunked:
        assert firehose.written <= 65536  # refused at the declared length


def pieces(body: bytes, *, gzipped: bool = False) -> Handler:
    """Answers ``body`` chunked, in 1 KiB pieces (gzip-encoded on the wire if asked)."""

    async def answer(request: web.Request) -> web.StreamResponse:
        headers = {"content-type": "application/json"}
        if gzipped:
            headers["content-encoding"] = "gzip"
        response = web.StreamResponse(headers=headers)
        response.enable_chunked_encoding()
        await response.prepare(request)
        wire = gzip.compress(body) if gzipped else body
        for start in range(0, len(wire), 1024):
            await response.write(wire[start : start + 1024])
        await response.write_eof()
        return response

    return answer


@pytest.mark.parametrize("gzipped", [False, True], ids=["plain", "gzip"])
async def test_a_chunked_answer_under_the_cap_is_read_whole(gzipped: bool) -> None:
    body = orjson.dumps(COMPLETED)
    async with (
        serve(pieces(body, gzipped=gzipped)) as url,
        AiohttpTransport(max_body=len(body)) as transport,
    ):
        request = read_request(ApiConfig.create("k", url), EMAIL_BULK, "b1")
        response = await transport.send(request)
    assert (response.status, response.body) == (200, body)


async def test_a_chunked_gzip_answer_is_capped_on_its_decoded_size() -> None:
    body = b" " * (4 << 20) + orjson.dumps(COMPLETED)  # 4 MiB decoded, a few KiB on the wire
    async with serve(pieces(body, gzipped=True)) as url:
        async with EnrowClient("k", base_url=url, max_response_bytes=256 * 1024) as client:
            with pytest.raises(ResponseError, match="exceeds the 262144-byte cap"):
                await client.get_bulk_results("b1")


async def test_a_gzip_answer_with_a_length_is_capped_on_its_decoded_size() -> None:
    body = b" " * (4 << 20) + orjson.dumps(COMPLETED)
    wire = gzip.compress(body)

    async def bomb(request: web.Request) -> web.Response:
        headers = {"content-encoding": "gzip", "content-type": "application/json"}
        return web.Response(body=wire, headers=headers)

    async with serve(bomb) as url:
        async with EnrowClient("k", base_url=url, max_response_bytes=256 * 1024) as client:
            with pytest.raises(ResponseError, match="exceeds the 262144-byte cap"):
                await client.get_bulk_results("b1")


async def test_default_cap_fits_a_full_batch(simulate: Simulate, connect: Connect) -> None:
    searches = [
        {
            "fullname": f"Person Number {i}",
            "company_domain": f"company{i % 97}.com",
            "custom": str(i),
        }
        for i in range(5000)
    ]
    async with simulate(SimulatorConfig(seed=8, valid_rate=1.0)) as sim:
        batch_id = sim.add_batch(searches, duration=0.0, custom="a full batch")
        size = len(orjson.dumps(sim.completed_body(batch_id)))
        async with connect(sim) as client:
            batch = await client.get_bulk_results(batch_id)
    assert len(batch.results) == 5000
    assert batch.results[-1].custom == "4999"
    assert 1_000_000 < size < DEFAULT_MAX_BODY


# -- answers that never come -------------------------------------------------------------------


async def silence(writer: asyncio.StreamWriter) -> None:
    """Read the request, never write a byte back."""


@pytest.fixture(params=["simulator_hang", "raw"])
async def hanging(request: pytest.FixtureRequest) -> AsyncIterator[tuple[str, Callable[[], int]]]:
    """(base_url, requests seen so far) of a server whose GETs never get an answer."""
    if request.param == "raw":
        raw = RawServer(silence)
        async with raw as url:
            yield url, lambda: raw.requests
        return
    async with EnrowSimulator(SimulatorConfig(seed=5)) as sim:
        sim.inject("hang", count=1000, path=BULK)
        yield sim.base_url, lambda: sim.stats.requests["GET", BULK]


@pytest.mark.parametrize("own_session", [False, True])
async def test_a_silent_read_is_ended_by_the_read_timeout(
    hanging: tuple[str, Callable[[], int]], own_session: bool
) -> None:
    """A single call's attempt gives up after ``read_timeout`` without a byte (aiohttp's
    ``sock_read``, also on a session of the caller's, whose timeouts set none)."""
    url, seen = hanging
    options: dict[str, Any] = {"connect_timeout": 5, "read_timeout": 0.1, "retry": TWO_TRIES}
    async with contextlib.AsyncExitStack() as stack:
        if own_session:
            session = await stack.enter_async_context(ClientSession())
            options["transport"] = AiohttpTransport(session=session)
        client = await stack.enter_async_context(EnrowClient("sim-key", base_url=url, **options))
        with pytest.raises(TransportError, match=r"read timeout \(0\.1 s without a byte\)") as info:
            await client.get_bulk_results("b1")
    assert info.value.request_sent
    assert seen() == 2  # each try cut, then tried once more


async def test_a_hung_poll_is_cut_by_the_watchdog_and_polled_again() -> None:
    async with EnrowSimulator(SimulatorConfig(seed=5)) as sim:
        batch_id = sim.add_batch(SEARCHES, duration=0.0)
        sim.inject("hang", count=2, path=BULK)
        options: dict[str, Any] = {"connect_timeout": 0.1, "read_timeout": 0.1}
        client = EnrowClient(sim.api_key, base_url=sim.base_url, poll_policy=QUICK, **options)
        async with client:
            batch = await client.wait_for_batch(batch_id, timeout=30)
    assert batch.status is BatchStatus.COMPLETED
    assert sim.stats.faults["hang"] == 2
    assert sim.stats.requests["GET", BULK] == 3  # two cut, the third answered


async def test_a_wait_is_ended_by_its_deadline(hanging: tuple[str, Callable[[], int]]) -> None:
    url, seen = hanging
    async with EnrowClient("sim-key", base_url=url, poll_policy=QUICK) as client:
        with pytest.raises(BatchTimeoutError) as info:  # the 70 s attempt deadline is far off
            await client.wait_for_batch("b1", timeout=0.3)
    assert info.value.pending == {"b1": None}
    assert seen() == 1  # the first poll, still waiting for its answer when the deadline came


async def drip(writer: asyncio.StreamWriter) -> None:
    """Headers at once, then one byte of the body every 20 ms: never a gap of a read timeout."""
    writer.write(
        b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 100000\r\n\r\n"
    )
    while not writer.is_closing():
        writer.write(b" ")
        await writer.drain()
        await asyncio.sleep(0.02)


async def test_a_dripping_answer_is_ended_by_the_attempt_deadline() -> None:
    raw = RawServer(drip)
    async with (
        raw as url,
        EnrowClient(
            "k", base_url=url, connect_timeout=0.1, read_timeout=0.2, retry=TWO_TRIES
        ) as client,
    ):
        with pytest.raises(TransportError, match=r"no complete answer within 0\.3 s") as info:
            async with asyncio.timeout(30):  # a guard: without the deadline, 2,000 s of drip
                await client.get_bulk_results("b1")
    assert info.value.request_sent
    assert raw.requests == 2


# -- the key's safety --------------------------------------------------------------------------


def answer_with(payload: bytes) -> Callable[[asyncio.StreamWriter], Awaitable[None]]:
    async def answer(writer: asyncio.StreamWriter) -> None:
        writer.write(payload)
        await writer.drain()
        writer.close()

    return answer


@pytest.mark.parametrize(
    "payload",
    [
        b"HELLO WORLD\r\n\r\n",
        b"HTTP/1.1 99999 Odd\r\n\r\n",
        b"HTTP/1.1 200 OK\r\nContent-Length: abc\r\n\r\n{}",
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nZZZ\r\n",
        f"HTTP/1.1 99999 {SECRET}\r\n\r\n".encode(),
        f"HTTP/1.1 200 OK\r\nContent-Length: {SECRET}\r\n\r\n{{}}".encode(),
    ],
    ids=["not-http", "bad-status", "bad-length", "bad-chunk", "echoed-status", "echoed-length"],
)
async def test_key_is_redacted_from_aiohttp_errors_on_malformed_http(payload: bytes) -> None:
    """aiohttp's ClientResponseError keeps the request headers (x-api-key) in its
    ``request_info`` and ``args``, and it and the parser's errors behind it quote the
    malformed line, where a server may echo the key: the chained causes must not show it."""
    raw = RawServer(answer_with(payload))
    async with (
        raw as url,
        EnrowClient(SECRET, base_url=url, retry=TWO_TRIES) as client,
    ):
        with pytest.raises(TransportError) as info:
            await client.get_bulk_results("b1")
    assert info.value.__cause__ is not None
    assert SECRET not in all_text(info.value)
    request_info = getattr(info.value.__cause__, "request_info", None)
    if request_info is not None:
        assert request_info.headers["x-api-key"] == "<redacted>"
    assert raw.requests >= 1


@pytest.mark.parametrize("own_session", [False, True])
async def test_a_key_the_server_puts_in_a_count_is_in_no_error(own_session: bool) -> None:
    """A completed answer whose ``stats.finished`` is the key (a string where a number is
    expected): the error that says so, its chain and its body show ``<redacted>``."""
    echoed: dict[str, Any] = {**COMPLETED, "stats": {**COMPLETED["stats"], "finished": SECRET}}

    async def echo(request: web.Request) -> web.Response:
        return json_response(echoed)

    async with contextlib.AsyncExitStack() as stack:
        url = await stack.enter_async_context(serve(echo))
        options: dict[str, Any] = {"retry": TWO_TRIES}
        if own_session:
            session = await stack.enter_async_context(ClientSession())
            options["transport"] = AiohttpTransport(session=session)
        client = await stack.enter_async_context(EnrowClient(SECRET, base_url=url, **options))
        with pytest.raises(ResponseError, match="got '<redacted>'") as info:
            await client.get_bulk_results("b1")
    assert SECRET not in all_text(info.value)
    assert SECRET[:12] not in all_text(info.value)
    assert SECRET.encode() not in info.value.body


async def test_key_is_redacted_from_every_transport_failure_over_http(
    simulate: Simulate, caplog: pytest.LogCaptureFixture
) -> None:
    """Dropped, cut and refused answers chain aiohttp's own exceptions; a hung one is cut
    by the client's own deadline. None shows the key."""
    caplog.set_level(logging.DEBUG, logger="enrow_async")
    errors: list[BaseException] = []
    async with simulate(SimulatorConfig(api_key=SECRET, seed=9)) as sim:
        batch_id = sim.add_batch(SEARCHES, duration=0.0)
        timeouts = {"connect_timeout": 0.1, "read_timeout": 0.1}
        client = EnrowClient(SECRET, base_url=sim.base_url, retry=TWO_TRIES, **timeouts)
        async with client:
            # aiohttp resends a GET once when a kept-alive connection drops: 2 per try.
            for kind, count in [("drop", 4), ("truncate", 2), ("hang", 2), ("server_error", 2)]:
                sim.inject(kind, count=count, path=BULK)  # type: ignore[arg-type]
                with pytest.raises((TransportError, APIError)) as info:
                    await client.get_bulk_results(batch_id)
                errors.append(info.value)
            with pytest.raises(OutcomeUnknownError) as unknown:
                sim.inject("drop_after", path=BULK, method="POST")
                await client.start_bulk_search(SEARCHES)
            errors.append(unknown.value)
        port = sim.base_url.rsplit(":", 1)[1]
    async with EnrowClient(SECRET, base_url=f"http://127.0.0.1:{port}", retry=TWO_TRIES) as client:
        with pytest.raises(TransportError, match="cannot connect") as refused:
            await client.get_bulk_results(batch_id)  # the simulator is gone
        errors.append(refused.value)
    assert [type(e.__cause__).__module__.split(".")[0] for e in errors[:2]] == ["aiohttp"] * 2
    assert "read timeout (0.1 s without a byte)" in str(errors[2])
    for error in errors:
        assert SECRET not in all_text(error), type(error)
    assert "retry" in caplog.text
    assert SECRET not in caplog.text


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
    redirected = 0

    async def target(request: web.Request) -> web.Response:
        seen.append((request.method, request.path_qs, request.headers.get("x-api-key")))
        return json_response(COMPLETED)

    async with serve(target, host="127.0.0.2") as other:

        async def redirect(request: web.Request) -> web.Response:
            nonlocal redirected
            redirected += 1
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
            with pytest.raises(OutcomeUnknownError, match=r"\(redirect to http://127\.0\.0\.2"):
                await client.start_bulk_search(SEARCHES)  # the batch may exist: not resent
    assert seen == []
    assert redirected == 3  # one answer each, none followed or retried
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


async def test_weird_id_is_unknown_to_the_simulator_not_another_batch(
    sim: EnrowSimulator, connect: Connect
) -> None:
    real = sim.add_batch(SEARCHES, duration=0.0)
    async with connect(sim) as client:
        assert (await client.get_bulk_results(real)).id == real
        for batch_id in (f"x&id={real}", f"{real}#", f"{real}?id={real}"):
            with pytest.raises(BatchNotFoundError):
                await client.get_bulk_results(batch_id)
