"""Unit tests run on virtual time: the loop's clock jumps whenever every task waits."""

from __future__ import annotations

from typing import Any

import pytest

from enrow_async.testing import VirtualClockLoop


@pytest.fixture
def anyio_backend() -> Any:
    return ("asyncio", {"loop_factory": VirtualClockLoop})
