"""Helpers of the tests that run ``python -m enrow_async`` in a subprocess: the command, its
environment, and what its files and stderr say."""

from __future__ import annotations

import csv
import io
import os
import sys
from pathlib import Path
from typing import Any

import orjson
from anyio.streams.buffered import BufferedByteReceiveStream

ROOT = Path(__file__).parents[2]
FOUND = [
    "enrow_email",
    "enrow_status",
    "enrow_firstname",
    "enrow_lastname",
    "enrow_gender",
    "enrow_company",
    "enrow_reason",
]


def command(*args: str | Path) -> list[str]:
    """``python -W default -m enrow_async ARGS``: a leaked resource shows on stderr."""
    return [sys.executable, "-W", "default", "-m", "enrow_async", *map(str, args)]


def environ(key: str | None = None) -> dict[str, str]:
    """The test's environment, without a key unless given, importing this checkout's code."""
    env = {k: v for k, v in os.environ.items() if k != "ENROW_API_KEY"}
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    if key is not None:
        env["ENROW_API_KEY"] = key
    return env


def clean(stderr: str) -> None:
    assert "Traceback" not in stderr
    assert "Warning" not in stderr


def read_csv(path: Path) -> list[list[str]]:
    return list(csv.reader(io.StringIO(path.read_text(encoding="utf-8-sig"), newline="")))


async def read_line(stream: BufferedByteReceiveStream) -> str:
    return (await stream.receive_until(b"\n", 1 << 16)).decode()


def journal_events(path: Path) -> list[dict[str, Any]]:
    return [orjson.loads(line) for line in path.read_bytes().splitlines()]
