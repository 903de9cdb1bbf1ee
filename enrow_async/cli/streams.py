"""Where a command writes: :class:`Streams`, the standard output and error of one run."""

from __future__ import annotations

from typing import TextIO

import attrs

__all__ = ["Streams"]


@attrs.frozen
class Streams:
    """Results and summaries go to ``out``, notes and errors to ``err``.

    ``out.buffer`` takes the bytes of ``--format json``/``jsonl`` written to ``-``.
    """

    out: TextIO
    err: TextIO

    def say(self, text: str = "") -> None:
        """A line of the summary, on ``out``."""
        print(text, file=self.out)

    def note(self, message: str) -> None:
        """``enrow-async: message`` on ``err``, at once."""
        print(f"enrow-async: {message}", file=self.err, flush=True)
