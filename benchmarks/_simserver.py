"""The simulator for the benchmarks, in its own process, with one more endpoint.

    python benchmarks/_simserver.py --port 0 [simulator options]

Serves ``python -m enrow_async.testing``'s simulator and, on a second port, ``POST
/finish`` (a JSON list of batch ids -> ``{id: finish time}``) on the simulator's clock,
``time.monotonic()``, which is the clock of every process of this machine: a client in
another process subtracts it from the moment it got each batch to measure lateness. The
first line on stdout is the API's base URL and the second the inspection URL.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import signal

import orjson
from aiohttp import web

from enrow_async.testing import EnrowSimulator
from enrow_async.testing.options import add_simulator_options, simulator_config_from


async def serve(args: argparse.Namespace) -> None:
    config = simulator_config_from(args)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    async with EnrowSimulator(config, host=args.host, port=args.port) as sim:

        async def finish(request: web.Request) -> web.Response:
            ids = orjson.loads(await request.read())
            times = {batch_id: sim.batch(batch_id).finish_at for batch_id in ids}
            return web.Response(body=orjson.dumps(times), content_type="application/json")

        app = web.Application()
        app.router.add_post("/finish", finish)
        runner = web.AppRunner(app, access_log=None)
        await runner.setup()
        await web.TCPSite(runner, args.host, 0).start()
        host, port = runner.addresses[0][:2]
        print(sim.base_url, flush=True)
        print(f"http://{host}:{port}", flush=True)
        try:
            await stop.wait()
        finally:
            await runner.cleanup()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    add_simulator_options(parser)
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(serve(parser.parse_args()))


if __name__ == "__main__":
    main()
