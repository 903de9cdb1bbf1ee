"""Receive Enrow webhooks with aiohttp.web and hand each event to whoever waits for its id.

>>> async with WebhookReceiver(secret=WebhookReceiver.new_secret()) as hooks:  # doctest: +SKIP
...     job = await client.start_bulk_search(searches, webhook=hooks.url)
...     await hooks.wait(job.id, timeout=3600)
...     batch = await client.get_bulk_results(job.id)

Standalone, it listens on ``host:port`` (port 0 picks a free one); or
[mount][enrow_async.WebhookReceiver.mount] adds its route to your own
``aiohttp.web.Application``. Every request is answered at once: 200 for an event (even one
nobody waits for), 400 for a body that is not a documented event or larger than
``max_body``, 404 when ``secret`` is set and the path lacks it. Subscriber callbacks are
synchronous and run inside the request handler, so keep them cheap; the last ``remember``
events are kept so a subscriber that comes late still gets its event at once. Not
thread-safe: use it from the event loop it runs on.
"""

from __future__ import annotations

import hmac
import inspect
import itertools
import logging
import re
import secrets
from collections import OrderedDict
from collections.abc import Callable
from typing import Self

import anyio
from aiohttp import web

from ..errors import ConfigurationError, WebhookPayloadError
from ..models import WebhookEvent
from .events import parse_webhook

__all__ = ["WebhookCallback", "WebhookReceiver"]

WebhookCallback = Callable[[WebhookEvent], object]
"""A synchronous callable taking the event; its return value is ignored."""

logger: logging.Logger = logging.getLogger("enrow_async.webhooks")

_NOT_FOUND = "404: Not Found"
_SECRET_RE = re.compile(r"[A-Za-z0-9._~-]{1,256}")
_PATH_RE = re.compile(r"(/[A-Za-z0-9._~-]+)+")


