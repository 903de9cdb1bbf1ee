"""EnrowClient: wires the transport, sender, poller and resources together.

The client is not on the way of a poll: a batch's task -> sender -> transport -> classify ->
models -> the task -> its stream -> caller. It holds one of each part, the resources
(``client.email``, ``client.verify``, ``client.phone``, ``client.account``) and, as the
design card asks, the email-bulk calls directly (``start_bulk_search``,
``get_bulk_results``, ``watch_batch``, ``wait_for_batch``, ``wait_for_batches``,
``find_emails``), and its lifecycle: bound to the event loop of its first use, closed once.
"""

from __future__ import annotations

import asyncio
import os
import random
from collections.abc import Iterable, Mapping

from ._core import options
from ._core.config import DEFAULT_BASE_URL, ApiConfig
from ._core.jobs import MAX_BATCH
from ._core.policy import PollPolicy
from ._core.retry import RetryBudget, RetryPolicy
from ._io.jobs import DEFAULT_TIMEOUT, JobRunner
from ._io.proxy import env_proxy
from ._io.sender import Sender
from ._io.transport import DEFAULT_MAX_BODY, AiohttpTransport, Transport
from ._io.waiting import BatchStream, Poller, ProgressCallback, WebhookSource
from .errors import ClientClosedError, ConfigurationError, WrongEventLoopError
from .lists import Record
from .models import (
    BulkJob,
    BulkResults,
    Custom,
    EmailResult,
    EmailSearch,
    EmailSearchDict,
    Progress,
    StartedBatch,
)
from .resources import AccountResource, EmailResource, PhoneResource, VerifyResource
from .resources.email import JobProgressCallback, StartedCallback

__all__ = ["DEFAULT_TIMEOUT", "EnrowClient"]


