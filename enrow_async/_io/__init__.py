"""The thin I/O shell over the pure core: transport, sender, scheduler and waiting.

Only ``transport`` touches sockets (and imports aiohttp's client); the rest sleeps and
reads the event loop's clock through anyio, so tests drive it on a virtual clock.
"""
