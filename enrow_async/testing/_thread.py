"""The simulator served from a background thread with its own event loop, for sync code."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import ExitStack
from typing import Self, TypeVar

from anyio.from_thread import BlockingPortal, start_blocking_portal

from ._config import SimulatorConfig
from ._server import EnrowSimulator

T = TypeVar("T")


class SimulatorThread:
    """An [EnrowSimulator][enrow_async.testing.EnrowSimulator] on 127.0.0.1 served by an
    event loop in its own thread.

    For tests and scripts that are not async themselves (code under test that calls
    ``asyncio.run`` or ``anyio.run``, a subprocess, a sync HTTP library). The simulator's
    state belongs to its loop: reach it through
    [call][enrow_async.testing.SimulatorThread.call], which runs a function on that loop's
    thread and returns its result.

    >>> with SimulatorThread() as served:  # doctest: +SKIP
    ...     batch_id = served.call(lambda sim: sim.add_batch(searches))
    ...     asyncio.run(my_code(served.base_url, served.api_key, batch_id))
    """

    def __init__(
        self, config: SimulatorConfig | None = None, *, host: str = "127.0.0.1", port: int = 0
    ) -> None:
        self._simulator = EnrowSimulator(config, host=host, port=port)
        self._stack: ExitStack | None = None
        self._portal: BlockingPortal | None = None
        self._base_url = ""

    def __repr__(self) -> str:
        return f"SimulatorThread({self._base_url or 'not started'})"

    @property
    def base_url(self) -> str:
        """``http://127.0.0.1:<port>`` while running."""
        self._running()
        return self._base_url

    @property
    def api_key(self) -> str:
        """The only key the simulator accepts."""
        return self._simulator.api_key

    def call(self, func: Callable[[EnrowSimulator], T]) -> T:
        """``func(simulator)``, run on the simulator's thread; its result (or exception).

        >>> served.call(lambda sim: sim.stats.batches_created)  # doctest: +SKIP
        """
        return self._running().call(func, self._simulator)

    def _running(self) -> BlockingPortal:
        """The portal to the simulator's loop; RuntimeError while the thread is not running
        (what ``base_url`` and ``call`` check first)."""
        if self._portal is None:
            raise RuntimeError("the simulator thread is not running: use `with SimulatorThread()`")
        return self._portal

    def start(self) -> None:
        """Start the thread and the simulator on it (``with`` does this)."""
        if self._stack is not None:
            raise RuntimeError("the simulator thread is already running")
        with ExitStack() as stack:
            portal = stack.enter_context(start_blocking_portal("asyncio"))
            stack.enter_context(portal.wrap_async_context_manager(self._simulator))
            self._base_url = self._simulator.base_url
            self._portal, self._stack = portal, stack.pop_all()

    def close(self) -> None:
        """Stop the simulator, then its loop and thread."""
        stack, self._stack, self._portal = self._stack, None, None
        if stack is not None:
            stack.close()
        self._base_url = ""

    def __enter__(self) -> Self:
        self.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()
