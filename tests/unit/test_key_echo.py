"""A server that puts the API key anywhere in an answer gets it into no text of ours.

The simulator (in memory, virtual clock) gives every answer shape, each kind of job started,
read while ongoing and once done, the account, and error bodies (400, 401, 402, 429, 500);
:class:`Planting` writes the request's own key into one place of that real answer, drawn by
hypothesis: any field, replaced (a string where a number is expected, an object, the whole
body) or written into, a new member's name, or a non-JSON page and its content type, spelled
as is, JSON-escaped (once or twice over) or percent-encoded. Whatever the call then gives, a
result or an error, neither it (``repr``, ``to_dict``; message, notes, ``repr``, attributes,
chained causes, traceback) nor a log record at DEBUG holds the key, whole or cut short. The
command line's ``results`` runs the same way, in process (``run_async``).
"""

from __future__ import annotations

import functools
import io
import logging
import traceback
from collections.abc import Awaitable, Callable
from typing import Any

import anyio
import attrs
import orjson
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from enrow_async import EnrowClient, PollPolicy, RetryPolicy, to_dict
from enrow_async._core.http import Request, Response
from enrow_async.cli import run_async
from enrow_async.testing import EnrowSimulator, MemoryTransport, SimulatorConfig

from .spelling import spelled

pytestmark = pytest.mark.anyio

KEY = "sk-live/0123456789+abcdef_SECRET"
"""A ``/`` and a ``+``: spelled ``\\/`` in some JSON, ``%2F`` and ``%2B`` in URLs."""
OTHER = "sk-live-9876543210-NOT_THIS_ACCOUNT"
"""A key the simulator refuses (401)."""
MARK = "@@planted@@"
DURATION = 5.0
SEARCHES = [{"fullname": "Jim Halpert", "company_domain": "dundermifflin.com"}]
FAST = PollPolicy(initial=0.05, min_interval=0.05, max_interval=0.5)
EXAMPLES = settings(max_examples=300, suppress_health_check=[HealthCheck.function_scoped_fixture])


# -- where and how the key is planted --------------------------------------------------------


