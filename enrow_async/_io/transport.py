"""The transport seam, and the aiohttp transport: the only module that touches sockets.

A ``Transport`` makes one attempt of one request: ``send(Request) -> Response``, whole
body read, no retries, no redirects. Connection-level failures raise
[TransportError][enrow_async.TransportError]; those that retrying cannot fix (a refused
certificate, a proxy refusing the tunnel) raise its final subclasses
[TLSError][enrow_async.TLSError] and [ProxyError][enrow_async.ProxyError].
``enrow_async.testing.MemoryTransport`` is the in-memory one, onto the simulator.
"""

from __future__ import annotations

from typing import Protocol, TypeVar

import aiohttp
import attrs
from multidict import CIMultiDict, CIMultiDictProxy
from yarl import URL

from .._core.http import Request, Response
from .._core.redact import REDACTED, redact
from ..errors import ProxyError, ResponseError, TLSError, TransportError

__all__ = [
    "DEFAULT_MAX_BODY",
    "AiohttpTransport",
    "Transport",
    "too_large",
]

DEFAULT_MAX_BODY = 32 * 1024 * 1024
"""32 MiB: a completed 5,000-result batch is about 2-3 MiB on the wire."""

E = TypeVar("E", bound=BaseException)


class Transport(Protocol):
    """Sends one request once. Implementations: AiohttpTransport, testing.MemoryTransport."""

    async def send(self, request: Request) -> Response:
        """One attempt: the whole answer, or TransportError (``request_sent`` says whether
        the request may have reached the server)."""
        ...

    async def aclose(self) -> None:
        """Release connections; the transport is not used afterwards."""
        ...


class AiohttpTransport:
    """Sends requests over one long-lived ``aiohttp.ClientSession``: pass it to
    ``EnrowClient(transport=...)`` to use a session of your own (your trusted authorities,
    say) or to tune the transport.

    A caller-owned ``session`` is used as is and never closed here. Otherwise the transport
    creates its session with a bounded connector and a connect timeout only: the deadline
    of a whole attempt is the sender's (``timeout``, never past a call's deadline), so no
    read timer is armed, and re-armed at every chunk, on a poll. Only a request that
    carries a ``read_timeout`` (a single call's) gets one (``sock_read``).
    ``proxy`` (an ``http://[user:password@]host:port`` URL) carries every request, through
    a CONNECT tunnel for ``https``; the session's own settings are not read for it.
    """

    def __init__(
        self,
        *,
        session: aiohttp.ClientSession | None = None,
        max_connections: int = 100,
        connect_timeout: float = 10.0,
        max_body: int = DEFAULT_MAX_BODY,
        read_bufsize: int = 2**18,
        proxy: str | None = None,
    ) -> None:
        self._session = session
        self._proxy = None if proxy is None else URL(proxy)
        self._owns_session = session is None
        self._max_connections = max_connections
        # One timeout object for every request; reads are bounded by the caller's deadline.
        self._timeout = aiohttp.ClientTimeout(
            total=None, connect=connect_timeout, sock_connect=connect_timeout, sock_read=None
        )
        self._max_body = max_body
        self._read_bufsize = read_bufsize

    async def __aenter__(self) -> AiohttpTransport:
        self.open()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()

    def open(self) -> None:
        if self._session is None:
            connector = aiohttp.TCPConnector(
                limit=self._max_connections, enable_cleanup_closed=False
            )
            self._session = aiohttp.ClientSession(
                connector=connector,
                timeout=self._timeout,
                read_bufsize=self._read_bufsize,
                auto_decompress=True,
                trust_env=False,
            )

    async def aclose(self) -> None:
        session, self._session = self._session, None
        if session is not None and self._owns_session:
            await session.close()

    @property
    def session(self) -> aiohttp.ClientSession:
        """The session requests go through, created on first use (inside the event loop)."""
        self.open()
        assert self._session is not None
        return self._session

    async def send(self, request: Request) -> Response:
        """One attempt; raises TransportError or ResponseError (body over the cap). A
        request's ``read_timeout`` (a single call's) becomes aiohttp's ``sock_read``."""
        session = self.session
        silence = request.read_timeout
        timeout = session.timeout
        if silence is not None:
            timeout = attrs.evolve(timeout, sock_read=silence)
        try:
            async with session.request(
                request.method,
                request.url,
                headers=request.headers,
                data=request.body,
                allow_redirects=False,
                proxy=self._proxy,
                timeout=timeout,
            ) as resp:
                length = resp.content_length
                if length is not None and length > self._max_body:
                    raise too_large(request, resp.status, length, self._max_body)
                body = await self._read(resp, request)
                return Response(resp.status, resp.headers, body)
        except (aiohttp.ClientError, TimeoutError) as exc:
            cause = _redacted(exc, request)
            raise _failure(cause, request) from cause

    async def _read(self, resp: aiohttp.ClientResponse, request: Request) -> bytes:
        """The whole body, capped at ``max_body`` bytes as decoded: a compressed body is
        read chunk by chunk, whatever its Content-Length says (a gzip bomb is small)."""
        encoding = resp.headers.get("content-encoding", "identity").strip().lower()
        if resp.content_length is not None and encoding in ("", "identity"):
            return await resp.read()
        chunks: list[bytes] = []
        size = 0
        async for chunk in resp.content.iter_any():
            size += len(chunk)
            if size > self._max_body:
                raise too_large(request, resp.status, size, self._max_body)
            chunks.append(chunk)
        return b"".join(chunks)


