"""Pytest fixtures serving the Enrow simulator. Opt in with one line in ``conftest.py``::

    pytest_plugins = ["enrow_async.testing.pytest_plugin"]

(It is not loaded into every pytest run of your environment.)

Async tests, whichever plugin runs them: pytest-asyncio in strict mode
(``@pytest.mark.asyncio``) or auto mode, or anyio's (``@pytest.mark.anyio``, asyncio
backend). Each fixture runs on the test's own event loop:

- ``enrow_simulator``: a running [EnrowSimulator][enrow_async.testing.EnrowSimulator] on
  127.0.0.1, a free port;
- ``enrow_base_url``: its base URL;
- ``enrow_client``: an open [EnrowClient][enrow_async.EnrowClient] onto it;
- ``enrow_memory_simulator``: a running simulator that opens no socket, and
  ``enrow_memory_transport``: a [MemoryTransport][enrow_async.testing.MemoryTransport]
  onto it, for ``EnrowClient(sim.api_key, base_url=sim.base_url, transport=...)``; on
  [VirtualClockLoop][enrow_async.testing.VirtualClockLoop] (``anyio_backend = ("asyncio",
  {"loop_factory": VirtualClockLoop})``) its time is virtual.

Synchronous tests (and any other):

- ``enrow_simulator_thread``: a running
  [SimulatorThread][enrow_async.testing.SimulatorThread], the simulator served on 127.0.0.1
  by an event loop in a background thread (``.base_url``, ``.api_key``,
  ``.call(lambda sim: ...)``).

All are configured by ``enrow_simulator_config``, a
[SimulatorConfig][enrow_async.testing.SimulatorConfig]: override this fixture in a
``conftest.py`` or test module to change it.

>>> @pytest.mark.asyncio                                        # doctest: +SKIP
... async def test_find(enrow_simulator: EnrowSimulator, enrow_client: EnrowClient) -> None:
...     batch = await enrow_client.wait_for_batch(enrow_simulator.add_batch([...]))

Importing this module loads only pytest; the simulator is imported by the first fixture
that needs it.
"""

from __future__ import annotations

import asyncio
import importlib
import inspect
from collections.abc import AsyncIterator, Callable, Iterator
from importlib import metadata
from typing import TYPE_CHECKING, Any, TypeVar

import pytest

if TYPE_CHECKING:
    from enrow_async import EnrowClient

    from ._config import SimulatorConfig
    from ._memory import MemoryTransport
    from ._server import EnrowSimulator
    from ._thread import SimulatorThread

F = TypeVar("F", bound=Callable[..., Any])

_LOOP_SCOPES = ("function", "class", "module", "package", "session")


@pytest.fixture
def enrow_simulator_config() -> SimulatorConfig:
    """The configuration of every simulator fixture: defaults; override to change."""
    from ._config import SimulatorConfig

    return SimulatorConfig()


@pytest.fixture
def enrow_simulator(request: pytest.FixtureRequest) -> EnrowSimulator:
    """A running simulator on 127.0.0.1 and a free port, on the test's event loop; closed
    after the test."""
    simulator: EnrowSimulator = request.getfixturevalue(_on_test_loop(request, "simulator"))
    return simulator


@pytest.fixture
def enrow_base_url(enrow_simulator: EnrowSimulator) -> str:
    """``http://127.0.0.1:<port>`` of the running ``enrow_simulator``."""
    return enrow_simulator.base_url


@pytest.fixture
def enrow_client(request: pytest.FixtureRequest) -> EnrowClient:
    """An open [EnrowClient][enrow_async.EnrowClient] onto ``enrow_simulator`` with its key, on
    the test's event loop; closed after the test."""
    client: EnrowClient = request.getfixturevalue(_on_test_loop(request, "client"))
    return client


@pytest.fixture
def enrow_memory_simulator(request: pytest.FixtureRequest) -> EnrowSimulator:
    """A running simulator kept in memory (no socket), on the test's event loop; closed
    after the test."""
    simulator: EnrowSimulator = request.getfixturevalue(_on_test_loop(request, "memory_simulator"))
    return simulator


