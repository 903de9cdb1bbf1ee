"""``python -m enrow_async.testing`` as a separate process, and the pytest fixtures."""

from __future__ import annotations

import asyncio
import sys

import aiohttp
import pytest

from enrow_async.testing import EnrowSimulator

pytestmark = pytest.mark.anyio

SEARCH = {"fullname": "Jim Halpert", "company_domain": "dundermifflin.com"}


async def test_module_serves_until_terminated() -> None:
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "enrow_async.testing",
        "--port=0",
        "--key=proc-key",
        "--duration=0",
        "--index-as=int",
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    try:
        assert process.stdout is not None
        async with asyncio.timeout(10):
            url = (await process.stdout.readline()).decode().strip()
        assert url.startswith("http://127.0.0.1:")
        async with aiohttp.ClientSession(url, headers={"x-api-key": "proc-key"}) as http:
            async with http.post("/email/find/bulk", json={"searches": [SEARCH]}) as response:
                assert response.status == 201
                batch_id = (await response.json())["id"]
            async with http.get("/email/find/bulk", params={"id": batch_id}) as response:
                body = await response.json()
            async with http.get("/_simulator/stats") as response:
                stats = await response.json()
    finally:
        process.terminate()
        _, stderr = await process.communicate()
    assert body["results"][0]["index"] == 0
    assert stats["batches_created"] == 1
    assert stats["created"] == {"/email/find/bulk": 1}
    assert stats["requests"] == {"GET /email/find/bulk": 1, "POST /email/find/bulk": 1}
    assert process.returncode == 0
    assert b"Enrow simulator at" in stderr


async def test_fixtures_serve_a_default_simulator(
    enrow_simulator: EnrowSimulator, enrow_base_url: str
) -> None:
    assert enrow_base_url == enrow_simulator.base_url
    assert enrow_simulator.api_key == "sim-key"
    async with (
        aiohttp.ClientSession() as http,
        http.get(f"{enrow_base_url}/account/info", headers={"x-api-key": "sim-key"}) as response,
    ):
        assert response.status == 200


async def test_a_taken_port_fails_cleanly(enrow_simulator: EnrowSimulator) -> None:
    port = int(enrow_simulator.base_url.rsplit(":", 1)[1])
    second = EnrowSimulator(port=port)
    with pytest.raises(OSError, match="address already in use"):
        await second.start()
    with pytest.raises(RuntimeError, match="not running"):
        _ = second.base_url
