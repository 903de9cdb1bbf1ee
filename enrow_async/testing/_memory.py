"""MemoryTransport: the client's Transport onto an EnrowSimulator, without sockets.

Each fault reaches the client as the aiohttp transport reports it over HTTP, since the
client's decisions (resend or not, outcome unknown) depend on it:

=================  ===============================================================
``drop``           TransportError, ``request_sent=True``: over HTTP the request was
                   written before the connection closed, so it may have been acted on
``drop_after``     the same (the API did act: the job exists)
``truncate``       TransportError ``truncated body`` (the API did act)
``hang``           held until the simulator closes (then as ``drop``), the caller is
                   cancelled (the client's per-attempt deadline), or the read timeout
                   passes, if one is set (TransportError)
``slow``           held ``slow_seconds`` of the event loop's clock, then answered
``drip``           one byte every ``drip_seconds``: the whole answer after them all, or
                   TransportError once a gap outlasts the read timeout
=================  ===============================================================

The read timeout is the request's own (``Request.read_timeout``, which a client sets on
its single calls) or the transport's ``read_timeout``, whichever is shorter: seconds
without a byte of the answer.

A simulator that is not running refuses the connection (``request_sent=False``), as does
a request for another ``base_url``. Unlike aiohttp, nothing is resent behind the caller's
back: aiohttp resends a GET once when a kept-alive connection drops, this transport never.
"""

from __future__ import annotations

import zlib

import anyio
import anyio.lowlevel
from multidict import CIMultiDict, CIMultiDictProxy

from .._core.http import Request, Response
from .._io.transport import DEFAULT_MAX_BODY, too_large
from ..errors import TransportError
from ._api import Answer, Dripped, Dropped, Truncated
from ._server import EnrowSimulator

__all__ = ["MemoryTransport"]


class MemoryTransport:
    """Sends each request straight into ``simulator``'s API, on the running event loop.

    ``read_timeout`` (seconds; ``None``, the default: none, like ``AiohttpTransport``,
    whose attempts the client's deadline bounds) is a transport's own limit on a silence,
    for every request, polls included; ``max_body`` means what it means for
    ``AiohttpTransport``. The simulator may be served over HTTP or not (``serve=False``).

    >>> async with EnrowSimulator(serve=False) as sim:  # doctest: +SKIP
    ...     transport = MemoryTransport(sim)
    ...     async with EnrowClient(sim.api_key, base_url=sim.base_url,
    ...                            transport=transport) as client:
    ...         batch = await client.wait_for_batch(sim.add_batch(searches))
    """

    def __init__(
        self,
        simulator: EnrowSimulator,
        *,
        read_timeout: float | None = None,
        max_body: int = DEFAULT_MAX_BODY,
    ) -> None:
        self._simulator = simulator
        self._read_timeout = read_timeout
        self._max_body = max_body

    def __repr__(self) -> str:
        return f"MemoryTransport({self._simulator!r})"

    async def aclose(self) -> None:
        """Nothing to release: the simulator is closed by its owner."""

    async def send(self, request: Request) -> Response:
        """One attempt: the simulator's whole answer, or TransportError / ResponseError."""
        where = f"{request.method} {request.path}"
        simulator = self._simulator
        if not simulator.running or request.base_url != simulator.base_url:
            target = simulator.base_url if simulator.running else "a closed simulator"
            raise TransportError(
                f"{where}: cannot connect to {request.base_url} (this MemoryTransport"
                f" reaches {target})",
                request_sent=False,
            )
        api = simulator._api
        silence = min(_or_inf(self._read_timeout), _or_inf(request.read_timeout))
        await anyio.lowlevel.checkpoint()  # the request travels
        with anyio.move_on_after(silence) as scope:
            arrival = api.arrive(request.method, request.path)
            await api.hold(arrival)
        if scope.cancelled_caught:
            raise _silent(where, silence)
        if arrival.refused:
            raise TransportError(f"{where}: cannot connect (refused)", request_sent=False)
        reply = api.respond(
            arrival,
            query=request.params,
            headers=CIMultiDict(request.headers),
            body=request.body or b"",
        )
        await anyio.lowlevel.checkpoint()  # the answer travels back
        if isinstance(reply, Dripped):  # one byte per interval: the whole of it, held
            if reply.interval > silence:
                await anyio.sleep(silence)
                raise _silent(where, silence)
            await anyio.sleep(reply.interval * len(reply.answer.body))
            reply = reply.answer
        match reply:
            case Answer(status, body, headers):
                wire = CIMultiDict(headers)
                if len(body) > self._max_body:
                    raise too_large(request, status, len(body), self._max_body)
                wire["Content-Length"] = str(len(body))
                if wire.get("Content-Encoding") == "gzip":  # aiohttp decodes, capped
                    body = self._gunzip(request, status, body)
                return Response(status, CIMultiDictProxy(wire), body)
            case Truncated(answer):
                whole = len(answer.body)
                raise TransportError(
                    f"{where}: truncated body (received {whole // 2} of {whole} bytes)"
                )
            case Dropped():
                raise TransportError(f"{where}: ServerDisconnectedError: Server disconnected")

    def _gunzip(self, request: Request, status: int, body: bytes) -> bytes:
        decoder = zlib.decompressobj(wbits=31)
        decoded = decoder.decompress(body, self._max_body + 1)
        if len(decoded) > self._max_body:
            raise too_large(request, status, len(decoded), self._max_body)
        return decoded


def _silent(where: str, silence: float) -> TransportError:
    return TransportError(
        f"{where}: no answer within the read timeout ({silence:g} s without a byte)"
    )


def _or_inf(seconds: float | None) -> float:
    return float("inf") if seconds is None else seconds
