"""Helpers of the MCP server's tests: the user at the client (answers elicitation), the
progress notifications a call receives, a session of the SDK's own client in memory, and
lists to send."""

from __future__ import annotations

import csv
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any, Literal

import attrs
from mcp import Client
from mcp.server.mcpserver import MCPServer
from mcp.types import CallToolResult, ElicitResult, ReadResourceResult, TextResourceContents

from enrow_async.mcp._server import Toolbox
from enrow_async.testing import EnrowSimulator

Action = Literal["accept", "decline", "cancel"]


class Person:
    """The user at the client: answers every elicitation with ``action`` (a form that
    says ``approve`` when accepting) and remembers each question."""

    def __init__(self, action: Action = "accept", *, approve: bool = True) -> None:
        self.action: Action = action
        self.approve = approve
        self.questions: list[str] = []

    async def __call__(self, context: Any, params: Any) -> ElicitResult:
        self.questions.append(params.message)
        content = {"approve": self.approve} if self.action == "accept" else None
        return ElicitResult(action=self.action, content=content)


@attrs.frozen
class Note:
    progress: float
    total: float | None
    message: str | None


class Notes:
    """The progress notifications of one call."""

    def __init__(self) -> None:
        self.seen: list[Note] = []

    async def __call__(self, progress: float, total: float | None, message: str | None) -> None:
        self.seen.append(Note(progress, total, message))


@asynccontextmanager
async def session(
    server: MCPServer[Toolbox], mode: str, person: Person | None = None
) -> AsyncIterator[Client]:
    """The SDK's client on ``server`` in memory; ``person`` answers elicitation (without
    one, the client declares no elicitation capability)."""
    async with Client(server, mode=mode, elicitation_callback=person) as client:
        yield client


def text(result: CallToolResult) -> str:
    return "\n".join(block.text for block in result.content if block.type == "text")


def data(result: CallToolResult) -> dict[str, Any]:
    assert result.structured_content is not None, text(result)
    return result.structured_content


def people(count: int, start: int = 0) -> list[dict[str, str]]:
    return [
        {"fullname": f"Person {i}", "company_domain": f"co{i}.example.com", "custom": f"id-{i}"}
        for i in range(start, start + count)
    ]


def write_csv(path: Path, rows: Sequence[Sequence[str]]) -> Path:
    with path.open("w", encoding="utf-8", newline="") as stream:
        csv.writer(stream).writerows(rows)
    return path


def resource_text(read: ReadResourceResult) -> str:
    (contents,) = read.contents
    assert isinstance(contents, TextResourceContents)
    assert contents.mime_type == "text/csv"
    return contents.text


def file_text(path: str) -> str:
    return Path(path).read_text(encoding="utf-8")


def read_csv(text: str) -> list[list[str]]:
    return list(csv.reader(text.splitlines()))


def started(sim: EnrowSimulator, kind: str = "find") -> int:
    """The batches created at the simulator (paid), of ``find`` or ``verify``."""
    return sim.stats.created["/email/find/bulk" if kind == "find" else "/email/verify/bulk"]
