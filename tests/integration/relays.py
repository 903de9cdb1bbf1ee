"""Servers that stand between a client and the simulator, on 127.0.0.1, and count.

:class:`Relay` is a TCP relay (optionally terminating TLS, with a certificate of the test's
own authority) and :class:`Proxy` a small HTTP proxy (CONNECT tunnels and absolute-form
requests), for the transport tests that need real sockets: connections left behind,
certificate failures, proxies from the environment.
"""

from __future__ import annotations

import abc
import asyncio
import contextlib
import ssl
from urllib.parse import urlsplit


async def _pipe(src: asyncio.StreamReader, dst: asyncio.StreamWriter) -> None:
    with contextlib.suppress(ConnectionError):
        while data := await src.read(65536):
            dst.write(data)
            await dst.drain()


async def _close(*writers: asyncio.StreamWriter) -> None:
    for writer in writers:
        writer.close()
        # The other side may already be gone (or have refused the TLS handshake).
        with contextlib.suppress(ConnectionError, ssl.SSLError):
            await writer.wait_closed()


class _Server(abc.ABC):
    """An asyncio server on 127.0.0.1, port 0, whose handlers are cancelled at exit."""

    def __init__(self) -> None:
        self._server: asyncio.Server | None = None
        self._handlers: set[asyncio.Task[None]] = set()
        self.port = 0

    async def _start(self) -> None:
        self._server = await asyncio.start_server(self._accept, "127.0.0.1", 0)
        self.port = self._server.sockets[0].getsockname()[1]

    async def __aexit__(self, *exc: object) -> None:
        assert self._server is not None
        self._server.close()
        for task in self._handlers:
            task.cancel()
        await asyncio.gather(*self._handlers, return_exceptions=True)
        await self._server.wait_closed()

    async def _accept(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._handlers.add(task)
        try:
            await self._handle(reader, writer)
        finally:
            await _close(writer)
            self._handlers.discard(task)

    @abc.abstractmethod
    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        """Serve one accepted connection (closed afterwards)."""


class Relay(_Server):
    """A TCP relay on 127.0.0.1 in front of ``target`` (an ``http://host:port`` URL).

    ``open`` counts the client connections it holds to the server; ``waiting`` those whose
    client spoke last (a request not answered yet); ``accepted`` every connection accepted.
    With ``tls``, it speaks TLS to its clients with that context's certificate (``url`` is
    then ``https``) and plain HTTP to the server; a client that refuses the certificate is
    let go before anything is relayed.
    """

    def __init__(self, target: str, *, tls: ssl.SSLContext | None = None) -> None:
        super().__init__()
        parts = urlsplit(target)
        assert parts.hostname is not None
        assert parts.port is not None
        self._target = (parts.hostname, parts.port)
        self._tls = tls
        self._waiting: dict[asyncio.StreamWriter, bool] = {}
        self.accepted = 0
        self.url = ""

    @property
    def open(self) -> int:
        return len(self._waiting)

    @property
    def waiting(self) -> int:
        return sum(self._waiting.values())

    async def __aenter__(self) -> Relay:
        await self._start()
        self.url = f"{'https' if self._tls else 'http'}://127.0.0.1:{self.port}"
        return self

    async def _handle(self, client_r: asyncio.StreamReader, client_w: asyncio.StreamWriter) -> None:
        self.accepted += 1
        if self._tls is not None:
            try:
                await client_w.start_tls(self._tls)
            except (ssl.SSLError, ConnectionError):
                return  # the client refused the certificate: what the TLS tests provoke
        server_r, server_w = await asyncio.open_connection(*self._target)
        self._waiting[client_w] = False

        async def pipe(src: asyncio.StreamReader, dst: asyncio.StreamWriter, asks: bool) -> None:
            with contextlib.suppress(ConnectionError):
                while data := await src.read(65536):
                    self._waiting[client_w] = asks
                    dst.write(data)
                    await dst.drain()

        try:
            ups = asyncio.ensure_future(pipe(client_r, server_w, True))
            downs = asyncio.ensure_future(pipe(server_r, client_w, False))
            # Either side closing ends the connection, as a real server's close would.
            await asyncio.wait([ups, downs], return_when=asyncio.FIRST_COMPLETED)
            ups.cancel()
            downs.cancel()
            await asyncio.gather(ups, downs, return_exceptions=True)
        finally:
            del self._waiting[client_w]
            await _close(server_w)


class Proxy(_Server):
    """An HTTP proxy on 127.0.0.1 (``url``), as HTTPS_PROXY / HTTP_PROXY name one.

    A ``CONNECT host:port`` opens a tunnel to ``upstream`` whatever host it names (so a
    made-up host like ``enrow.test`` is reached through the proxy alone); an absolute-form
    request (``GET http://host:port/path``) is forwarded to the host it names, one request
    per connection. ``refuse`` answers every CONNECT with that status instead.
    ``tunnels`` and ``forwarded`` list what was carried (CONNECT targets, request lines);
    ``credentials`` the ``Proxy-Authorization`` header of each (``None`` if absent).
    """

    def __init__(self, upstream: tuple[str, int] | None = None, *, refuse: int | None = None):
        super().__init__()
        self._upstream = upstream
        self._refuse = refuse
        self.tunnels: list[str] = []
        self.forwarded: list[str] = []
        self.credentials: list[str | None] = []
        self.url = ""

    async def __aenter__(self) -> Proxy:
        await self._start()
        self.url = f"http://127.0.0.1:{self.port}"
        return self

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        head = await reader.readuntil(b"\r\n\r\n")
        line, *fields = head.decode("latin-1").split("\r\n")
        method, target, _ = line.split(" ", 2)
        headers = {
            name.strip().lower(): value.strip()
            for name, value in (field.split(":", 1) for field in fields if field)
        }
        self.credentials.append(headers.get("proxy-authorization"))
        if method == "CONNECT":
            self.tunnels.append(target)
            if self._refuse is not None:
                refusal = f"HTTP/1.1 {self._refuse} Refused\r\nContent-Length: 0\r\n\r\n"
                writer.write(refusal.encode())
                await writer.drain()
                return
            assert self._upstream is not None
            up_r, up_w = await asyncio.open_connection(*self._upstream)
            writer.write(b"HTTP/1.1 200 Connection established\r\n\r\n")
            ups = asyncio.ensure_future(_pipe(reader, up_w))
            try:
                await _pipe(up_r, writer)
            finally:
                ups.cancel()
                await asyncio.gather(ups, return_exceptions=True)
                await _close(up_w)
            return
        self.forwarded.append(line)
        body = await reader.readexactly(int(headers.get("content-length", "0")))
        url = urlsplit(target)
        assert url.hostname is not None
        up_r, up_w = await asyncio.open_connection(url.hostname, url.port)
        kept = [f for f in fields if f and not f.lower().startswith(("connection:", "proxy-"))]
        # Absolute-form, which HTTP/1.1 servers accept; one request per connection.
        up_w.write("\r\n".join([line, *kept, "Connection: close", "", ""]).encode("latin-1"))
        up_w.write(body)
        await up_w.drain()
        await _pipe(up_r, writer)
        await _close(up_w)