def _failure(exc: aiohttp.ClientError | TimeoutError, request: Request) -> TransportError:
    """aiohttp's failure (the key already blanked in it) as ours."""
    where = f"{request.method} {request.path}"
    if isinstance(exc, aiohttp.ClientConnectorCertificateError):
        reason = exc.certificate_error
        cause = getattr(reason, "verify_message", None) or str(reason)
        return TLSError(
            f"{where}: the TLS certificate of {exc.host}:{exc.port} is refused ({cause});"
            " retrying cannot fix this: check base_url, or trust the authority that signed it"
            " (AiohttpTransport(session=...))",
            request_sent=False,
        )
    if isinstance(exc, aiohttp.ClientConnectorSSLError):
        # A handshake refused by the server's TLS (a connection dropped during the
        # handshake is a ConnectionResetError: a transient failure, below).
        return TLSError(
            f"{where}: no TLS connection to {exc.host}:{exc.port} ({exc.os_error}); retrying"
            " cannot fix this: does the server speak https on that port?",
            request_sent=False,
        )
    if isinstance(exc, aiohttp.ClientHttpProxyError):
        said = f"{exc.status} {exc.message}"
        if exc.status >= 500:  # the proxy cannot reach the API: an outage
            return TransportError(f"{where}: the proxy answered {said}", request_sent=False)
        return ProxyError(
            f"{where}: the proxy refused the tunnel to {request.base_url}: {said}; retrying"
            " cannot fix this: check HTTPS_PROXY and NO_PROXY (or pass trust_env=False)",
            status=exc.status,
        )
    if isinstance(exc, aiohttp.ClientPayloadError):
        return TransportError(f"{where}: truncated body ({exc})")
    if isinstance(exc, aiohttp.ClientConnectorError | aiohttp.ConnectionTimeoutError):
        to = f" to {exc.host}:{exc.port}" if isinstance(exc, aiohttp.ClientConnectorError) else ""
        return TransportError(f"{where}: cannot connect{to}", request_sent=False)
    if isinstance(exc, TimeoutError):  # the read timeout, or a caller-owned session's own
        limit = "the session's timeout"
        if request.read_timeout is not None and isinstance(exc, aiohttp.SocketTimeoutError):
            limit = f"the read timeout ({request.read_timeout:g} s without a byte)"
        return TransportError(f"{where}: no answer within {limit}")
    return TransportError(f"{where}: {type(exc).__name__}: {exc}")


def _redacted(exc: E, request: Request) -> E:
    """Blank the API key in what aiohttp keeps of the request and of the answer, along the
    whole chain, before the error is chained to ours.

    ``ClientResponseError`` (e.g. a malformed status line or header) holds the request's
    headers in ``request_info`` and ``args``, so its repr would show ``x-api-key``; it and
    the parser's errors behind it quote the malformed line in ``message``, where a server
    may have put the key.
    """
    seen: list[BaseException] = []
    at: BaseException | None = exc
    while at is not None and at not in seen:
        seen.append(at)
        if isinstance(at, aiohttp.ClientResponseError) and "x-api-key" in at.request_info.headers:
            info = at.request_info
            headers = CIMultiDict(info.headers)
            headers["x-api-key"] = REDACTED
            safe = aiohttp.RequestInfo(
                info.url, info.method, CIMultiDictProxy(headers), info.real_url
            )
            at.request_info = safe
            at.args = tuple(safe if arg is info else arg for arg in at.args)
        message = getattr(at, "message", None)
        if isinstance(message, str):
            at.message = redact(message, request)  # type: ignore[attr-defined]
        at.args = tuple(redact(arg, request) if isinstance(arg, str) else arg for arg in at.args)
        at = at.__cause__ or at.__context__
    return exc


def too_large(request: Request, status: int, size: int, cap: int) -> ResponseError:
    """A body of ``size`` bytes or more is over the ``cap``: refused before it is read."""
    return ResponseError(
        f"{request.method} {request.path}: body of {size} bytes or more exceeds the"
        f" {cap}-byte cap (raise max_response_bytes if this is expected)",
        status=status,
    )
