"""``enrow-async wait``, ``results`` and ``account``, run in-process against a simulator."""

from __future__ import annotations

import csv
import functools
import io
import os
from importlib import resources
from pathlib import Path

import orjson
import pytest
from cli_support import FAST, Cli, read_csv

from enrow_async import AiohttpTransport, EnrowClient
from enrow_async._core.http import Request, Response
from enrow_async.cli import run_async
from enrow_async.testing import EnrowSimulator, ManualClock, SimulatorConfig

pytestmark = pytest.mark.anyio

SEARCH = {"fullname": "Jim Halpert", "company_domain": "dundermifflin.com"}


async def test_results_wait_and_formats(tmp_path: Path, cli: Cli) -> None:
    clock = ManualClock()
    async with EnrowSimulator(SimulatorConfig(clock=clock, duration=10.0)) as sim:
        batch_id = sim.add_batch([SEARCH] * 5)
        url = ["--base-url", sim.base_url]
        ongoing = await cli("results", batch_id, *url, key=sim.api_key)
        assert ongoing.code == 1
        assert ongoing.err.count("\n") == 1
        assert "still ongoing" in ongoing.err
        assert "/5 searches done" in ongoing.err
        assert f"enrow-async wait {batch_id} -o results.csv" in ongoing.err
        assert ongoing.out == ""

        clock.advance(10.0)
        output = tmp_path / "w.csv"
        waited = await cli("wait", batch_id, batch_id, "-o", output, *url, key=sim.api_key)
        assert waited.code == 0, waited.err
        assert "1 batch(es), 5 result(s), " in waited.err
        assert waited.out == ""
        rows = read_csv(output)
        assert rows[0][:6] == [
            "batch_id",
            "index",
            "fullname",
            "company_domain",
            "company_name",
            "custom",
        ]
        assert [row[1] for row in rows[1:]] == ["0", "1", "2", "3", "4"]

        as_csv = await cli("results", batch_id, *url, key=sim.api_key)
        assert as_csv.code == 0, as_csv.err
        assert list(csv.reader(io.StringIO(as_csv.out))) == rows
        as_jsonl = await cli("results", batch_id, "--format", "jsonl", *url, key=sim.api_key)
        records = [orjson.loads(line) for line in as_jsonl.out.splitlines()]
        assert [r["index"] for r in records] == [0, 1, 2, 3, 4]
        assert {r["qualification"] for r in records} <= {"valid", "invalid"}
        as_json = await cli("results", batch_id, "--format", "json", *url, key=sim.api_key)
        batch = orjson.loads(as_json.out)
        assert batch["id"] == batch_id
        assert batch["status"] == "completed"
        assert len(batch["results"]) == 5
        to_stdout = await cli("wait", batch_id, "--format", "jsonl", *url, key=sim.api_key)
        assert to_stdout.out == as_jsonl.out
        assert "1 batch(es), 5 result(s)" in to_stdout.err


async def test_wait_writes_what_finished_and_names_the_rest(
    tmp_path: Path, sim: EnrowSimulator, cli: Cli
) -> None:
    done = sim.add_batch([SEARCH] * 3)
    failed = sim.add_batch([SEARCH] * 2, fail=True)
    output = tmp_path / "w.csv"
    args = ["wait", done, failed, "nope", "-o", output, "--base-url", sim.base_url]
    waited = await cli(*args, key=sim.api_key)
    assert waited.code == 1
    last = waited.err.splitlines()[-1]
    assert last.startswith("enrow-async: 2 batch(es) have no results (")
    assert f"{failed}: failed" in last
    assert "nope: error: HTTP 400" in last
    assert {row[0] for row in read_csv(output)[1:]} == {done}