class EnrowClient:
    """Asyncio client for the Enrow API. Use it as ``async with EnrowClient() as client``.

    ``api_key`` defaults to the ``ENROW_API_KEY`` environment variable, ``base_url`` to
    ``ENROW_BASE_URL`` (else ``https://api.enrow.io``). One client holds one
    connection pool and one poller shared by every wait, however many batches.
    ``transport`` replaces the default aiohttp transport: an
    [AiohttpTransport][enrow_async.AiohttpTransport] of your own (over your own aiohttp
    session, say), or ``enrow_async.testing.MemoryTransport``; ``max_connections``,
    ``connect_timeout``, ``max_response_bytes`` and ``trust_env`` configure the default one.
    A single call (a start, a ``get``, ``account.info()``) gives an attempt up after
    ``read_timeout`` seconds without a byte of the answer and ends, retries included, within
    ``call_timeout`` seconds; every attempt, a wait's polls included, must be answered in
    full within ``connect_timeout + read_timeout``.

    The runtime is asyncio (aiohttp runs on nothing else). Creating a client opens nothing;
    its first call (a start, a read, a wait, ``account.info()``) or ``async with`` binds it
    to the running event loop, and from then on every other loop is refused with
    [WrongEventLoopError][enrow_async.WrongEventLoopError] before anything is sent: one
    client per loop. ``aclose()`` (or leaving ``async with``) closes it from any task of
    that loop; closing twice is harmless, and a closed client is not reopened: a call
    raises [ClientClosedError][enrow_async.ClientClosedError].

    With ``trust_env`` (the default), requests go through the proxy that ``HTTPS_PROXY``
    (``HTTP_PROXY`` for an ``http`` base URL) names, unless ``NO_PROXY`` excludes the
    host, as curl and urllib read them when the client is created.
    """

    def __init__(
        self,
        api_key: str | None = None,
        *,
        base_url: str | None = None,
        max_in_flight: int = 64,
        max_connections: int = 100,
        poll_policy: PollPolicy | None = None,
        retry: RetryPolicy | None = None,
        retry_budget: RetryBudget | None = None,
        connect_timeout: float = 10.0,
        read_timeout: float = 60.0,
        call_timeout: float = 120.0,
        max_response_bytes: int = DEFAULT_MAX_BODY,
        allow_http: bool = False,
        trust_env: bool = True,
        posts_per_second: int = 10,
        webhook_poll_interval: float = 60.0,
        transport: Transport | None = None,
    ) -> None:
        key = api_key if api_key is not None else os.environ.get("ENROW_API_KEY")
        if not key:
            raise ConfigurationError(
                "no Enrow API key: pass api_key=... or set the ENROW_API_KEY environment variable"
                " (for a sandbox, run enrow_async.testing.EnrowSimulator)"
            )
        if base_url is None:
            base_url = os.environ.get("ENROW_BASE_URL") or DEFAULT_BASE_URL
        self._config = ApiConfig.create(options.api_key(key), base_url, allow_http=allow_http)
        connect_timeout = options.seconds("connect_timeout", connect_timeout)
        read_timeout = options.seconds("read_timeout", read_timeout)
        call_timeout = options.seconds("call_timeout", call_timeout)
        webhook_poll_interval = options.seconds("webhook_poll_interval", webhook_poll_interval)
        for name, value in (
            ("max_in_flight", max_in_flight),
            ("max_connections", max_connections),
            ("max_response_bytes", max_response_bytes),
            ("posts_per_second", posts_per_second),
        ):
            options.count(name, value)
        self._transport: Transport = transport or AiohttpTransport(
            max_connections=max_connections,
            connect_timeout=connect_timeout,
            max_body=max_response_bytes,
            proxy=env_proxy(self._config.base_url) if trust_env else None,
        )
        retry = retry or RetryPolicy()
        policy = poll_policy or PollPolicy()
        draw = random.Random().random
        self._sender = Sender(
            self._transport,
            retry=retry,
            budget=retry_budget or RetryBudget(),
            rand=retry.rand or draw,
            posts_per_second=posts_per_second,
            max_in_flight=max_in_flight,
            timeout=connect_timeout + read_timeout,
            enter=self._enter,
            read_timeout=read_timeout,
            call_timeout=call_timeout,
        )
        rand = policy.rand or draw
        self._poller = Poller(self._sender.send, rand=rand, tick=policy.tick, enter=self._enter)
        runner = JobRunner(
            self._config,
            self._sender,
            self._poller,
            policy=policy,
            webhook_poll_interval=webhook_poll_interval,
        )
        self.email: EmailResource = EmailResource(runner)
        """The email finder: ``email.bulk``, ``email.single`` and ``email.find``."""
        self.verify: VerifyResource = VerifyResource(runner)
        """The email verifier: ``verify.bulk`` and ``verify.single``."""
        self.phone: PhoneResource = PhoneResource(runner)
        """The phone finder: ``phone.bulk`` and ``phone.single``."""
        self.account: AccountResource = AccountResource(runner)
        """The account: ``account.info()``."""
        self._loop: asyncio.AbstractEventLoop | None = None
        """The event loop of the first use; ``None`` until then."""
        self._closed = False

    def __repr__(self) -> str:
        state = "closed" if self._closed else "open" if self._loop is not None else "unused"
        return f"<EnrowClient {self._config.base_url} api_key=<redacted> {state}>"

    @property
    def base_url(self) -> str:
        """Where requests go: ``base_url`` as given, else ``ENROW_BASE_URL``, else
        ``https://api.enrow.io`` (without a trailing slash)."""
        return self._config.base_url

    @property
    def retry_budget(self) -> RetryBudget:
        """The client-wide retry budget (tokens left in ``.tokens``)."""
        return self._sender.budget

    def _enter(self) -> asyncio.AbstractEventLoop:
        """The client's event loop, bound at the first use: a closed client and another
        loop are refused (before the sender or the poller does anything)."""
        loop = asyncio.get_running_loop()
        if self._closed:
            raise ClientClosedError(
                "this EnrowClient is closed: create a new EnrowClient (a closed one is never"
                " reopened)"
            )
        if self._loop is None:
            self._loop = loop
        elif loop is not self._loop:
            raise self._elsewhere()
        return loop

    def _elsewhere(self) -> WrongEventLoopError:
        assert self._loop is not None
        if self._loop.is_closed():
            where = "an event loop that is now closed (an earlier asyncio.run?)"
        else:
            where = "another event loop (another thread's asyncio.run?)"
        return WrongEventLoopError(
            f"this EnrowClient belongs to {where}; a client serves only the event loop it was"
            " first used on: create one EnrowClient per event loop, and close it (async with,"
            " aclose()) on that loop"
        )

    async def __aenter__(self) -> EnrowClient:
        self._enter()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        """Close the client, as leaving ``async with`` does: every running wait fails at
        once with [ClientClosedError][enrow_async.ClientClosedError], no poll or task is
        left, the connections are released. Call it from any task of the client's event
        loop; closing twice is harmless."""
        if self._closed:
            return
        if self._loop is not None and asyncio.get_running_loop() is not self._loop:
            raise self._elsewhere()
        self._closed = True
        try:
            await self._poller.aclose()
        finally:
            await self._transport.aclose()

    # -- the email-bulk calls of the design card -------------------------------------------

    async def start_bulk_search(
        self,
        searches: Iterable[EmailSearch | EmailSearchDict],
        *,
        custom: Custom = None,
        webhook: str | None = None,
        country_code: str | None = None,
        retrieve_gender: bool = False,
    ) -> BulkJob:
        """Start one batch of 1 to 5,000 searches: the same as
        [client.email.bulk.start][enrow_async.resources.email.EmailBulk.start], which says more."""
        return await self.email.bulk.start(
            searches,
            custom=custom,
            webhook=webhook,
            country_code=country_code,
            retrieve_gender=retrieve_gender,
        )

    async def find_emails(
        self,
        searches: Iterable[EmailSearch | EmailSearchDict],
        *,
        timeout: float | None = DEFAULT_TIMEOUT,
        on_progress: JobProgressCallback | None = None,
        on_started: StartedCallback | None = None,
        resume: Iterable[StartedBatch] = (),
        record: Record | None = None,
        retry_failed: bool = False,
        max_credits: float | None = None,
        custom: Custom = None,
        country_code: str | None = None,
        retrieve_gender: bool = False,
        batch_size: int = MAX_BATCH,
    ) -> list[EmailResult]:
        """One EmailResult per search, in input order, however many, each distinct search
        paid for once; ``on_started`` and ``resume`` (or a ``record``) survive a crash:
        the same as [client.email.find][enrow_async.resources.email.EmailResource.find], which
        says more. For lists too large to hold,
        [client.email.list_job][enrow_async.resources.email.EmailResource.list_job]."""
        return await self.email.find(
            searches,
            timeout=timeout,
            on_progress=on_progress,
            on_started=on_started,
            resume=resume,
            record=record,
            retry_failed=retry_failed,
            max_credits=max_credits,
            custom=custom,
            country_code=country_code,
            retrieve_gender=retrieve_gender,
            batch_size=batch_size,
        )

    async def get_bulk_results(self, batch_id: str) -> BulkResults:
        """One read of a batch: the same as
        [client.email.bulk.get][enrow_async.resources.email.EmailBulk.get]."""
        return await self.email.bulk.get(batch_id)

    def watch_batch(
        self, batch_id: str, *, timeout: float | None = DEFAULT_TIMEOUT
    ) -> BatchStream[BulkResults, Progress]:
        """Progress snapshots of one batch until it is done: the same as
        [client.email.bulk.watch][enrow_async.resources.email.EmailBulk.watch]."""
        return self.email.bulk.watch(batch_id, timeout=timeout)

    async def wait_for_batch(
        self,
        batch_id: str,
        *,
        timeout: float | None = DEFAULT_TIMEOUT,
        on_progress: ProgressCallback | None = None,
        estimated_minutes: float | None = None,
        webhook: WebhookSource | None = None,
    ) -> BulkResults:
        """The completed batch with all its results: the same as
        [client.email.bulk.wait][enrow_async.resources.email.EmailBulk.wait], which says more."""
        return await self.email.bulk.wait(
            batch_id,
            timeout=timeout,
            on_progress=on_progress,
            estimated_minutes=estimated_minutes,
            webhook=webhook,
        )

    def wait_for_batches(
        self,
        batch_ids: Iterable[str],
        *,
        timeout: float | None = DEFAULT_TIMEOUT,
        on_progress: ProgressCallback | None = None,
        estimated_minutes: Mapping[str, float] | None = None,
        webhook: WebhookSource | None = None,
    ) -> BatchStream[BulkResults, BulkResults]:
        """Each batch once, as soon as it finishes: the same as
        [client.email.bulk.wait_many][enrow_async.resources.email.EmailBulk.wait_many],
        which says more."""
        return self.email.bulk.wait_many(
            batch_ids,
            timeout=timeout,
            on_progress=on_progress,
            estimated_minutes=estimated_minutes,
            webhook=webhook,
        )
