"""Typed asyncio client for the Enrow API."""