def places(node: Any, at: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """The path of ``node`` and of everything inside it."""
    found = [at]
    if isinstance(node, dict):
        for name, value in node.items():
            found += places(value, (*at, name))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            found += places(value, (*at, index))
    return found


def plant(body: Any, at: tuple[Any, ...], how: str) -> Any:
    """``body`` with ``MARK`` at ``at``: in place of the value, written into a string, or
    as the name (and value) of a new member of an object."""

    def planted(node: Any) -> Any:
        if how == "inside" and isinstance(node, str):
            return f"{node} ({MARK})"
        if how == "member" and isinstance(node, dict):
            return {**node, MARK: MARK}
        return MARK

    if not at:
        return planted(body)
    parent = body
    for step in at[:-1]:
        parent = parent[step]
    parent[at[-1]] = planted(parent[at[-1]])
    return body


class Planting(MemoryTransport):
    """The simulator's own answers, with the request's key planted into the next answer to
    ``arm``'s method and path at a place, in a way and a spelling drawn from ``data``."""

    def __init__(self, simulator: EnrowSimulator, data: st.DataObject) -> None:
        super().__init__(simulator)
        self._data = data
        self._target: tuple[str, str] | None = None
        self.spellings: list[str] = []

    def arm(self, method: str, path: str) -> None:
        self._target = (method, path)

    async def send(self, request: Request) -> Response:
        response = await super().send(request)
        if self._target != (request.method, request.path):
            return response
        self._target = None
        draw = self._data.draw
        key = request.headers["x-api-key"]
        as_is = draw(st.booleans(), label="as is")
        spelling = key if as_is else draw(spelled(key), label="spelling")
        self.spellings.append(spelling)
        if draw(st.integers(0, 4), label="a page instead of JSON") == 0:
            page = f"<html><p>bad key {spelling}</p></html>".encode()
            return Response(502, {"content-type": f"text/html; key={spelling}"}, page)
        body = orjson.loads(response.body)
        at = draw(st.sampled_from(places(body)), label="at")
        how = draw(st.sampled_from(["replace", "inside", "member"]), label="how")
        raw = orjson.dumps(plant(body, at, how)).replace(MARK.encode(), spelling.encode())
        return Response(response.status, response.headers, raw)


# -- what a call gives, and what it must not show ---------------------------------------------


def chain(error: BaseException) -> list[BaseException]:
    seen: list[BaseException] = []
    at: BaseException | None = error
    while at is not None and at not in seen:
        seen.append(at)
        at = at.__cause__ or at.__context__
    return seen


def shown(outcome: object) -> str:
    """Every text a user may print of a result or an error (and its chain)."""
    if not isinstance(outcome, BaseException):
        return f"{outcome!r} {orjson.dumps(to_dict(outcome)).decode()}"
    parts = ["".join(traceback.format_exception(outcome))]
    for error in chain(outcome):
        fields = {name: value for name, value in vars(error).items() if name != "__notes__"}
        parts += [str(error), repr(error), repr(error.args), repr(fields)]
        parts += getattr(error, "__notes__", [])
    return "\n".join(parts)


def assert_clean(text: str, key: str, spellings: list[str]) -> None:
    """Neither ``key`` (nor 12 characters of it in a row: a key cut short) nor any
    spelling of it that was planted is in ``text``."""
    for spelling in spellings:
        assert spelling not in text
    for start in range(len(key) - 11):
        assert key[start : start + 12] not in text, key[start : start + 12]


def log_text(caplog: pytest.LogCaptureFixture) -> str:
    return caplog.text + "".join(repr(vars(record)) for record in caplog.records)


# -- the answer shapes -----------------------------------------------------------------------

Call = Callable[[EnrowClient], Awaitable[Any]]

STARTS: dict[str, tuple[str, Call]] = {
    "email bulk": ("/email/find/bulk", lambda c: c.email.bulk.start(SEARCHES)),
    "email single": (
        "/email/find/single",
        lambda c: c.email.single.start(
            {"fullname": "Jim Halpert", "company_domain": "dundermifflin.com"}
        ),
    ),
    "verify bulk": ("/email/verify/bulk", lambda c: c.verify.bulk.start(["jim@dunder.com"])),
    "verify single": ("/email/verify/single", lambda c: c.verify.single.start("jim@dunder.com")),
    "phone bulk": (
        "/phone/bulk",
        lambda c: c.phone.bulk.start([{"linkedin_url": "https://www.linkedin.com/in/jim"}]),
    ),
    "phone single": (
        "/phone/single",
        lambda c: c.phone.single.start({"linkedin_url": "https://www.linkedin.com/in/jim"}),
    ),
}
READS: dict[str, Callable[[EnrowClient, str], Awaitable[Any]]] = {
    "email bulk": lambda c, i: c.email.bulk.get(i),
    "email single": lambda c, i: c.email.single.get(i),
    "verify bulk": lambda c, i: c.verify.bulk.get(i),
    "verify single": lambda c, i: c.verify.single.get(i),
    "phone bulk": lambda c, i: c.phone.bulk.get(i),
    "phone single": lambda c, i: c.phone.single.get(i),
}


@attrs.frozen
class Shape:
    """One answer shape: the simulator it needs, the request whose answer gets the key, and
    the call (after ``setup``, which is answered clean) that reads it."""

    method: str
    path: str
    call: Callable[[EnrowClient, Any], Awaitable[Any]]
    setup: Call | None = None
    config: dict[str, Any] = attrs.field(factory=dict)
    key: str = KEY
    inject: tuple[str, int] | None = None


def _shapes() -> dict[str, Shape]:
    shapes: dict[str, Shape] = {}
    for kind, (path, start) in STARTS.items():
        read = READS[kind]

        async def started(client: EnrowClient, *, start: Call = start, wait: float) -> str:
            job = await start(client)
            await anyio.sleep(wait)
            return str(job.id)

        shapes[f"{kind}: start"] = Shape("POST", path, lambda c, _, s=start: s(c))
        for state, wait in (("ongoing", 0.0), ("done", DURATION + 1)):
            shapes[f"{kind}: {state}"] = Shape(
                "GET",
                path,
                lambda c, job_id, r=read: r(c, job_id),
                setup=functools.partial(started, wait=wait),
            )
    bulk = "/email/find/bulk"
    shapes["account"] = Shape("GET", "/account/info", lambda c, _: c.account.info())
    shapes["400 unknown id"] = Shape("GET", bulk, lambda c, _: c.email.bulk.get("no-such-id"))
    shapes["500 unknown single id"] = Shape(
        "GET", "/email/find/single", lambda c, _: c.email.single.get("no-such-id")
    )
    shapes["401"] = Shape("GET", "/account/info", lambda c, _: c.account.info(), key=OTHER)
    shapes["402"] = Shape(
        "POST", bulk, lambda c, _: c.email.bulk.start(SEARCHES), config={"credits": 0}
    )
    shapes["429"] = Shape(
        "GET", "/account/info", lambda c, _: c.account.info(), inject=("rate_limited", 10)
    )
    shapes["500"] = Shape(
        "GET", "/account/info", lambda c, _: c.account.info(), inject=("server_error", 10)
    )
    return shapes


SHAPES = _shapes()
BULK_READS = ["email bulk: ongoing", "email bulk: done", "400 unknown id"]


async def run_shape(
    shape: Shape, data: st.DataObject, use: Callable[[EnrowClient, Planting, Any], Awaitable[Any]]
) -> tuple[object, Planting]:
    """Run ``shape`` on a new simulator; ``use(client, transport, setup's value)`` makes
    the call. Returns what it gave (its value, or the error it raised)."""
    config = SimulatorConfig(api_key=KEY, duration=DURATION, seed=3, **shape.config)
    async with EnrowSimulator(config, serve=False) as sim:
        transport = Planting(sim, data)
        polls = attrs.evolve(FAST, rand=lambda: 0.5)
        options = {"transport": transport, "poll_policy": polls}
        retry = RetryPolicy(attempts=3, rand=lambda: 0.5)
        async with EnrowClient(shape.key, base_url=sim.base_url, retry=retry, **options) as client:
            prepared = None if shape.setup is None else await shape.setup(client)
            if shape.inject is not None:
                fault, count = shape.inject
                sim.inject(fault, count=count, path=shape.path)
            transport.arm(shape.method, shape.path)
            try:
                outcome: object = await use(client, transport, prepared)
            except Exception as error:
                outcome = error
    return outcome, transport


@EXAMPLES
@given(data=st.data(), name=st.sampled_from(sorted(SHAPES)))
async def test_a_key_planted_in_any_answer_reaches_no_text(
    data: st.DataObject, name: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.clear()
    caplog.set_level(logging.DEBUG, logger="enrow_async")
    shape = SHAPES[name]
    outcome, transport = await run_shape(
        shape, data, lambda client, _, prepared: shape.call(client, prepared)
    )
    assert transport.spellings, "the key was planted"
    assert_clean(shown(outcome), shape.key, transport.spellings)
    assert_clean(log_text(caplog), shape.key, transport.spellings)


@EXAMPLES
@given(data=st.data(), name=st.sampled_from(BULK_READS), debug=st.sampled_from([[], ["--debug"]]))
async def test_a_key_planted_in_a_batch_answer_is_not_printed_by_results(
    data: st.DataObject,
    name: str,
    debug: list[str],
    caplog: pytest.LogCaptureFixture,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    caplog.clear()
    monkeypatch.setenv("ENROW_API_KEY", KEY)
    shape = SHAPES[name]

    async def results(client: EnrowClient, transport: Planting, batch_id: str | None) -> int:
        def connect(*args: Any, **options: Any) -> EnrowClient:
            return EnrowClient(*args, **{**options, "transport": transport, "poll_policy": FAST})

        argv = ["results", batch_id or "no-such-id", "--base-url", client.base_url, *debug]
        streams = (io.StringIO(), io.StringIO())
        code = await run_async(argv, stdout=streams[0], stderr=streams[1], client=connect)
        printed.append(streams[0].getvalue() + streams[1].getvalue())
        return code

    printed: list[str] = []
    code, transport = await run_shape(shape, data, results)
    assert code in (0, 1)
    assert printed[0].strip(), "the command printed its results or its error"
    assert transport.spellings, "the key was planted"
    assert_clean(printed[0], KEY, transport.spellings)
    assert_clean(log_text(caplog), KEY, transport.spellings)