@pytest.mark.parametrize(
    ("bad", "shown", "problem"),
    [
        ("", "''", "it is empty"),
        ("   ", "' '", "it is blank"),  # stderr's one line folds the spaces
        (os.fsdecode(b"ab\xff"), "'ab\\xff'", "not UTF-8 text (at position 2)"),
        ("ab\ncd", "'ab\\ncd'", "a space or control character at position 2"),
        ("ab cd", "'ab cd'", "a space or control character at position 2"),
        ("ab\x00", "'ab\\x00'", "a space or control character at position 2"),
    ],
)
async def test_a_bad_id_exits_2_before_anything_is_sent(
    tmp_path: Path, sim: EnrowSimulator, cli: Cli, bad: str, shown: str, problem: str
) -> None:
    good = sim.add_batch([SEARCH])
    url = ["--base-url", sim.base_url]
    for argv in (["results", bad], ["wait", bad], ["wait", good, bad, "-o", tmp_path / "w.csv"]):
        done = await cli(*argv, *url, key=sim.api_key)
        assert (done.code, done.out) == (2, "")
        assert done.err == f"enrow-async: batch id {shown}: {problem}\n"
    assert sim.stats.requests.total() == 0
    assert not (tmp_path / "w.csv").exists()


async def test_results_of_a_failed_batch(sim: EnrowSimulator, cli: Cli) -> None:
    failed = sim.add_batch([SEARCH], fail=True)
    done = await cli("results", failed, "--base-url", sim.base_url, key=sim.api_key)
    assert done.code == 1
    assert done.err.startswith(f"enrow-async: batch {failed} failed (")
    assert done.err.endswith("/1 searches done)\n")


async def test_account(sim: EnrowSimulator, cli: Cli) -> None:
    done = await cli("account", "--base-url", sim.base_url, key=sim.api_key)
    assert done.code == 0, done.err
    assert done.out == "credits: 1000000\nwebhooks: none\n"  # exact, never 1e+06
    wrong = await cli("account", "--base-url", sim.base_url, key="wrong-key")
    assert wrong.code == 1
    assert wrong.err.startswith("enrow-async: error: HTTP 401")
    assert "wrong-key" not in wrong.err
    assert wrong.err.count("\n") == 1


async def test_sample_prints_the_leads_file_shipped_in_the_package(cli: Cli) -> None:
    done = await cli("sample")
    assert done.code == 0
    assert done.err == ""
    shipped = resources.files("enrow_async.cli").joinpath("sample/leads.csv").read_text("utf-8")
    assert done.out == shipped
    assert done.out.startswith("fullname,company_domain,company_name,custom")


class _KeyRevoked:
    """A transport onto the served simulator whose key stops working for ``batch_id``
    from that batch's second read on (a key revoked mid-wait)."""

    def __init__(self, batch_id: str) -> None:
        self._inner = AiohttpTransport()
        self._batch_id = batch_id
        self._reads = 0

    async def send(self, request: Request) -> Response:
        if request.params.get("id") == self._batch_id:
            self._reads += 1
            if self._reads > 1:
                body = b'{"message": "This apikey is not valid"}'
                return Response(401, {"content-type": "application/json"}, body)
        return await self._inner.send(request)

    async def aclose(self) -> None:
        await self._inner.aclose()


async def test_a_wait_ended_by_a_final_error_writes_what_finished(
    tmp_path: Path, sim: EnrowSimulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    done = sim.add_batch([SEARCH] * 3)
    slow = sim.add_batch([SEARCH] * 2, duration=60.0)
    transport = _KeyRevoked(slow)
    monkeypatch.setenv("ENROW_API_KEY", sim.api_key)
    output = tmp_path / "w.csv"
    err = io.StringIO()
    code = await run_async(
        ["wait", done, slow, "-o", str(output), "--base-url", sim.base_url],
        stdout=io.StringIO(),
        stderr=err,
        client=functools.partial(EnrowClient, poll_policy=FAST, transport=transport),
    )
    assert code == 1
    last = err.getvalue().splitlines()[-1]
    assert last.startswith("enrow-async: 1 batch(es) have no results (")
    assert f"{slow}: not waited for (HTTP 401" in last
    assert {row[0] for row in read_csv(output)[1:]} == {done}
