"""EnrowClient: the async context manager tying protocol, transport and scheduler together."""

from __future__ import annotations

import functools
import logging
import os
import random
from collections.abc import Callable, Iterable, Mapping
from types import TracebackType
from typing import Any

import aiohttp
import anyio
from anyio.abc import TaskGroup

from ._core.collect import Collector, JobProgressCallback, collect, forward
from ._core.protocol import (
    BULK_EMAIL_PATH,
    DEFAULT_BASE_URL,
    ApiConfig,
    Request,
    Response,
    bulk_results_request,
    check_batch_id,
    check_timeout,
    error_for,
    get_request,
    parse,
    parse_bulk_results,
)
from ._core.retry import RetryBudget, RetryPolicy
from ._core.schedule import PollPlan, PollPolicy
from ._core.searches import MAX_BATCH, bulk_search_request, chunk, to_searches
from ._endpoints import DEFAULT_TIMEOUT, OtherEndpoints
from ._io.ratelimit import SlidingWindow
from ._io.scheduler import Pause, Pollable, Scheduler
from ._io.transport import DEFAULT_MAX_BODY, AiohttpTransport, Transport
from ._io.waiting import BatchStream, ProgressCallback, WebhookSource
from .errors import (
    BatchFailedError,
    ConfigurationError,
    EnrowError,
    OutcomeUnknownError,
    RateLimitError,
    RetryBudgetExhaustedError,
    TransportError,
)
from .models import (
    BatchStatus,
    BulkJob,
    BulkResults,
    Custom,
    EmailResult,
    EmailSearch,
    Progress,
)

__all__ = ["DEFAULT_TIMEOUT", "EnrowClient"]


log = logging.getLogger("enrow_async")


