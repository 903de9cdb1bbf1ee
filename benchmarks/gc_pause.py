"""Does pausing the cyclic GC around a large body save CPU, or only move it elsewhere?

Each round parses one completed 5,000-result batch (``parse_bulk_results``: decode and
structure) and may allocate as much again for the application (20,000 small lists). The
last ``keep`` rounds stay alive. Timed: the *mean* CPU per round over the whole block plus
one final ``gc.collect()``, so every collection the pause defers is paid inside it.
Compared: the client as shipped (pause) and the same code with the pause replaced by a
no-op, in the same run.

    .venv/bin/python benchmarks/gc_pause.py [--rounds 60] [--runs 5]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import gc
from collections import deque
from typing import Any

import aiohttp
from _common import cpu, median, simulator_process
from structuring import KEY, prepare

from enrow_async._core import protocol as _protocol
from enrow_async._core.protocol import ApiConfig, Response, bulk_results_request, parse_bulk_results

PAUSE = _protocol.gc_paused


async def fetch_body(results: int) -> bytes:
    with simulator_process("--key", KEY, "--duration", "0.5") as url:
        batch_id = await prepare(url, results)
        async with (
            aiohttp.ClientSession() as session,
            session.get(f"{url}/email/find/bulk?id={batch_id}", headers={"x-api-key": KEY}) as r,
        ):
            return await r.read()


def block(body: bytes, *, pause: bool, keep: int, app: bool, rounds: int) -> float:
    _protocol.gc_paused = PAUSE if pause else contextlib.nullcontext()  # type: ignore[assignment]
    request = bulk_results_request(ApiConfig.create(KEY, "http://127.0.0.1:1"), "b")
    response = Response(200, {"content-type": "application/json"}, body)
    kept: deque[Any] = deque(maxlen=keep)
    gc.collect()
    start = cpu()
    for _ in range(rounds):
        kept.append(parse_bulk_results(response, request))
        if app:
            kept.append([[i] for i in range(20_000)])
    kept.clear()
    gc.collect()
    _protocol.gc_paused = PAUSE
    return (cpu() - start) / rounds * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--results", type=int, default=5000)
    parser.add_argument("--rounds", type=int, default=60)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    body = asyncio.run(fetch_body(args.results))
    print(f"{args.results} results, {len(body) / 1e6:.2f} MB; mean CPU per round incl. all GC,")
    print(f"median of {args.runs} runs x {args.rounds} rounds:")
    print(f"{'kept alive':>10} {'app allocs':>10} {'no pause':>10} {'pause':>10} {'ratio':>7}")
    for keep in (1, 10, 60):
        for app in (False, True):
            plain, paused = [], []
            for _ in range(args.runs):
                plain.append(block(body, pause=False, keep=keep, app=app, rounds=args.rounds))
                paused.append(block(body, pause=True, keep=keep, app=app, rounds=args.rounds))
            a, b = median(plain), median(paused)
            print(f"{keep:>10} {'yes' if app else 'no':>10} {a:8.2f}ms {b:8.2f}ms {b / a:6.2f}x")


if __name__ == "__main__":
    main()
