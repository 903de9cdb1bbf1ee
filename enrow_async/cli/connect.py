"""What opens the client of a command: the real API (key from the environment or a file),
or, with ``--sandbox``, a simulator started for this run."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from pathlib import Path
from typing import Protocol

from enrow_async import EnrowClient

from .errors import CliError
from .streams import Streams

__all__ = ["SANDBOX_DURATION", "ClientFactory", "Connect", "api_key", "connector"]

SANDBOX_DURATION = (2.0, 6.0)
"""Seconds a batch takes in the ``--sandbox`` simulator."""

Connect = Callable[[], AbstractAsyncContextManager[EnrowClient]]
"""Opens the client a command talks through (once per command)."""


class ClientFactory(Protocol):
    """Builds the client from the command line's options:
    [EnrowClient][enrow_async.EnrowClient] itself, or in tests one with other options (a
    faster poll policy, say)."""

    def __call__(
        self, api_key: str, *, base_url: str = ..., max_in_flight: int = ...
    ) -> EnrowClient: ...


def api_key(key_file: Path | None) -> str:
    """The key in ``key_file``, else in ``ENROW_API_KEY``; exit 2 if there is none."""
    if key_file is not None:
        try:
            key = key_file.read_text(encoding="utf-8-sig").strip()
        except OSError as exc:
            raise CliError(
                f"{key_file}: cannot read the key file ({exc.strerror or exc})", 2
            ) from None
        if not key:
            raise CliError(f"{key_file}: the key file is empty", 2)
        return key
    key = os.environ.get("ENROW_API_KEY", "").strip()
    if not key:
        raise CliError("no API key: set ENROW_API_KEY, use --key-file, or try --sandbox", 2)
    return key


def connector(
    *,
    sandbox: bool,
    base_url: str | None,
    key_file: Path | None,
    concurrency: int,
    streams: Streams,
    client: ClientFactory = EnrowClient,
    sandbox_duration: tuple[float, float] = SANDBOX_DURATION,
) -> Connect:
    """The client's opener. Without ``sandbox`` the client is built at once, so a missing
    key or a bad URL is refused (ConfigurationError) before any work."""
    if not sandbox:
        url = {} if base_url is None else {"base_url": base_url}
        built = client(api_key(key_file), **url, max_in_flight=concurrency)
        return lambda: built
    if base_url is not None:
        raise CliError("--sandbox and --base-url exclude each other", 2)

    @asynccontextmanager
    async def simulated() -> AsyncIterator[EnrowClient]:
        from enrow_async.testing import EnrowSimulator, SimulatorConfig

        config = SimulatorConfig(duration=sandbox_duration)
        async with EnrowSimulator(config, host="127.0.0.1", port=0) as sim:
            streams.note(
                f"sandbox: the built-in simulator at {sim.base_url} (made-up results, no credits)"
            )
            opened = client(sim.api_key, base_url=sim.base_url, max_in_flight=concurrency)
            async with opened:
                yield opened

    return simulated