class WebhookReceiver:
    """An HTTP endpoint for Enrow webhooks that dispatches events by job id.

    ``path`` is where events are POSTed; with a ``secret`` the URL becomes
    ``{path}/{secret}`` and any other path is answered 404. ``public_url`` is the
    externally reachable origin (e.g. ``https://hooks.example.com``) under which ``path``
    is served, for a mounted receiver or one behind a proxy or tunnel.
    """

    def __init__(
        self,
        host: str = "127.0.0.1",
        port: int = 0,
        *,
        path: str = "/enrow/webhook",
        secret: str | None = None,
        max_body: int = 64 * 1024,
        public_url: str | None = None,
        remember: int = 1000,
        read_timeout: float = 10.0,
    ) -> None:
        if not _PATH_RE.fullmatch(path):
            raise ValueError(f"path must look like '/enrow/webhook', got {path!r}")
        if secret is not None and not _SECRET_RE.fullmatch(secret):
            raise ValueError("secret must be 1-256 URL-safe characters (A-Z a-z 0-9 . _ ~ -)")
        if max_body < 1 or remember < 0:
            raise ValueError("max_body must be positive and remember not negative")
        if not 0 < read_timeout < float("inf"):
            raise ValueError(f"read_timeout must be finite and > 0 seconds, got {read_timeout!r}")
        if public_url is not None and not public_url.startswith(("https://", "http://")):
            raise ValueError("public_url must start with https:// (or http://)")
        self.host = host
        self.port: int = port
        self.path = path
        self.max_body = max_body
        self.read_timeout = read_timeout
        self.remember = remember
        self.events_received: int = 0
        """Valid events accepted (answered 200), including those nobody waited for."""
        self.ignored: int = 0
        """Accepted events whose id had no subscriber when they arrived."""
        self.rejected: int = 0
        """Requests answered 400 (bad or oversized body), 404 (wrong or missing secret) or
        408 (a body slower than ``read_timeout``); each is logged at DEBUG only."""
        self._secret = secret
        self._public_url = public_url.rstrip("/") if public_url else None
        self._subscribers: dict[str, dict[int, WebhookCallback]] = {}
        self._recent: OrderedDict[str, WebhookEvent] = OrderedDict()
        self._keys = itertools.count()
        self._mounted = False
        self._runner: web.AppRunner | None = None

    def __repr__(self) -> str:  # never shows the secret
        return (
            f"<WebhookReceiver path={self.path!r} secret={'set' if self._secret else 'none'}"
            f" received={self.events_received} rejected={self.rejected}>"
        )

    @staticmethod
    def new_secret() -> str:
        """A fresh random URL-safe token to use as ``secret``."""
        return secrets.token_urlsafe(24)

    @property
    def url(self) -> str:
        """The full URL to give Enrow as ``settings.webhook`` (contains the secret)."""
        route = self.path + (f"/{self._secret}" if self._secret else "")
        if self._public_url is not None:
            return self._public_url + route
        if self._runner is None:
            if self._mounted:
                raise ConfigurationError(
                    "the URL of a mounted WebhookReceiver is unknown: pass public_url="
                )
            raise RuntimeError("WebhookReceiver is not started: use 'async with' first")
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}{route}"

    @property
    def subscription_count(self) -> int:
        """How many subscriptions are active, over all ids."""
        return sum(map(len, self._subscribers.values()))

    def mount(self, app: web.Application) -> None:
        """Add this receiver's POST route(s) to ``app`` (before the app is started).

        The app's access log records request paths, secret included: run it with
        ``access_log=None`` or a logger that hides the path.
        """
        if self._mounted:
            raise RuntimeError("this WebhookReceiver is already mounted")
        app.router.add_post(self.path, self._handle)
        if self._secret is not None:
            app.router.add_post(self.path + "/{token}", self._handle)
        self._mounted = True

    async def start(self) -> None:
        """Listen on ``host:port``; ``port`` then holds the port actually bound."""
        if self._mounted:
            raise RuntimeError("a mounted WebhookReceiver is served by its app; do not start it")
        app = web.Application()
        self.mount(app)
        runner = web.AppRunner(app, access_log=None, shutdown_timeout=5.0)
        await runner.setup()
        try:
            site = web.TCPSite(runner, self.host, self.port)
            await site.start()
        except BaseException:
            await runner.cleanup()
            self._mounted = False
            raise
        self.port = runner.addresses[0][1]
        self._runner = runner

    async def close(self) -> None:
        """Stop listening; idempotent. Subscriptions and remembered events are kept."""
        runner, self._runner = self._runner, None
        if runner is not None:
            self._mounted = False
            await runner.cleanup()

    async def __aenter__(self) -> Self:
        await self.start()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.close()

    def subscribe(self, batch_id: str, callback: WebhookCallback) -> Callable[[], None]:
        """Call ``callback(event)`` for each event about ``batch_id``; return an unsubscribe.

        If an event for that id already arrived (and is still remembered), ``callback`` is
        called with it before ``subscribe`` returns. The unsubscribe is idempotent.
        """
        if not batch_id:
            raise ValueError("batch_id must be a non-empty string")
        if inspect.iscoroutinefunction(callback):
            raise TypeError("webhook callbacks must be synchronous (use wait() to await)")
        key = next(self._keys)
        self._subscribers.setdefault(batch_id, {})[key] = callback
        earlier = self._recent.get(batch_id)
        if earlier is not None:
            self._call(callback, earlier)

        def unsubscribe() -> None:
            subs = self._subscribers.get(batch_id)
            if subs is not None and subs.pop(key, None) is not None and not subs:
                del self._subscribers[batch_id]

        return unsubscribe

    async def wait(self, batch_id: str, *, timeout: float | None = None) -> WebhookEvent:
        """Wait for the event about ``batch_id`` (at once if it already came) and return it.

        Raises TimeoutError after ``timeout`` seconds; ``None`` waits forever. Cancelling
        or timing out leaves no subscription behind.
        """
        got: list[WebhookEvent] = []
        arrived = anyio.Event()

        def on_event(event: WebhookEvent) -> None:
            got.append(event)
            arrived.set()

        unsubscribe = self.subscribe(batch_id, on_event)
        try:
            with anyio.fail_after(timeout):
                await arrived.wait()
        finally:
            unsubscribe()
        return got[0]

    def _call(self, callback: WebhookCallback, event: WebhookEvent) -> None:
        try:
            result = callback(event)
        except Exception:
            logger.exception("webhook callback failed for %s %s", event.event, event.id)
            return
        if inspect.iscoroutine(result):
            result.close()
            logger.error("webhook callback returned a coroutine; callbacks must be synchronous")

    def _reject(self, status: int, reason: str) -> web.Response:
        self.rejected += 1
        logger.debug("rejected a webhook request (%d): %s", status, reason)
        if status == 404:
            return web.Response(status=404, text=_NOT_FOUND)
        return web.Response(status=status, text=reason)

    async def _handle(self, request: web.Request) -> web.Response:
        if self._secret is not None:
            token = request.match_info.get("token", "")
            if not hmac.compare_digest(token.encode(), self._secret.encode()):
                return self._reject(404, "wrong or missing secret")
        too_big = f"body larger than {self.max_body} bytes"
        if request.content_length is not None and request.content_length > self.max_body:
            return self._reject(400, too_big)
        body = bytearray()
        with anyio.move_on_after(self.read_timeout) as reading:
            while chunk := await request.content.read(self.max_body + 1 - len(body)):
                body += chunk
                if len(body) > self.max_body:
                    return self._reject(400, too_big)
        if reading.cancelled_caught:
            return self._reject(408, f"body not read within {self.read_timeout:g} s")
        try:
            event = parse_webhook(bytes(body))
        except WebhookPayloadError as exc:
            return self._reject(400, str(exc))
        self.events_received += 1
        self._recent[event.id] = event
        self._recent.move_to_end(event.id)
        while len(self._recent) > self.remember:
            self._recent.popitem(last=False)
        subs = self._subscribers.get(event.id)
        if not subs:
            self.ignored += 1
        else:
            for callback in list(subs.values()):
                self._call(callback, event)
        return web.Response(text="ok")