class EnrowClient(OtherEndpoints):
    """Asyncio client for the Enrow API. Use it as ``async with EnrowClient() as client``.

    ``api_key`` defaults to the ``ENROW_API_KEY`` environment variable. One client holds one
    connection pool and one polling scheduler shared by every wait, however many batches.
    """

    def __init__(
        self,
        api_key: str | None = None,
        *,
        base_url: str = DEFAULT_BASE_URL,
        session: aiohttp.ClientSession | None = None,
        max_in_flight: int = 64,
        max_connections: int = 100,
        poll_policy: PollPolicy | None = None,
        retry: RetryPolicy | None = None,
        retry_budget: RetryBudget | None = None,
        connect_timeout: float = 10.0,
        read_timeout: float = 60.0,
        max_response_bytes: int = DEFAULT_MAX_BODY,
        allow_http: bool = False,
        posts_per_second: int = 10,
        webhook_poll_interval: float = 60.0,
        poll_coalesce: float = 0.1,
        rand: Callable[[], float] | None = None,
        transport: Transport | None = None,
    ) -> None:
        key = api_key if api_key is not None else os.environ.get("ENROW_API_KEY")
        if not key:
            raise ConfigurationError(
                "no Enrow API key: pass api_key=... or set the ENROW_API_KEY environment variable"
                " (for a sandbox, run enrow_async.testing.EnrowSimulator)"
            )
        self._config = ApiConfig.create(key, base_url, allow_http=allow_http)
        self._transport: Transport = transport or AiohttpTransport(
            session=session,
            max_connections=max_connections,
            connect_timeout=connect_timeout,
            read_timeout=read_timeout,
            max_body=max_response_bytes,
        )
        self._policy = poll_policy or PollPolicy()
        self._safety_policy = PollPolicy(
            initial=webhook_poll_interval,
            min_interval=webhook_poll_interval,
            max_interval=webhook_poll_interval,
            spread=0.0,
        )
        self._retry = retry or RetryPolicy()
        self._budget = retry_budget or RetryBudget()
        self._rand = rand or random.Random().random
        self._pause = Pause()
        self._posts = SlidingWindow(posts_per_second)
        self._scheduler = Scheduler(
            functools.partial(self._send, polled=True),
            read_timeout=read_timeout,
            max_in_flight=max_in_flight,
            rand=self._rand,
            pause=self._pause,
            coalesce=poll_coalesce,
        )
        self._tg: TaskGroup | None = None

    def __repr__(self) -> str:
        state = "open" if self._tg is not None else "closed"
        return f"<EnrowClient {self._config.base_url} api_key=<redacted> {state}>"

    @property
    def base_url(self) -> str:
        return self._config.base_url

    @property
    def retry_budget(self) -> RetryBudget:
        """The client-wide retry budget (tokens left in ``.tokens``)."""
        return self._budget

    async def __aenter__(self) -> EnrowClient:
        if self._tg is not None:
            raise RuntimeError("this EnrowClient is already open")
        tg = anyio.create_task_group()
        await tg.__aenter__()
        self._tg = tg
        self._scheduler.attach(tg)
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        tg, self._tg = self._tg, None
        self._scheduler.close()
        self._scheduler.attach(None)
        try:
            if tg is not None:
                # Stop the scheduler; the body's own exception, if any, propagates unchanged
                # (never wrapped in an ExceptionGroup): the task group is closed clean.
                tg.cancel_scope.cancel()
                await tg.__aexit__(None, None, None)
        finally:
            await self._transport.aclose()

    # -- one request, with retries ---------------------------------------------------------

    async def _send(
        self,
        request: Request,
        *,
        idempotent: bool = True,
        limiter: SlidingWindow | None = None,
        polled: bool = False,
    ) -> Response:
        """Send with bounded, jittered retries under the client-wide budget and 429 pause.

        A non-idempotent request (a POST that starts a paid job) is retried only when it
        certainly did not reach the server (refused connection, 429, 502-504).
        """
        attempt = 0
        spent = 0
        while True:
            attempt += 1
            if self._pause.until:  # a 429 paused everyone: wait out what is left of it
                wait = self._pause.until - anyio.current_time()
                if wait > 0:
                    await anyio.sleep(wait)
            if limiter is not None:
                await limiter.acquire()
            error: EnrowError
            try:
                response = await self._transport.send(request)
            except TransportError as exc:
                error = exc
                if not idempotent and exc.request_sent:
                    raise OutcomeUnknownError(
                        f"{exc}; the job may have been created, so it is not sent again"
                    ) from exc
            else:
                status = response.status
                if status != 429 and status < 500:
                    self._budget.succeeded(spent)
                    if log.isEnabledFor(logging.DEBUG):
                        log.debug("%r -> %d (%d bytes)", request, status, len(response.body))
                    return response
                error = error_for(response, request)  # type: ignore[assignment]
                if not idempotent and status not in (429, 502, 503, 504):
                    raise OutcomeUnknownError(
                        f"{request.method} {request.path}: HTTP {status}; the job may have been"
                        " created, so it is not sent again"
                    ) from error
            finally:
                if limiter is not None:
                    limiter.release()  # the slot's window starts at the answer, not the send
            delay = self._retry.delay(attempt, error, self._rand())
            if delay is None:
                raise error
            cost = self._budget.try_spend(error)
            if cost is None:
                raise RetryBudgetExhaustedError(
                    f"{request.method} {request.path}: not retried, the client-wide retry budget"
                    f" is spent ({self._budget.tokens} tokens left); last failure: {error}"
                ) from error
            spent += cost
            if isinstance(error, RateLimitError):
                self._pause.until = max(self._pause.until, anyio.current_time() + delay)
            log.debug("%r failed (%s); retry %d in %.3f s", request, error, attempt, delay)
            await anyio.sleep(delay)

    # -- starting batches --------------------------------------------------------------------

    async def _post(self, request: Request) -> BulkJob:
        response = await self._send(request, idempotent=False, limiter=self._posts)
        return parse(response, request, BulkJob)

    async def start_bulk_search(
        self,
        searches: Iterable[EmailSearch | Mapping[str, Any]],
        *,
        custom: Custom = None,
        webhook: str | None = None,
        country_code: str | None = None,
        retrieve_gender: bool = False,
    ) -> BulkJob:
        """Start one batch of 1 to 5,000 searches (each needs ``fullname`` and a company
        domain or name). Checked before anything is sent; never resent if the outcome is
        unknown (OutcomeUnknownError)."""
        request = bulk_search_request(
            self._config,
            to_searches(searches),
            custom=custom,
            webhook=webhook,
            country_code=country_code,
            retrieve_gender=retrieve_gender,
        )
        return await self._post(request)

    async def find_emails(
        self,
        searches: Iterable[EmailSearch | Mapping[str, Any]],
        *,
        timeout: float | None = DEFAULT_TIMEOUT,
        on_progress: JobProgressCallback | None = None,
        custom: Custom = None,
        country_code: str | None = None,
        retrieve_gender: bool = False,
        batch_size: int = MAX_BATCH,
    ) -> list[EmailResult]:
        """Find emails for any number of searches: one EmailResult per search, in input order.

        Splits into batches of at most ``batch_size``, starts them under the POST rate limit,
        and waits for all of them on the shared scheduler. ``on_progress`` receives combined
        JobProgress snapshots. If any batch fails, IncompleteResultsError says which searches
        have no result and keeps the others.
        """
        checked = to_searches(searches)
        seconds = check_timeout(timeout)
        if not 1 <= batch_size <= MAX_BATCH:
            raise ValueError(f"batch_size must be between 1 and {MAX_BATCH}, got {batch_size}")
        if not checked:
            return []
        parts = chunk(checked, batch_size)
        requests = [
            bulk_search_request(
                self._config,
                part,
                custom=custom,
                country_code=country_code,
                retrieve_gender=retrieve_gender,
            )
            for part in parts
        ]
        jobs: list[BulkJob] = []
        for request in requests:
            try:
                jobs.append(await self._post(request))
            except EnrowError as exc:
                if jobs:
                    exc.add_note(_started_note(jobs))
                raise
        collector = Collector(jobs, [len(part) for part in parts])
        stream = self.wait_for_batches(
            [job.id for job in jobs],
            timeout=seconds,
            on_progress=forward(collector, on_progress),
            estimated_durations={
                job.id: job.estimated_duration for job in jobs if job.estimated_duration is not None
            },
        )
        async with stream:
            try:
                return await collect(collector, stream)
            except EnrowError as exc:
                exc.add_note(_started_note(jobs))
                raise

    # -- reading and waiting ---------------------------------------------------------------

    async def get_bulk_results(self, batch_id: str) -> BulkResults:
        """One GET of a batch: its progress while ongoing, everything once completed."""
        request = bulk_results_request(self._config, batch_id)
        return parse_bulk_results(await self._send(request), request)

    def watch_batch(
        self, batch_id: str, *, timeout: float | None = DEFAULT_TIMEOUT
    ) -> BatchStream[BulkResults, Progress]:
        """Progress snapshots of one batch, each time it changes, until it is done.

        The last snapshot has status completed or failed; then iteration stops.
        """
        return self._stream([batch_id], timeout, None, yield_progress=True)

    async def wait_for_batch(
        self,
        batch_id: str,
        *,
        timeout: float | None = DEFAULT_TIMEOUT,
        on_progress: ProgressCallback | None = None,
        estimated_duration: float | None = None,
        webhook: WebhookSource | None = None,
    ) -> BulkResults:
        """Wait until the batch is completed and return all its results.

        Raises BatchFailedError if it fails and BatchTimeoutError (carrying the last progress)
        if ``timeout`` seconds pass first. ``estimated_duration`` (minutes, from the POST)
        sharpens the polling schedule. With a ``webhook`` (a WebhookReceiver whose URL the
        batch was started with), the wait is woken by the notification and only polls every
        ``webhook_poll_interval`` seconds as a safety net; results are still read with GET.
        """
        hints = None if estimated_duration is None else {batch_id: estimated_duration}
        stream = self._stream([batch_id], timeout, on_progress, hints=hints, webhook=webhook)
        async with stream:
            result: BulkResults = await stream.__anext__()
            if result.status is BatchStatus.FAILED:
                raise BatchFailedError(stream.last(batch_id) or _snapshot(result))
            return result

    def wait_for_batches(
        self,
        batch_ids: Iterable[str],
        *,
        timeout: float | None = DEFAULT_TIMEOUT,
        on_progress: ProgressCallback | None = None,
        estimated_durations: Mapping[str, float] | None = None,
        webhook: WebhookSource | None = None,
    ) -> BatchStream[BulkResults, BulkResults]:
        """Yield each batch once, completed or failed, as soon as it finishes.

        Batch-specific errors (an unknown id, a malformed answer) do not stop the others;
        they are raised together as BatchErrors after the rest. Authentication, credit and
        connection failures end the iteration at once. At the deadline, finished batches are
        yielded first, then BatchTimeoutError names the unfinished ones.
        """
        return self._stream(
            batch_ids,
            timeout,
            on_progress,
            hints=estimated_durations,
            collect_errors=True,
            webhook=webhook,
        )

    def _stream(
        self,
        batch_ids: Iterable[str],
        timeout: float | None,
        on_progress: ProgressCallback | None,
        *,
        hints: Mapping[str, float] | None = None,
        yield_progress: bool = False,
        collect_errors: bool = False,
        path: str = BULK_EMAIL_PATH,
        parse: Callable[[Response, Request], Pollable] = parse_bulk_results,
        webhook: WebhookSource | None = None,
    ) -> BatchStream[Any, Any]:
        """One stream over ``batch_ids``, read with ``GET path?id=`` and ``parse``."""
        if isinstance(batch_ids, str):
            raise TypeError("batch_ids must be an iterable of ids, not one string")
        ids = [check_batch_id(bid) for bid in batch_ids]
        seconds = check_timeout(timeout)
        if on_progress is not None and not callable(on_progress):
            raise TypeError("on_progress must be callable")
        config = self._config
        policy = self._policy
        minutes = hints or {}

        def plan(batch_id: str) -> PollPlan:
            hint = minutes.get(batch_id)
            return PollPlan(
                policy,
                started_at=anyio.current_time(),
                estimated_duration=None if hint is None else hint * 60.0,
            )

        safety = self._safety_policy

        def safety_plan(batch_id: str) -> PollPlan:
            return PollPlan(safety, started_at=anyio.current_time())

        def request(batch_id: str) -> Request:
            return get_request(config, path, batch_id)

        return BatchStream(
            self._scheduler,
            ids,
            request=request,
            parse=parse,
            plan=plan if webhook is None else safety_plan,
            timeout=seconds,
            on_progress=on_progress,
            yield_progress=yield_progress,
            collect_errors=collect_errors,
            webhook=webhook,
            hinted_plan=plan if webhook is not None else None,
        )


def _started_note(jobs: list[BulkJob]) -> str:
    ids = ", ".join(job.id for job in jobs)
    return f"batches already started (and paid for): {ids}; wait for them, do not start them again"


def _snapshot(result: BulkResults) -> Progress:
    return Progress(result.id, result.status, result.stats.finished, result.stats.requested)
