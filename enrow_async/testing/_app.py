"""The aiohttp.web front-end: one handler putting the whole simulated API on HTTP.

It feeds each request to ``Api`` and carries the reply out on the wire: a whole
answer, an answer cut short, or a connection closed without one.
"""

from __future__ import annotations

import asyncio

from aiohttp import web
from multidict import CIMultiDict

from ._api import Answer, Api, Dripped, Dropped, Truncated

__all__ = ["web_application"]


def web_application(api: Api) -> web.Application:
    """An app answering every path through ``api``."""

    async def handle(request: web.Request) -> web.StreamResponse:
        arrival = api.arrive(request.method, request.path)
        await api.hold(arrival)
        body = await request.read()
        reply = api.respond(arrival, query=request.query, headers=request.headers, body=body)
        match reply:
            case Answer():
                return _response(reply)
            case Truncated(answer):
                return await _truncated(request, answer)
            case Dropped():
                return _drop(request)
            case Dripped(answer, interval):
                return await _dripped(request, answer, interval, api)

    app = web.Application(client_max_size=64 * 2**20)
    app.router.add_route("*", "/{path:.*}", handle)
    return app


def _response(answer: Answer) -> web.Response:
    return web.Response(status=answer.status, body=answer.body, headers=CIMultiDict(answer.headers))


def _drop(request: web.Request) -> web.Response:
    """Close the connection: the client sees it end without (the rest of) an answer."""
    if request.transport is not None:
        request.transport.close()
    return web.Response(status=500)  # never reaches the client


async def _dripped(
    request: web.Request, answer: Answer, interval: float, api: Api
) -> web.StreamResponse:
    """The answer one byte at a time, ``interval`` seconds apart (until the simulator stops)."""
    slow = web.StreamResponse(status=answer.status, headers=CIMultiDict(answer.headers))
    slow.content_length = len(answer.body)
    await slow.prepare(request)
    for i in range(len(answer.body)):
        await slow.write(answer.body[i : i + 1])
        if api.stopping.is_set():
            break
        await asyncio.sleep(interval)
    return slow


async def _truncated(request: web.Request, answer: Answer) -> web.StreamResponse:
    cut = web.StreamResponse(status=answer.status, headers=CIMultiDict(answer.headers))
    cut.content_length = len(answer.body)
    await cut.prepare(request)
    await cut.write(answer.body[: len(answer.body) // 2])
    _drop(request)
    return cut
