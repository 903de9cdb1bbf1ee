"""The ``enrow-async`` command line (also ``python -m enrow_async``)."""

from .app import main, run

__all__ = ["main", "run"]
