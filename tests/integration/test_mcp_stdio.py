"""``enrow-async mcp`` end to end: the server launched as a subprocess and driven over
stdio by the SDK's own client, against a simulator served on 127.0.0.1: the cap refusing,
the user saying no then yes (elicitation), the wait with its progress notifications, the
rows read from the job's resource, the job read again for free, the balance.

The session is kept as a transcript (printed: ``pytest -s`` shows it).
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from mcp import Client
from mcp.client.stdio import StdioServerParameters, stdio_client
from mcp.types import CallToolResult, ElicitResult, TextResourceContents

from enrow_async.testing import EnrowSimulator, SimulatorConfig

pytestmark = pytest.mark.anyio

ROOT = Path(__file__).parents[2]


@pytest.fixture
def sim_config() -> SimulatorConfig:
    return SimulatorConfig(duration=(3.0, 4.0), seed=4, credits=500)


def people(count: int) -> list[dict[str, str]]:
    return [
        {"fullname": f"Person {i}", "company_domain": f"co{i}.example.com"} for i in range(count)
    ]


class Transcript:
    """What went over the wire, in the words of each side."""

    def __init__(self) -> None:
        self.lines: list[str] = []
        self.answers = iter([("decline", None), ("accept", {"approve": True})])

    def say(self, who: str, what: str) -> None:
        self.lines.append(f"{who:>8} | {what}")

    async def elicit(self, context: Any, params: Any) -> ElicitResult:
        self.say("ask user", params.message)
        action, content = next(self.answers)
        self.say("user", f"{action} {json.dumps(content) if content else ''}".rstrip())
        return ElicitResult(action=action, content=content)

    async def progress(self, progress: float, total: float | None, message: str | None) -> None:
        self.say("progress", f"{progress:g}/{total:g}: {message}")

    async def call(self, client: Client, tool: str, arguments: dict[str, Any]) -> CallToolResult:
        shown = {k: (f"<{len(v)} rows>" if k == "rows" else v) for k, v in arguments.items()}
        self.say("agent", f"{tool}({json.dumps(shown)})")
        result = await client.call_tool(tool, arguments, progress_callback=self.progress)
        said = "\n".join(block.text for block in result.content if block.type == "text")
        for number, line in enumerate(said.splitlines()):
            self.say(
                "server" if number == 0 else "",
                ("ERROR " if result.is_error and not number else "") + line,
            )
        return result


@pytest.mark.parametrize("mode", ["auto", "legacy"])  # 2026-07-28, and the handshake era
async def test_a_stdio_session_refuses_then_asks_then_runs(
    sim: EnrowSimulator, tmp_path: Path, mode: str
) -> None:
    server = StdioServerParameters(
        command=sys.executable,
        args=[
            "-W",
            "default",
            "-m",
            "enrow_async",
            "mcp",
            "--base-url",
            sim.base_url,
            "--max-credits",
            "10",
            "--dir",
            str(tmp_path / "jobs"),
        ],
        env={"ENROW_API_KEY": sim.api_key, "PYTHONPATH": str(ROOT)},
    )
    log = tmp_path / "stderr.txt"
    said = Transcript()
    with log.open("w", encoding="utf-8") as errlog:
        transport = stdio_client(server, errlog=errlog)
        async with Client(transport, mode=mode, elicitation_callback=said.elicit) as client:
            said.say("client", f"connected, protocol {client.protocol_version}")
            tools = [tool.name for tool in (await client.list_tools()).tools]
            said.say("client", f"tools: {', '.join(tools)}")
            over = await said.call(client, "find_emails", {"rows": people(12), "max_credits": 1000})
            assert over.is_error
            assert over.structured_content is not None
            assert over.structured_content["reason"] == "cap"
            assert sim.stats.batches_created == 0
            declined = await said.call(client, "find_emails", {"rows": people(6)})
            assert declined.is_error
            assert sim.stats.batches_created == 0
            ran = await said.call(client, "find_emails", {"rows": people(6)})
            assert not ran.is_error
            report = ran.structured_content
            assert report is not None
            assert report["status"] == "complete"
            assert report["confirmed_by"] == "user"
            assert report["credits"]["reserved"] == 6
            assert sim.stats.batches_created == 1
            uri = report["results"]["uri"]
            read = await client.read_resource(uri)
            (contents,) = read.contents
            assert isinstance(contents, TextResourceContents)
            rows = contents.text.splitlines()
            said.say("agent", f"read {uri}: {len(rows)} lines, {rows[0]}")
            assert len(rows) == 7
            again = await said.call(client, "get_job", {"job_id": report["job_id"]})
            assert again.structured_content is not None
            assert again.structured_content["status"] == "complete"
            await said.call(client, "get_account", {})
    assert sim.stats.batches_created == 1
    progress = [line for line in said.lines if "progress |" in line]
    assert len(progress) >= 2
    stderr = log.read_text(encoding="utf-8")
    assert "Traceback" not in stderr
    assert "Warning" not in stderr
    assert sim.api_key not in "\n".join(said.lines) + stderr
    print("\n".join(said.lines))


def test_without_the_sdk_the_command_says_which_extra_to_install() -> None:
    blocked = "import sys; sys.modules['mcp'] = None; from enrow_async.cli import main; main()"
    ran = subprocess.run(
        [sys.executable, "-c", blocked, "mcp", "--sandbox"],
        capture_output=True,
        text=True,
        env={"PYTHONPATH": str(ROOT)},
        timeout=60,
    )
    assert ran.returncode == 2
    assert ran.stderr == "enrow-async: mcp needs the MCP SDK: pip install 'enrow-async[mcp]'\n"