@pytest.fixture
def enrow_memory_transport(enrow_memory_simulator: EnrowSimulator) -> MemoryTransport:
    """A MemoryTransport onto ``enrow_memory_simulator``."""
    from ._memory import MemoryTransport

    return MemoryTransport(enrow_memory_simulator)


@pytest.fixture
def enrow_simulator_thread(
    enrow_simulator_config: SimulatorConfig,
) -> Iterator[SimulatorThread]:
    """A running [SimulatorThread][enrow_async.testing.SimulatorThread] (the simulator on
    127.0.0.1, a free port, served by its own loop in a background thread), for synchronous
    tests; closed after the test."""
    from ._thread import SimulatorThread

    with SimulatorThread(enrow_simulator_config) as served:
        yield served


# What the async fixtures do, once each; the plugin that runs the test runs them.


async def _serve(enrow_simulator_config: SimulatorConfig) -> AsyncIterator[EnrowSimulator]:
    from ._server import EnrowSimulator

    async with EnrowSimulator(enrow_simulator_config, host="127.0.0.1", port=0) as simulator:
        yield simulator


async def _keep_in_memory(
    enrow_simulator_config: SimulatorConfig,
) -> AsyncIterator[EnrowSimulator]:
    from ._server import EnrowSimulator

    async with EnrowSimulator(enrow_simulator_config, serve=False) as simulator:
        yield simulator


async def _open_client(enrow_simulator: EnrowSimulator) -> AsyncIterator[EnrowClient]:
    from enrow_async import EnrowClient

    async with EnrowClient(enrow_simulator.api_key, base_url=enrow_simulator.base_url) as client:
        yield client


_IMPLEMENTATIONS: dict[str, Callable[..., AsyncIterator[Any]]] = {
    "simulator": _serve,
    "memory_simulator": _keep_in_memory,
    "client": _open_client,
}


def _on_test_loop(request: pytest.FixtureRequest, kind: str) -> str:
    """The name of the private fixture that makes ``kind`` on the loop that runs this
    test: pytest-asyncio's (its loop scope) or anyio's; a usage error for other tests."""
    node = request.node
    if _pytest_asyncio is not None and _pytest_asyncio.is_async_test(node):
        marker = node.get_closest_marker("asyncio")
        scope = None
        if marker is not None:
            scope = marker.kwargs.get("loop_scope") or marker.kwargs.get("scope")
        name = f"_enrow_{kind}_asyncio_{scope or _default_test_loop_scope(request.config)}"
        # Claimed by anyio's plugin too (auto mode and an anyio mark): pytest-asyncio runs
        # the test, but anyio's would run an async fixture, on its own loop.
        if "anyio_backend" not in request.fixturenames:
            return name
        if int(metadata.version("pytest-asyncio").split(".")[0]) < 1:
            pytest.fail(
                f"enrow_{kind}: before pytest-asyncio 1.0, a test that both pytest-asyncio "
                "(auto mode) and anyio claim cannot share its loop with the fixtures: "
                "mark it for one of them only",
                pytrace=False,
            )
        return name + "_beside_anyio"
    if "anyio_backend" in request.fixturenames and inspect.iscoroutinefunction(
        getattr(node, "function", None)
    ):
        backend = request.getfixturevalue("anyio_backend")
        name = backend if isinstance(backend, str) else backend[0]
        if name != "asyncio":
            pytest.fail(
                f"enrow_{kind} needs the asyncio backend (aiohttp runs on asyncio only); "
                f"this test runs on {name!r}",
                pytrace=False,
            )
        return f"_enrow_{kind}_anyio"
    pytest.fail(
        f"enrow_{kind} runs on the test's event loop: request it from an async test run by "
        "pytest-asyncio (@pytest.mark.asyncio, or asyncio_mode = auto) or by anyio "
        "(@pytest.mark.anyio); a synchronous test uses enrow_simulator_thread",
        pytrace=False,
    )


