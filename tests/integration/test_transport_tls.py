"""Certificate failures are final: a call or a wait that meets one ends at once.

Over real TLS on 127.0.0.1: a ``Relay`` terminates TLS in front of the served simulator
with a certificate of the test's own authority (``trustme``) and counts the connections it
accepts, so "at once" is counted in attempts, not measured in seconds. A certificate the
client does not trust, or one issued for another host, raises ``TLSError`` (not transient)
after one attempt, from a read, a start and every kind of wait.
"""

from __future__ import annotations

import asyncio
import ssl
from collections.abc import AsyncIterator, Awaitable, Callable

import aiohttp
import pytest
import trustme
from helpers import JIM, QUICK_POLLS, QUICK_RETRY

from enrow_async import (
    AiohttpTransport,
    BatchTimeoutError,
    EnrowClient,
    TLSError,
    TransportError,
)
from enrow_async.testing import EnrowSimulator

from .relays import Relay

pytestmark = pytest.mark.anyio


Call = Callable[[EnrowClient, str], Awaitable[object]]


async def each(stream: AsyncIterator[object]) -> list[object]:
    return [item async for item in stream]


CALLS: dict[str, Call] = {
    "get_bulk_results": lambda client, batch_id: client.get_bulk_results(batch_id),
    "wait_for_batch": lambda client, batch_id: client.wait_for_batch(batch_id),  # 1 h deadline
    "wait_for_batches": lambda client, batch_id: each(client.wait_for_batches([batch_id])),
    "watch_batch": lambda client, batch_id: each(client.watch_batch(batch_id)),
    "start_bulk_search": lambda client, _: client.start_bulk_search(JIM),
    "find_emails": lambda client, _: client.find_emails(JIM),
}


def serving(ca: trustme.CA, host: str) -> ssl.SSLContext:
    """A server context with a certificate that ``ca`` issued for ``host``."""
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert(host).configure_cert(context)
    return context


def trusting(ca: trustme.CA) -> ssl.SSLContext:
    context = ssl.create_default_context()
    ca.configure_trust(context)
    return context


@pytest.fixture
def ca() -> trustme.CA:
    return trustme.CA()


async def test_a_trusted_certificate_for_the_host_works(
    sim: EnrowSimulator, ca: trustme.CA
) -> None:
    """The control: the same relay, trusted and rightly named, serves every call."""
    batch_id = sim.add_batch(JIM, duration=0.1)
    async with (
        Relay(sim.base_url, tls=serving(ca, "127.0.0.1")) as relay,
        aiohttp.ClientSession(connector=aiohttp.TCPConnector(ssl=trusting(ca))) as own,
        EnrowClient(
            sim.api_key,
            base_url=relay.url,
            transport=AiohttpTransport(session=own),
            poll_policy=QUICK_POLLS,
        ) as client,
    ):
        for call in CALLS.values():
            assert await call(client, batch_id)
    assert relay.accepted >= 1


@pytest.mark.parametrize("call", sorted(CALLS))
async def test_an_untrusted_certificate_ends_every_call_at_once(
    sim: EnrowSimulator, ca: trustme.CA, call: str
) -> None:
    batch_id = sim.add_batch(JIM, duration=0.1)
    async with Relay(sim.base_url, tls=serving(ca, "127.0.0.1")) as relay:
        client = EnrowClient(sim.api_key, base_url=relay.url, poll_policy=QUICK_POLLS)
        async with client:  # the system's authorities only: trustme's CA is not one
            with pytest.raises(TLSError) as info:
                await CALLS[call](client, batch_id)
        assert relay.accepted == 1, "one attempt, no retry, no polling on"
    assert_names_host_and_cause(info.value, relay, "unable to get local issuer certificate")
    assert sim.stats.created == {}


@pytest.mark.parametrize("call", sorted(CALLS))
async def test_a_certificate_for_another_host_ends_every_call_at_once(
    sim: EnrowSimulator, ca: trustme.CA, call: str
) -> None:
    batch_id = sim.add_batch(JIM, duration=0.1)
    async with (
        Relay(sim.base_url, tls=serving(ca, "api.enrow.io")) as relay,
        aiohttp.ClientSession(connector=aiohttp.TCPConnector(ssl=trusting(ca))) as own,
    ):
        async with EnrowClient(
            sim.api_key,
            base_url=relay.url,
            transport=AiohttpTransport(session=own),
            poll_policy=QUICK_POLLS,
        ) as client:
            with pytest.raises(TLSError) as info:
                await CALLS[call](client, batch_id)
        assert relay.accepted == 1, "one attempt, no retry, no polling on"
    assert_names_host_and_cause(info.value, relay, "not valid for '127.0.0.1'")
    assert sim.stats.created == {}


async def test_a_server_without_tls_on_an_https_url_is_final(sim: EnrowSimulator) -> None:
    batch_id = sim.add_batch(JIM, duration=0.1)
    url = sim.base_url.replace("http://", "https://")  # the simulator speaks plain HTTP
    async with EnrowClient(sim.api_key, base_url=url, poll_policy=QUICK_POLLS) as client:
        with pytest.raises(TLSError, match="does the server speak https") as info:
            await client.get_bulk_results(batch_id)
        with pytest.raises(TLSError):
            await client.wait_for_batch(batch_id)
    assert not info.value.transient


def assert_names_host_and_cause(error: TLSError, relay: Relay, cause: str) -> None:
    assert isinstance(error, TransportError)
    assert not error.transient
    assert not error.request_sent
    assert f"127.0.0.1:{relay.port}" in str(error)
    assert cause in str(error)
    assert type(error.__cause__).__module__.startswith("aiohttp")


async def test_a_connection_dropped_during_the_handshake_stays_transient() -> None:
    """An ordinary outage on https: retried by a call, polled through by a wait."""
    accepted = 0

    async def drop(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        nonlocal accepted
        accepted += 1
        writer.close()

    server = await asyncio.start_server(drop, "127.0.0.1", 0)
    url = f"https://127.0.0.1:{server.sockets[0].getsockname()[1]}"
    async with server, EnrowClient("k", base_url=url, retry=QUICK_RETRY) as client:
        with pytest.raises(TransportError) as info:
            await client.get_bulk_results("b")
        assert accepted == QUICK_RETRY.attempts
        assert info.value.transient
        assert not isinstance(info.value, TLSError)
        with pytest.raises(BatchTimeoutError):
            await client.wait_for_batch("b", timeout=0.5)
