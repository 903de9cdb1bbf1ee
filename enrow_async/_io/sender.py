"""The sender: every request of one client, from "send this" to its answer read, or its error.

It is the one place where failures are retried and where the client-wide limits hold: the
rules of ``_core.retry`` (one backoff, one cap on ``Retry-After``, the retry budget, the
``Health`` gate), the POST rate limit, and ``max_in_flight`` polls at once. What each answer
means is ``classify``'s decision; the sender carries it out. A single call (a start, a
``get``, ``account.info()``) gives up after ``RetryPolicy.attempts`` tries, at
``call_timeout`` (retries included), or when the ``RetryBudget`` cannot pay for one more
try; a poll (``poll=True``) is tried again after a transient failure for as long as its wait
lasts, and gives up only on a final answer, or on ``attempts`` unreadable answers in a row.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import math
import time
from collections.abc import Callable
from typing import TypeAlias, TypeVar

import attrs

from .._core.classify import Fail, Retry, Success, classify
from .._core.http import Action, Request, Response
from .._core.retry import Health, RetryBudget, RetryPolicy
from ..errors import (
    EnrowError,
    RateLimitError,
    ResponseError,
    RetryBudgetExhaustedError,
    TransportError,
)
from .ratelimit import SlidingWindow
from .transport import Transport
from .turns import BIG, Turns

__all__ = ["Sender"]

log = logging.getLogger("enrow_async")

T = TypeVar("T")

Answer: TypeAlias = Response | TransportError | ResponseError
"""What one attempt got: an answer, the transport's failure, or an answer refused unread
(its body over the size cap)."""


def _extra(request: Request, error: Exception, **fields: float) -> dict[str, object]:
    """Structured fields of a log record (never the key: the error's text is redacted)."""
    extra: dict[str, object] = {
        "enrow_method": request.method,
        "enrow_path": request.path,
        "enrow_error": type(error).__name__,
    }
    extra.update({f"enrow_{name}": value for name, value in fields.items()})
    return extra


def _now() -> float:
    return asyncio.get_running_loop().time()


async def _wait(seconds: float, event: asyncio.Event | None) -> None:
    """``seconds`` (``inf``: no limit), or less once ``event`` is set."""
    if event is None:
        await asyncio.sleep(seconds)
        return
    with contextlib.suppress(TimeoutError):
        async with asyncio.timeout(None if seconds == math.inf else seconds):
            await event.wait()


class Sender:
    """Sends requests with retries; shared by every call and poll of one client.

    ``timeout`` bounds each attempt from send to the last byte of the answer;
    ``read_timeout`` is the silence after which a single call's attempt is given up (by
    the transport; ``None``: no such limit), ``call_timeout`` the time a single call may
    take, retries included. ``wall`` (Unix seconds) is read only to count down an
    HTTP-date ``Retry-After``. ``enter`` is called before each single call does anything
    (the client refuses there to be used from another event loop, or once closed).
    """

    def __init__(
        self,
        transport: Transport,
        *,
        retry: RetryPolicy,
        budget: RetryBudget,
        rand: Callable[[], float],
        posts_per_second: int,
        max_in_flight: int,
        timeout: float,
        read_timeout: float | None = None,
        call_timeout: float = math.inf,
        wall: Callable[[], float] = time.time,
        enter: Callable[[], object] | None = None,
    ) -> None:
        self.transport = transport
        self.retry = retry
        self.budget = budget
        self.health: Health = Health(retry.backoff)
        self._rand = rand
        self._posts = SlidingWindow(posts_per_second)
        self._polls = asyncio.Semaphore(max_in_flight)
        self._turns = Turns()
        self._timeout = timeout
        self._read_timeout = read_timeout
        self._call_timeout = call_timeout
        self._wall = wall
        self._enter = enter
        self._answered = asyncio.Event()
        """Pulsed (set, then cleared) at each answer to a read: polls held by the gate look
        again."""
        self._recovered = asyncio.Event()
        """Pulsed when an outage ends: polls backing off go at once."""

    async def send(
        self, request: Request, read: Callable[[Response], T], *, poll: bool = False
    ) -> T:
        """``read(answer)`` of the successful answer, or the typed error its verdict names
        once no retry is left. A single call's deadline counts from its start, leaving out
        time queued under the POST rate limit (the client's own pace, not the API's)."""
        if not poll:
            if self._enter is not None:
                self._enter()
            if self._read_timeout is not None:
                request = attrs.evolve(request, read_timeout=self._read_timeout)
        deadline = math.inf if poll else _now() + self._call_timeout
        attempt = spent = strikes = 0  # strikes: a poll's answers in a row that cannot be read
        while True:
            attempt += 1
            await self._admitted(request, poll, deadline)
            answer, deadline = await self._attempt(request, poll, deadline)
            verdict = self._judge(request, answer, read)
            if isinstance(verdict, Success):
                if not poll:
                    self.budget.succeeded(spent)
                return verdict.value
            if isinstance(verdict, Fail):
                raise verdict.error  # chained to the failure behind it, if any
            strikes = 0 if verdict.error.transient else strikes + 1
            delay = self._delay(verdict, attempt, strikes if poll else attempt, deadline)
            if not poll:
                spent += self._spend(request, verdict.error, attempt)
            log.log(
                logging.DEBUG if poll else logging.INFO,
                "%s %s failed (%s); retry %d in %.2f s",
                request.method,
                request.path,
                verdict.error,
                attempt,
                delay,
                extra=_extra(request, verdict.error, attempt=attempt, delay=delay),
            )
            # A poll backing off goes at once when an outage ends.
            await _wait(delay, self._recovered if poll else None)

    async def _admitted(self, request: Request, poll: bool, deadline: float) -> None:
        """Through the gate: at once, unless a 429's pause holds every request, or an
        outage holds polls (one probe at a time; the others look again at each answer)."""
        while (wait := self.health.wait(_now(), poll=poll)) > 0:
            if not poll and _now() + wait >= deadline:
                raise RateLimitError(
                    f"not sent: after a 429 the client holds every request {wait:.2f} s more,"
                    f" past this call's {self._call_timeout:g} s deadline (call_timeout)",
                    retry_after=wait,
                    method=request.method,
                    path=request.path,
                )
            await _wait(wait, self._answered if poll else None)

    async def _attempt(self, request: Request, poll: bool, deadline: float) -> tuple[Answer, float]:
        """One try under its limit (``max_in_flight`` for a poll, the POST rate limit for a
        start), cut at ``timeout`` or the call's deadline, whichever comes first: the answer
        (or the failure), and the deadline, pushed back by the time queued for a POST slot."""
        posts = self._posts if request.action is Action.START else None
        if posts is not None:
            queued = _now()
            await posts.acquire()
            deadline += _now() - queued
        left = deadline - _now()
        try:
            async with self._polls if poll else contextlib.nullcontext():
                async with asyncio.timeout(min(self._timeout, left)):
                    answer = await self.transport.send(request)
                if len(answer.body) >= BIG:  # read in a loop iteration of its own
                    await self._turns.take()
                return answer, deadline
        except (TransportError, ResponseError) as exc:  # a body over the cap: not read
            return exc, deadline
        except TimeoutError:
            within = (
                f"before the call's {self._call_timeout:g} s deadline (call_timeout)"
                if left < self._timeout
                else f"within {self._timeout:g} s"
            )
            no_answer = f"{request.method} {request.path}: no complete answer {within}"
            return TransportError(no_answer), deadline
        finally:
            if posts is not None:
                posts.release()  # the slot's window starts at the answer, not the send

    def _delay(self, verdict: Retry, attempt: int, tries: int, deadline: float) -> float:
        """Seconds before try ``attempt + 1``, or the error once none is left: after
        ``attempts`` ``tries`` (a single call's every try; a poll's answers in a row that
        cannot be read: its transient failures are not counted) or past the call's deadline.
        A 429 pauses every request of the client for as long."""
        error = verdict.error
        if tries >= self.retry.attempts:
            raise error
        delay = self.retry.delay(attempt, self._rand(), verdict.delay)
        now = _now()
        if verdict.pause_all:
            self.health.pause(now + delay)
        if now + delay >= deadline:
            if now < deadline:
                error.add_note(
                    f"not tried again: the call's {self._call_timeout:g} s deadline"
                    f" (call_timeout) comes before the next try, {delay:.2f} s away"
                )
            raise error
        return delay

    def _spend(self, request: Request, error: EnrowError, attempt: int) -> int:
        """The retry budget's price for one more try of a single call, or its error."""
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
        return cost

    def _judge(
        self, request: Request, answer: Answer, read: Callable[[Response], T]
    ) -> Success[T] | Retry | Fail:
        """The verdict on one attempt. An answer to a read is noted in ``health``: any that
        is not a transient failure (one about one job too) is a sign of life and ends a
        probe; a start's says nothing (one answered while reads fail must not release polls)."""
        verdict = classify(request, answer, read, now_epoch=self._wall())
        if isinstance(verdict, Success) and log.isEnabledFor(logging.DEBUG):
            assert isinstance(answer, Response)
            log.debug("%r -> %d (%d bytes)", request, answer.status, len(answer.body))
        if not request.idempotent:
            return verdict
        health, was_down = self.health, self.health.down
        if isinstance(answer, TransportError) or (
            isinstance(verdict, Retry) and verdict.error.transient
        ):
            health.failed(_now(), self._rand())
            if health.down and not was_down:
                log.info(
                    "the API looks down (%d failures in a row): polls wait, one probe at a time",
                    health.failures,
                    extra={"enrow_outage": True},
                )
        elif health.succeeded():
            log.info("the API answers again: held polls go now", extra={"enrow_outage": False})
            self._recovered.set()  # a pulse: wakes who waits, allocates nothing per answer
            self._recovered.clear()
        self._answered.set()
        self._answered.clear()
        return verdict
