"""Proxies from the environment: HTTPS_PROXY / HTTP_PROXY carry the requests, NO_PROXY and
``trust_env=False`` send them direct, and a proxy that refuses the tunnel is final.

Over real sockets on 127.0.0.1: ``relays.Proxy`` counts what it carries. For ``https``, the
base URL names a host that does not resolve (``enrow.test``): only the proxy's tunnel can
reach it, ending at a TLS relay (a certificate of the test's own authority, ``trustme``)
in front of the served simulator. The suite clears every proxy variable before each test
(``tests/conftest.py``); these tests set their own.
"""

from __future__ import annotations

import base64
import ssl
from collections.abc import AsyncIterator

import aiohttp
import pytest
import trustme
from helpers import JIM, QUICK_POLLS

from enrow_async import (
    AiohttpTransport,
    BatchStatus,
    EnrowClient,
    ProxyError,
    TransportError,
)
from enrow_async._io.proxy import env_proxy
from enrow_async.testing import EnrowSimulator

from .relays import Proxy, Relay

pytestmark = pytest.mark.anyio

HOST = "enrow.test"
"""Resolves nowhere: reached through the proxy's tunnel or not at all."""


@pytest.fixture
def ca() -> trustme.CA:
    return trustme.CA()


@pytest.fixture
async def tls_end(sim: EnrowSimulator, ca: trustme.CA) -> AsyncIterator[Relay]:
    """The simulator behind TLS, with a certificate for ``HOST``."""
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert(HOST).configure_cert(context)
    async with Relay(sim.base_url, tls=context) as relay:
        yield relay


@pytest.fixture
async def trusting(ca: trustme.CA) -> AsyncIterator[aiohttp.ClientSession]:
    """A caller-owned session that trusts the test's authority."""
    context = ssl.create_default_context()
    ca.configure_trust(context)
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(ssl=context)) as session:
        yield session


async def test_https_goes_through_the_proxy_that_https_proxy_names(
    sim: EnrowSimulator,
    tls_end: Relay,
    trusting: aiohttp.ClientSession,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    async with Proxy(("127.0.0.1", tls_end.port)) as proxy:
        monkeypatch.setenv("HTTPS_PROXY", proxy.url.replace("http://", "http://jim:pam@"))
        monkeypatch.setenv("NO_PROXY", "localhost,.example.com")  # not this host
        # A session of one's own (trusting the test CA) goes with the proxy the environment
        # names, as the client's default transport would find it.
        transport = AiohttpTransport(session=trusting, proxy=env_proxy(f"https://{HOST}"))
        async with EnrowClient(
            sim.api_key, base_url=f"https://{HOST}", transport=transport, poll_policy=QUICK_POLLS
        ) as client:
            job = await client.start_bulk_search(JIM)
            batch = await client.wait_for_batch(job.id, timeout=30)
            assert batch.status is BatchStatus.COMPLETED
    assert proxy.tunnels
    assert set(proxy.tunnels) == {f"{HOST}:443"}
    assert set(proxy.credentials) == {"Basic " + base64.b64encode(b"jim:pam").decode()}


@pytest.mark.parametrize(
    ("variables", "proxied"),
    [
        ({"HTTP_PROXY": "{proxy}"}, True),
        ({"http_proxy": "{proxy}"}, True),
        ({"HTTP_PROXY": "{proxy}", "NO_PROXY": "example.com"}, True),
        ({"HTTP_PROXY": "{proxy}", "NO_PROXY": "127.0.0.1"}, False),
        ({"HTTP_PROXY": "{proxy}", "NO_PROXY": "localhost, 127.0.0.1"}, False),
        ({"HTTP_PROXY": "{proxy}", "no_proxy": "*"}, False),
        ({"HTTPS_PROXY": "{proxy}"}, False),  # for https URLs only
    ],
)
async def test_http_proxy_and_no_proxy(
    sim: EnrowSimulator,
    monkeypatch: pytest.MonkeyPatch,
    variables: dict[str, str],
    proxied: bool,
) -> None:
    async with Proxy() as proxy:
        for name, value in variables.items():
            monkeypatch.setenv(name, value.format(proxy=proxy.url))
        async with EnrowClient(sim.api_key, base_url=sim.base_url) as client:
            job = await client.start_bulk_search(JIM)
            await client.get_bulk_results(job.id)
    carried = [line.split(" ")[:2] for line in proxy.forwarded]
    if proxied:
        assert carried == [
            ["POST", f"{sim.base_url}/email/find/bulk"],
            ["GET", f"{sim.base_url}/email/find/bulk?id={job.id}"],
        ]
    else:
        assert carried == []


async def test_trust_env_false_ignores_the_environment(
    sim: EnrowSimulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    async with Proxy() as proxy:
        monkeypatch.setenv("HTTP_PROXY", proxy.url)
        async with EnrowClient(sim.api_key, base_url=sim.base_url, trust_env=False) as client:
            await client.account.info()
    assert proxy.forwarded == []


@pytest.mark.parametrize("status", [403, 407])
async def test_a_proxy_refusing_the_tunnel_ends_calls_and_waits_at_once(
    sim: EnrowSimulator,
    trusting: aiohttp.ClientSession,
    monkeypatch: pytest.MonkeyPatch,
    status: int,
) -> None:
    batch_id = sim.add_batch(JIM, duration=0.1)
    async with Proxy(refuse=status) as proxy:
        monkeypatch.setenv("HTTPS_PROXY", proxy.url)
        transport = AiohttpTransport(session=trusting, proxy=proxy.url)
        async with EnrowClient(
            sim.api_key, base_url=f"https://{HOST}", transport=transport, poll_policy=QUICK_POLLS
        ) as client:
            with pytest.raises(ProxyError) as read:
                await client.get_bulk_results(batch_id)
            assert len(proxy.tunnels) == 1, "one attempt, no retry"
            with pytest.raises(ProxyError):
                await client.wait_for_batch(batch_id)  # a 1 h deadline: not waited for
            assert len(proxy.tunnels) == 2
            with pytest.raises(ProxyError):
                await client.start_bulk_search(JIM)
            assert len(proxy.tunnels) == 3
    error = read.value
    assert isinstance(error, TransportError)
    assert not error.transient
    assert error.status == status
    assert f"https://{HOST}" in str(error)
    assert "HTTPS_PROXY" in str(error)
