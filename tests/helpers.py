"""Names the test modules share (importable as ``helpers``: ``tests/`` is on the path).

The fixtures themselves are in ``tests/conftest.py``; these are their types and the paths
the tests count requests by.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from enrow_async import EnrowClient
from enrow_async.testing import EnrowSimulator

__all__ = ["BULK", "COMPLETED", "GET_BULK", "JIM", "SEARCHES", "Connect", "Simulate"]

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

JIM = [{"fullname": "Jim Halpert", "company_domain": "dundermifflin.com"}]
"""One search, as a bulk start sends it."""

SEARCHES = [
    {"fullname": "Dwight Schrute", "company_domain": "dundermifflin.com"},
    {"fullname": "Jim Halpert", "company_domain": "dundermifflin.com"},
]
"""Two searches."""

COMPLETED: dict[str, Any] = {
    "general": {"id": "b1", "status": "completed"},
    "stats": {
        "finished": 1,
        "requested": 1,
        "valid": 1,
        "credits_cost": {"initial": 1, "refunded": 0, "final": 1},
    },
    "results": [
        {
            "index": "0",
            "qualification": "valid",
            "email": "jim@dundermifflin.com",
            "raw_params": {"fullname": "Jim Halpert", "company_domain": "dundermifflin.com"},
        }
    ],
}
"""A completed batch ``b1`` of one result, as the API sends it."""
