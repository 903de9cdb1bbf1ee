"""Names the test modules share (importable as ``helpers``: ``tests/`` is on the path).

The fixtures themselves are in ``tests/conftest.py``; these are their types and the paths
the tests count requests by.
"""

from __future__ import annotations

from collections.abc import Callable

from enrow_async import EnrowClient
from enrow_async.testing import EnrowSimulator

__all__ = ["BULK", "GET_BULK", "Connect", "Simulate"]

Connect = Callable[..., EnrowClient]
"""The ``connect`` fixture: ``connect(simulator, key=None, **options)``, an EnrowClient onto
``simulator`` (not yet entered), with the simulator's key unless ``key`` is given, and
seeded jitter (``rand``) unless given: on virtual time a run repeats exactly."""

Simulate = Callable[..., EnrowSimulator]
"""The ``simulate`` fixture: ``simulate(config=None)``, an EnrowSimulator, served or in
memory as ``served`` says."""

BULK = "/email/find/bulk"
"""The email bulk endpoint's path."""

GET_BULK = ("GET", BULK)
"""How the simulator's stats count reads of email batches."""