def _default_test_loop_scope(config: pytest.Config) -> str:
    try:
        scope = config.getini("asyncio_default_test_loop_scope")
    except ValueError:  # a pytest-asyncio without the option: function-scoped loops
        return "function"
    return str(scope or "function")


def _variant(kind: str) -> Callable[..., AsyncIterator[Any]]:
    """A new async generator function doing what ``kind`` does, with its parameters (the
    fixtures it needs), for anyio's plugin to run: it runs the whole of it in one task."""
    implementation = _IMPLEMENTATIONS[kind]

    async def fixture(**fixtures: Any) -> AsyncIterator[Any]:
        async for value in implementation(**fixtures):
            yield value

    return _named(fixture, kind)


def _held_variant(kind: str) -> Callable[..., AsyncIterator[Any]]:
    """The same for pytest-asyncio, which runs a fixture's setup and its teardown in two
    tasks: the fixture's work runs in one task of its own, kept from setup to teardown (the
    client's task group must be left in the task that entered it)."""
    implementation = _IMPLEMENTATIONS[kind]

    async def fixture(**fixtures: Any) -> AsyncIterator[Any]:
        holder = _Holder(implementation(**fixtures))
        yield await holder.start()
        await holder.stop()

    return _named(fixture, kind)


def _held_beside_anyio_variant(kind: str) -> Callable[..., Iterator[Any]]:
    """The same as a synchronous generator function, for tests both plugins claim:
    pytest-asyncio (1.0 and later) calls it with the loop of its loop scope set as the
    current one, and anyio's plugin leaves it alone."""
    implementation = _IMPLEMENTATIONS[kind]

    def fixture(**fixtures: Any) -> Iterator[Any]:
        loop = asyncio.get_event_loop()
        holder = _Holder(implementation(**fixtures))
        yield loop.run_until_complete(holder.start())
        loop.run_until_complete(holder.stop())

    return _named(fixture, kind)


class _Holder:
    """Runs an async generator fixture's body in a task of its own: up to its ``yield``
    on ``start``, the rest on ``stop``."""

    def __init__(self, body: AsyncIterator[Any]) -> None:
        self._body = body
        self._release = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    async def start(self) -> Any:
        ready: asyncio.Future[Any] = asyncio.get_running_loop().create_future()

        async def hold() -> None:
            async for value in self._body:
                ready.set_result(value)
                await self._release.wait()

        self._task = task = asyncio.create_task(hold())
        await asyncio.wait({task, ready}, return_when=asyncio.FIRST_COMPLETED)
        if not ready.done():
            await task  # it failed before yielding: raise why
        return ready.result()

    async def stop(self) -> None:
        self._release.set()
        if self._task is not None:
            await self._task


def _named(fixture: F, kind: str) -> F:
    fixture.__signature__ = inspect.signature(_IMPLEMENTATIONS[kind])  # type: ignore[attr-defined]
    fixture.__name__ = fixture.__qualname__ = f"enrow_{kind}"
    return fixture


try:
    _pytest_asyncio: Any = importlib.import_module("pytest_asyncio")
except ImportError:
    _pytest_asyncio = None

for _kind in _IMPLEMENTATIONS:
    # anyio's plugin runs an async fixture for the tests it runs (those asking for
    # ``anyio_backend``), on the test's runner.
    globals()[f"_enrow_{_kind}_anyio"] = pytest.fixture(
        _variant(_kind), name=f"_enrow_{_kind}_anyio"
    )
    if _pytest_asyncio is not None:
        # pytest-asyncio runs only the fixtures marked as its own in strict mode, on the
        # loop of the scope they name.
        for _scope in _LOOP_SCOPES:
            _name = f"_enrow_{_kind}_asyncio_{_scope}"
            globals()[_name] = _pytest_asyncio.fixture(
                _held_variant(_kind), name=_name, loop_scope=_scope
            )
            globals()[_name + "_beside_anyio"] = _pytest_asyncio.fixture(
                _held_beside_anyio_variant(_kind),
                name=_name + "_beside_anyio",
                loop_scope=_scope,
            )
