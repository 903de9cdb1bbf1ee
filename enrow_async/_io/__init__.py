"""The thin I/O shell over the pure core: transport, sender, waiting.

The runtime is asyncio, used plainly (aiohttp runs on nothing else): tasks, futures,
``asyncio.timeout`` and the event loop's clock, so tests drive it on a virtual clock
(``enrow_async.testing.VirtualClockLoop``). Only ``transport`` touches sockets.
"""
