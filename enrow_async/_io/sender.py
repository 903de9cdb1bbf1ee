"""The sender: one request, sent through the transport, acted on by its verdict.

It owns everything between "send this" and "here is the answer": the client-wide 429 pause,
the POST rate limit, a total deadline per attempt, bounded jittered retries, and the retry
budget. What each answer means is :func:`~enrow_async._core.classify.classify`'s decision;
the sender only carries it out.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

import anyio

from .._core.classify import Fail, NotFound, OutcomeUnknown, Retry, Success, classify
from .._core.http import Action, Request, Response
from .._core.retry import RetryBudget, RetryPolicy
from ..errors import RetryBudgetExhaustedError, TransportError
from .ratelimit import SlidingWindow
from .transport import Transport

__all__ = ["Pause", "Sender"]

log = logging.getLogger("enrow_async")


class Pause:
    """Client-wide pause (a 429 slows every request and poll): a deadline on the loop's clock."""

    __slots__ = ("until",)

    def __init__(self) -> None:
        self.until = 0.0


class Sender:
    """Sends requests with retries; shared by every call and poll of one client.

    ``timeout`` bounds each attempt from send to the last byte of the answer. ``wall``
    (Unix seconds) is read only to count down an HTTP-date ``Retry-After``.
    """

    def __init__(
        self,
        transport: Transport,
        *,
        retry: RetryPolicy,
        budget: RetryBudget,
        rand: Callable[[], float],
        posts_per_second: int,
        timeout: float,
        wall: Callable[[], float] = time.time,
    ) -> None:
        self.transport = transport
        self.retry = retry
        self.budget = budget
        self.pause = Pause()
        self._rand = rand
        self._posts = SlidingWindow(posts_per_second)
        self._timeout = timeout
        self._wall = wall

    async def send(self, request: Request) -> Response:
        """The successful answer to ``request``, or the typed error its verdict names."""
        attempt = 0
        spent = 0
        limiter = self._posts if request.action is Action.START else None
        while True:
            attempt += 1
            wait = self.pause.until - anyio.current_time()
            if wait > 0:
                await anyio.sleep(wait)
            answer = await self._attempt(request, limiter)
            verdict = classify(request, answer, now_epoch=self._wall())
            if isinstance(verdict, Success):
                self.budget.succeeded(spent)
                if log.isEnabledFor(logging.DEBUG):
                    response = verdict.response
                    log.debug("%r -> %d (%d bytes)", request, response.status, len(response.body))
                return verdict.response
            if isinstance(verdict, OutcomeUnknown | NotFound | Fail):
                cause = answer if isinstance(answer, TransportError) else None
                raise verdict.error from cause
            assert isinstance(verdict, Retry)
            error = verdict.error
            delay = self.retry.delay(attempt, self._rand(), verdict.delay)
            if delay is None:
                raise error
            cost = self.budget.try_spend(error)
            if cost is None:
                raise RetryBudgetExhaustedError(
                    f"{request.method} {request.path}: not retried, the client-wide retry budget"
                    f" is spent ({self.budget.tokens} tokens left); last failure: {error}"
                ) from error
            spent += cost
            if verdict.pause_all:
                self.pause.until = max(self.pause.until, anyio.current_time() + delay)
            log.debug("%r failed (%s); retry %d in %.3f s", request, error, attempt, delay)
            await anyio.sleep(delay)

    async def _attempt(
        self, request: Request, limiter: SlidingWindow | None
    ) -> Response | TransportError:
        """One try under the POST limit and the per-attempt deadline."""
        if limiter is not None:
            await limiter.acquire()
        try:
            with anyio.move_on_after(self._timeout):
                try:
                    return await self.transport.send(request)
                except TransportError as exc:
                    return exc
            return TransportError(
                f"{request.method} {request.path}: no complete answer within {self._timeout:g} s"
            )
        finally:
            if limiter is not None:
                limiter.release()  # the slot's window starts at the answer, not the send
