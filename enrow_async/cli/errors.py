"""How a command fails: ``CliError`` (one line and an exit status) or ``Interrupted``."""

from __future__ import annotations

__all__ = ["CliError", "Interrupted"]


class CliError(Exception):
    """One line for stderr and an exit status: 2 for bad input or usage, 1 otherwise."""

    def __init__(self, message: str, code: int = 1) -> None:
        super().__init__(message)
        self.code = code


class Interrupted(Exception):
    """A signal (Ctrl-C, SIGTERM, SIGHUP) or a closed stdout ended the run; the message
    says what was kept and how to resume."""
