"""The sender: one request, sent through the transport, acted on by its verdict.

It owns everything between "send this" and "here is the answer, read": the client-wide
``Health`` (429 pauses, outages), the POST rate limit, the deadlines, bounded jittered
retries and the retry budget. What each answer means is ``classify``'s decision (and
``classify_body``'s, for a body that cannot be read); the sender only carries it out.

``send`` serves single calls: bounded retries, then the typed error. Three limits bound one:
the transport gives an attempt up after ``read_timeout`` of silence (the request carries it),
an attempt is cut at ``timeout`` (connect + read), and the whole call, retries included, at
``call_timeout``. ``poll`` serves the scheduler: one attempt; a transient failure is raised
at once, and the scheduler backs off. A poll carries no timer of its own (no silence limit
either): the scheduler's watchdog cuts one that overruns ``timeout`` and asks ``overdue``
for its error (one timer per scheduler, not one per request, on the path every poll takes).
"""

from __future__ import annotations

import logging
import math
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
from ..errors import RateLimitError, ResponseError, RetryBudgetExhaustedError, TransportError
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

    ``timeout`` bounds each attempt from send to the last byte of the answer;
    ``read_timeout`` is the silence after which a single call's attempt is given up (by
    the transport; ``None``: no such limit), ``call_timeout`` the time a single call may
    take, retries included. ``wall`` (Unix seconds) is read only to count down an
    HTTP-date ``Retry-After``. ``enter`` is called before each ``send`` does anything (the
    client refuses there to be used from another event loop, or once closed).
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
        read_timeout: float | None = None,
        call_timeout: float = math.inf,
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
        self._read_timeout = read_timeout
        self._call_timeout = call_timeout
        self._wall = wall

    async def send(self, request: Request, read: Callable[[Response], T]) -> T:
        """``read(answer)`` of the successful answer, or the typed error its verdict names
        once no retry is left, or none fits before the call's deadline. The deadline counts
        from the call's start, leaving out time queued under the POST rate limit (the
        client's own pace, not the API's)."""
        if self._enter is not None:
            self._enter()
        if self._read_timeout is not None:
            request = attrs.evolve(request, read_timeout=self._read_timeout)
        deadline = anyio.current_time() + self._call_timeout
        attempt = 0
        spent = 0
        limiter = self._posts if request.action is Action.START else None
        while True:
            attempt += 1
            wait = self.health.paused - anyio.current_time()
            if wait > 0:
                if anyio.current_time() + wait >= deadline:
                    raise self._paused_past(request, wait)
                await anyio.sleep(wait)
            if limiter is not None:
                queued = anyio.current_time()
                await limiter.acquire()
                deadline += anyio.current_time() - queued
            try:
                answer = await self._attempt(request, deadline)
            finally:
                if limiter is not None:
                    limiter.release()  # the slot's window starts at the answer, not the send
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
            now = anyio.current_time()
            if verdict.pause_all:
                self.health.pause(now + delay)
            if now + delay >= deadline:
                if now < deadline:
                    error.add_note(
                        f"not tried again: the call's {self._call_timeout:g} s deadline"
                        f" (call_timeout) comes before the next try, {delay:.2f} s away"
                    )
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

    def _paused_past(self, request: Request, wait: float) -> RateLimitError:
        """Not sent: a 429 holds every request of the client past this call's deadline."""
        return RateLimitError(
            f"not sent: after a 429 the client holds every request {wait:.2f} s more, past"
            f" this call's {self._call_timeout:g} s deadline (call_timeout)",
            retry_after=wait,
            method=request.method,
            path=request.path,
        )

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

    def _no_answer(self, request: Request, *, call: bool = False) -> TransportError:
        within = (
            f"before the call's {self._call_timeout:g} s deadline (call_timeout)"
            if call
            else f"within {self._timeout:g} s"
        )
        return TransportError(f"{request.method} {request.path}: no complete answer {within}")

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

    async def _attempt(self, request: Request, deadline: float) -> Response | TransportError:
        """One try, cut at the per-attempt deadline or the call's, whichever comes first."""
        left = deadline - anyio.current_time()
        with anyio.move_on_after(min(self._timeout, left)):
            try:
                return await self.transport.send(request)
            except TransportError as exc:
                return exc
        return self._no_answer(request, call=left < self._timeout)
