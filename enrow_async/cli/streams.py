"""Where a command writes: ``Streams``, the standard streams of one run.

Data alone goes to ``out`` (the results written to ``-``, what ``account`` and ``sample``
print); every human line (summaries, tables, notes, progress, prompts) goes to ``err``, so
``enrow-async find leads.csv -o - > found.csv`` keeps the CSV clean.
"""

from __future__ import annotations

import asyncio
import contextlib
import sys
import threading
from typing import TextIO

import attrs

__all__ = ["Streams"]


@attrs.frozen
class Streams:
    """Data on ``out``, human lines on ``err``; ``inp`` answers the cost guard's question.

    ``out.buffer`` takes the bytes of ``--format json``/``jsonl`` written to ``-``.
    """

    out: TextIO
    err: TextIO
    inp: TextIO = attrs.field(factory=lambda: sys.stdin)

    def say(self, *lines: str) -> None:
        """Human lines (summary, table): on ``err``, so they never mix with data."""
        for line in lines:
            print(line, file=self.err, flush=True)

    def note(self, message: str) -> None:
        """``enrow-async: message`` on ``err``, at once."""
        print(f"enrow-async: {message}", file=self.err, flush=True)

    def data(self, text: str) -> None:
        """A line of data (``account``, the simulator's address) on ``out``."""
        print(text, file=self.out, flush=True)

    async def answer(self) -> str:
        """One line of ``inp``, read in a daemon thread: the event loop runs meanwhile, so a
        signal is handled at once, and a run that ends unanswered does not wait for it."""
        loop = asyncio.get_running_loop()
        answered: asyncio.Future[str] = loop.create_future()

        def settle(line: str | None, error: BaseException | None) -> None:
            if answered.done():  # the run stopped waiting
                return
            if error is not None:
                answered.set_exception(error)
            else:
                answered.set_result(line or "")

        def read() -> None:
            line, error = None, None
            try:
                line = self.inp.readline()
            except (OSError, ValueError) as exc:  # closed, or not readable
                error = exc
            with contextlib.suppress(RuntimeError):  # the loop is gone: nobody waits
                loop.call_soon_threadsafe(settle, line, error)

        threading.Thread(target=read, name="enrow-async answer", daemon=True).start()
        return await answered

    def interactive(self) -> bool:
        """A person at a terminal can answer a question (stdin and stderr are terminals)."""
        return _isatty(self.inp) and _isatty(self.err)


def _isatty(stream: TextIO | None) -> bool:
    try:
        return stream is not None and stream.isatty()
    except (ValueError, OSError):  # closed or detached
        return False
