"""The pure core: building requests, classifying answers, structuring models, scheduling.

Nothing in this package does I/O, sleeps, reads a clock or imports asyncio or anyio:
times and random draws are passed in, so every decision is a plain function call.
"""
