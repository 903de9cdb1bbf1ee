"""How a command is interrupted: a signal, or the reader of its stdout going away.

SIGINT (Ctrl-C), SIGTERM (``kill``, ``docker stop``, a cancelled CI job) and SIGHUP (a
closed terminal or SSH session) cancel the running command at its next await; so does a
closed stdout pipe when the command writes its data there (``-o - | reader`` whose reader
has gone), seen before anything is written to it. A POST that starts a paid batch is
shielded for a short grace period (cut short by a second signal), so its id can still be
recorded in the journal; without an answer the journal marks it unknown. The command then
ends with ``Interrupted`` and exits 128 + the signal's number: 130, 143, 129, and 141 for
the closed pipe (as a shell reports SIGPIPE).

A signal ignored when the command starts (``nohup``, ``trap '' HUP``) stays ignored.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import select
import signal
import stat
from collections.abc import Awaitable, Callable
from typing import TextIO, TypeVar

import anyio

from enrow_async import RecordError

from .errors import Interrupted

__all__ = ["BROKEN_PIPE", "GRACE", "Interrupt", "pipe_of", "run_interruptible"]

T = TypeVar("T")

GRACE = 5.0
"""Seconds a POST already on its way may still take after a signal (a second one: none)."""

BROKEN_PIPE = 128 + signal.SIGPIPE if hasattr(signal, "SIGPIPE") else 1
"""Exit status when stdout's reader went away (``| head``), as a shell reports SIGPIPE."""

_SIGNALS = tuple(
    getattr(signal, name) for name in ("SIGINT", "SIGTERM", "SIGHUP") if hasattr(signal, name)
)


class Interrupt:
    """Turns a signal or a closed stdout into cancellation of one command.

    ``cause`` is the first signal (SIGPIPE for the closed pipe); ``hint(ended)`` describes
    what to do next, led by how the run ended ("interrupted", or "stopped" after a failure;
    set by the command, keeping its record where the hint names it); ``posts`` counts the
    paid POSTs sent through ``shielded``."""

    def __init__(self) -> None:
        self.cause: signal.Signals | None = None
        self.posts: int = 0
        self.scope: anyio.CancelScope | None = None
        self.hint: Callable[[str], str] = lambda ended: "nothing was started"
        self._guards: set[anyio.CancelScope] = set()

    @property
    def fired(self) -> bool:
        return self.cause is not None

    @property
    def status(self) -> int:
        """The exit status: 128 + the cause's number (130 before any cause is known)."""
        return 128 + (self.cause or signal.SIGINT)

    def reason(self) -> str:
        """What happened, for the line before the hint ("" for Ctrl-C, the usual case)."""
        if self.cause is None or self.cause == signal.SIGINT:
            return ""
        if self.cause == getattr(signal, "SIGPIPE", None):
            return "stdout closed"
        return self.cause.name

    def advice(self, ended: str = "interrupted") -> str:
        """``hint(ended)``; if keeping the record fails (its folder gone, a full disk), that."""
        try:
            return self.hint(ended)
        except RecordError as error:
            return (
                f"{ended}; the run's record could not be kept ({error}): batches it"
                " started keep running, see your Enrow dashboard before running it again"
            )

    def fire(self, cause: signal.Signals = signal.SIGINT) -> None:
        """Cancel the command; the first call gives a POST on its way GRACE seconds to be
        answered, a second one none."""
        deadline = anyio.current_time() + (0.0 if self.fired else GRACE)
        if self.cause is None:
            self.cause = cause
        if self.scope is not None:
            self.scope.cancel()
        for guard in self._guards:
            guard.deadline = min(guard.deadline, deadline)

    async def shielded(self, call: Callable[[], Awaitable[T]]) -> T:
        """Await ``call()``, a POST that starts a paid job, through a signal for up to GRACE
        seconds, so its answer can be recorded. Nothing new starts after a signal."""
        await anyio.lowlevel.checkpoint()
        self.posts += 1
        with anyio.CancelScope(shield=True) as scope:
            self._guards.add(scope)
            try:
                return await call()
            finally:
                self._guards.discard(scope)
        await anyio.lowlevel.checkpoint()  # the grace ran out: the signal takes effect here
        raise Interrupted(self.advice())


def pipe_of(stream: TextIO) -> int | None:
    """The file descriptor under ``stream`` if it is a pipe that can be watched (POSIX)."""
    if not hasattr(select, "poll"):
        return None
    try:
        fd = stream.fileno()
        return fd if stat.S_ISFIFO(os.fstat(fd).st_mode) else None
    except (OSError, ValueError):  # io.StringIO and the like, or a closed stream
        return None


def _reader_gone(fd: int) -> bool:
    """The pipe ``fd`` writes to has no reader left: poll() says POLLERR or POLLHUP."""
    poller = select.poll()
    poller.register(fd, 0)  # errors and hang-ups are always reported
    return any(events & (select.POLLERR | select.POLLHUP) for _, events in poller.poll(0))


def _watching(interrupt: Interrupt, pipe: int | None, signals: bool) -> contextlib.ExitStack:
    """Fire ``interrupt`` from the event loop's own handlers, until the stack is closed: on
    a signal not ignored when the command starts (``signals``), and once the reader of the
    pipe ``pipe`` has gone, seen without writing to it. What a loop cannot watch (signals
    and pipes on Windows) is left alone: KeyboardInterrupt still works there."""
    loop, watching = asyncio.get_running_loop(), contextlib.ExitStack()
    with contextlib.suppress(NotImplementedError):
        for number in (s for s in _SIGNALS if signals and signal.getsignal(s) != signal.SIG_IGN):
            loop.add_signal_handler(number, interrupt.fire, number)
            watching.callback(loop.remove_signal_handler, number)

    def woken(fd: int) -> None:  # the write end of a pipe is never readable: an error
        loop.remove_reader(fd)
        if _reader_gone(fd):
            interrupt.fire(signal.SIGPIPE)

    with contextlib.suppress(NotImplementedError, OSError):
        if pipe is not None:
            loop.add_reader(pipe, woken, pipe)
            watching.callback(loop.remove_reader, pipe)
    return watching


async def run_interruptible(
    command: Callable[[Interrupt], Awaitable[int]],
    interrupt: Interrupt,
    pipe: int | None = None,
    *,
    signals: bool = False,
) -> int:
    """Run ``command``; with ``signals`` (the process is the command's: ``run``), a signal,
    or the reader of the pipe ``pipe`` (its stdout) going away, cancels it and raises
    Interrupted with its resume hint. An error it raises once interrupted is part of the
    interruption (a terminal that hung up, say). Without ``signals`` the host's own signal
    handlers stay as they are (``run_async`` in someone else's event loop)."""
    scope = interrupt.scope = anyio.CancelScope()
    try:
        with _watching(interrupt, pipe, signals), scope:
            code = await command(interrupt)
    except Exception as error:
        if not interrupt.fired:
            raise
        raise Interrupted(interrupt.advice()) from error
    if scope.cancelled_caught:
        raise Interrupted(interrupt.advice())
    return code
