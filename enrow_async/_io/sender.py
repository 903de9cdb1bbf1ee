"""The sender: one request, sent through the transport, acted on by its verdict.

It owns everything between "send this" and "here is the answer, read": the client-wide
``Health`` (429 pauses, outages), the POST rate limit, a total deadline per attempt, bounded
jittered retries and the retry budget. What each answer means is ``classify``'s decision
(and ``classify_body``'s, for a body that cannot be read); the sender only carries it out.

``send`` serves single calls: bounded retries, then the typed error. ``poll`` serves the
scheduler: one attempt; a transient failure is raised at once, and the scheduler backs off.
A poll carries no timer of its own: the scheduler's watchdog cuts one that overruns the
per-attempt deadline and asks ``overdue`` for its error (one timer per scheduler, not one
per request, on the path every poll takes).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import Generic, TypeVar

import anyio
import attrs

from .._core.classify import (
    Fail,
    NotFound,
    OutcomeUnknown,
    Retry,
    Success,
    Verdict,
    classify,
    classify_body,
)
from .._core.http import Action, Request, Response
from .._core.outage import Health
from .._core.retry import RetryBudget, RetryPolicy
from ..errors import ResponseError, RetryBudgetExhaustedError, TransportError
from .ratelimit import SlidingWindow
from .transport import Transport

__all__ = ["Sender"]

log = logging.getLogger("enrow_async")

T = TypeVar("T")


@attrs.frozen
class _Read(Generic[T]):
    """A successful attempt: the answer read into its model."""

    value: T


def _extra(request: Request, error: Exception, **fields: float) -> dict[str, object]:
    """Structured fields of a log record (never the key: the error's text is redacted)."""
    extra: dict[str, object] = {
        "enrow_method": request.method,
        "enrow_path": request.path,
        "enrow_error": type(error).__name__,
    }
    extra.update({f"enrow_{name}": value for name, value in fields.items()})
    return extra


def _cause(error: Exception, answer: Response | TransportError) -> BaseException | None:
    """What ``error`` is raised from: the transport's failure behind it, or, when it is that
    failure itself (a final one), what that failure was raised from."""
    if error is answer:
        return error.__cause__
    return answer if isinstance(answer, TransportError) else None


class Sender:
    """Sends requests with retries; shared by every call and poll of one client.

    ``timeout`` bounds each attempt from send to the last byte of the answer. ``wall``
    (Unix seconds) is read only to count down an HTTP-date ``Retry-After``. ``enter`` is
    called before each ``send`` does anything (the client refuses there to be used from
    another event loop, or once closed).
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
        enter: Callable[[], object] | None = None,
    ) -> None:
        self.transport = transport
        self._enter = enter
        self.retry = retry
        self.budget = budget
        self.health = Health()
        self._rand = rand
        self._posts = SlidingWindow(posts_per_second)
        self._timeout = timeout
        self._wall = wall

    async def send(self, request: Request, read: Callable[[Response], T]) -> T:
        """``read(answer)`` of the successful answer, or the typed error its verdict names
        once no retry is left."""
        if self._enter is not None:
            self._enter()
        attempt = 0
        spent = 0
        limiter = self._posts if request.action is Action.START else None
        while True:
            attempt += 1
            wait = self.health.paused - anyio.current_time()
            if wait > 0:
                await anyio.sleep(wait)
            answer = await self._attempt(request, limiter)
            verdict = self._judge(request, answer, read)
            if isinstance(verdict, _Read):
                self.budget.succeeded(spent)
                return verdict.value
            if not isinstance(verdict, Retry):
                raise verdict.error from _cause(verdict.error, answer)
            error = verdict.error
            delay = self.retry.delay(attempt, self._rand(), verdict.delay)
            if delay is None:
                raise error
            cost = self.budget.try_spend(error)
            if cost is None:
                log.warning(
                    "%s %s not retried: the retry budget is spent (%s)",
                    request.method,
                    request.path,
                    type(error).__name__,
                    extra=_extra(request, error, attempt=attempt),
                )
                raise RetryBudgetExhaustedError(
                    f"{request.method} {request.path}: not retried, the client-wide retry budget"
                    f" is spent ({self.budget.tokens} tokens left); last failure: {error}"
                ) from error
            spent += cost
            if verdict.pause_all:
                self.health.pause(anyio.current_time() + delay)
            log.info(
                "%s %s failed (%s); retry %d in %.2f s",
                request.method,
                request.path,
                error,
                attempt,
                delay,
                extra=_extra(request, error, attempt=attempt, delay=delay),
            )
            await anyio.sleep(delay)

    @property
    def timeout(self) -> float:
        """Seconds each attempt has, from send to the last byte of the answer."""
        return self._timeout

    async def poll(self, request: Request, read: Callable[[Response], T]) -> T:
        """One attempt of a poll: ``read(answer)``, or the error (transient ones included:
        the scheduler backs off and polls again; ``health`` holds the others back). No
        deadline here: the caller cuts an attempt that overruns ``timeout`` (``overdue``)."""
        try:
            answer: Response | TransportError = await self.transport.send(request)
        except TransportError as exc:
            answer = exc
        verdict = self._judge(request, answer, read)
        if isinstance(verdict, _Read):
            return verdict.value
        if isinstance(verdict, Retry) and verdict.pause_all:
            pause = verdict.delay
            if pause is None:
                pause = self.retry.backoff.delay(1, self._rand())
            self.health.pause(anyio.current_time() + min(pause, self.retry.max_retry_after))
        raise verdict.error from _cause(verdict.error, answer)

    def overdue(self, request: Request) -> TransportError:
        """The error of a poll cut at its deadline by the caller, noted in ``health`` as
        the transient failure it is (as ``send`` notes its own cut attempts)."""
        error = self._no_answer(request)
        self._note(request, error, classify(request, error))
        return error

    def _no_answer(self, request: Request) -> TransportError:
        return TransportError(
            f"{request.method} {request.path}: no complete answer within {self._timeout:g} s"
        )

    def _judge(
        self, request: Request, answer: Response | TransportError, read: Callable[[Response], T]
    ) -> _Read[T] | Retry | OutcomeUnknown | NotFound | Fail:
        """The verdict on one attempt, with a 2xx body read into its model, noted in
        ``health``: an answer that says something is a sign of life, a transient failure is
        not."""
        verdict: Verdict = classify(request, answer, now_epoch=self._wall())
        done: _Read[T] | None = None
        if isinstance(verdict, Success):
            response = verdict.response
            try:
                done = _Read(read(response))
            except ResponseError as exc:
                verdict = classify_body(request, response, exc)
        self._note(request, answer, verdict)
        if done is not None:
            if log.isEnabledFor(logging.DEBUG):
                log.debug("%r -> %d (%d bytes)", request, response.status, len(response.body))
            return done
        assert not isinstance(verdict, Success)
        return verdict

    def _note(self, request: Request, answer: Response | TransportError, verdict: Verdict) -> None:
        """What an attempt says of the API's health. Reads only: they are what polls send,
        and a start answered while reads fail (a partial outage) must not release polls."""
        if not request.idempotent:
            return
        was_down = self.health.down
        if isinstance(verdict, Retry):
            if not verdict.error.transient:
                return  # an answer about one job (an unknown single id's 500)
            self.health.failed(anyio.current_time(), self._rand())
        elif isinstance(answer, TransportError) or answer.status >= 500:
            self.health.failed(anyio.current_time(), self._rand())
        elif self.health.succeeded():
            log.info("the API answers again: held polls go now", extra={"enrow_outage": False})
            return
        if self.health.down and not was_down:
            log.info(
                "the API looks down (%d failures in a row): polls wait, one probe at a time",
                self.health.failures,
                extra={"enrow_outage": True},
            )

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
            return self._no_answer(request)
        finally:
            if limiter is not None:
                limiter.release()  # the slot's window starts at the answer, not the send
