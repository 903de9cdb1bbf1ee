"""The cost guard of ``find`` and ``verify`` (``cli/job.py``): the plan before any POST,
--max-credits, the balance, --dry-run, and the question asked only on a terminal."""

from __future__ import annotations

import functools
import io
from pathlib import Path

import pytest
from cli_support import FAST, Cli, leads, write_csv

from enrow_async import EnrowClient
from enrow_async.cli import run_async
from enrow_async.testing import EnrowSimulator, SimulatorConfig

pytestmark = pytest.mark.anyio

POST = ("POST", "/email/find/bulk")
fast_client = functools.partial(EnrowClient, poll_policy=FAST)


def _people(path: Path, count: int) -> None:
    write_csv(
        path, [["fullname", "company_domain"]] + [[f"P {i}", "acme.com"] for i in range(count)]
    )


async def test_dry_run_shows_the_plan_and_sends_nothing(
    tmp_path: Path, sim: EnrowSimulator, cli: Cli
) -> None:
    write_csv(tmp_path / "in.csv", leads(120))
    output = tmp_path / "out.csv"
    args = ["find", tmp_path / "in.csv", "-o", output, "--batch-size", "50", "--dry-run"]
    done = await cli(*args, "--base-url", sim.base_url, key=sim.api_key)
    assert done.code == 0, done.err
    plan = [line for line in done.err.splitlines() if line.startswith("plan: ")]
    assert plan == [
        "plan: 120 row(s), 113 to search: 113 distinct search(es)",
        "plan: 113 search(es) to send in 3 new batch(es), reserving 113 credit(s) up front;"
        " misses are refunded when a batch ends",
        "plan: account balance 1000000 credit(s)",
    ]
    assert done.err.splitlines()[-1] == "dry run: nothing was sent"
    assert sim.stats.requests == {("GET", "/account/info"): 1}  # no POST
    assert not output.exists()
    assert done.out == ""


async def test_more_than_the_balance_is_refused_before_any_post(tmp_path: Path, cli: Cli) -> None:
    async with EnrowSimulator(SimulatorConfig(duration=0.0, credits=10)) as sim:
        _people(tmp_path / "in.csv", 11)
        args = ["find", tmp_path / "in.csv", "-o", tmp_path / "out.csv"]
        done = await cli(*args, "--base-url", sim.base_url, key=sim.api_key)
        assert done.code == 1
        assert done.err.splitlines()[-1] == (
            "enrow-async: this run would reserve 11 credit(s) but the account has 10;"
            " nothing was sent"
        )
        assert POST not in sim.stats.requests
        (tmp_path / "few.csv").write_text("a@b.io\nc@d.io\n")
        checked = await cli(
            "verify",
            tmp_path / "few.csv",
            "-o",
            tmp_path / "v.csv",
            "--base-url",
            sim.base_url,
            key=sim.api_key,
        )
        assert checked.code == 0, checked.err  # 0.5 credit: within the balance


async def test_max_credits(tmp_path: Path, sim: EnrowSimulator, cli: Cli) -> None:
    _people(tmp_path / "in.csv", 30)
    args = ["find", tmp_path / "in.csv", "-o", tmp_path / "out.csv", "--base-url", sim.base_url]
    over = await cli(*args, "--max-credits", "29", key=sim.api_key)
    assert over.code == 2
    assert "would reserve 30 credit(s), above --max-credits 29; nothing was sent" in over.err
    assert POST not in sim.stats.requests
    within = await cli(*args, "--max-credits", "30", key=sim.api_key)
    assert within.code == 0, within.err
    assert sim.stats.requests[POST] == 1


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


async def _run_on_terminal(argv: list[str], answer: str, key: str) -> tuple[int, str]:
    err = _Terminal()
    out = io.TextIOWrapper(io.BytesIO(), encoding="utf-8", write_through=True)
    code = await run_async(
        argv, stdout=out, stderr=err, stdin=_Terminal(answer), client=fast_client
    )
    return code, err.getvalue()


async def test_a_terminal_is_asked_above_the_threshold(
    tmp_path: Path, sim: EnrowSimulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ENROW_API_KEY", sim.api_key)
    _people(tmp_path / "in.csv", 30)
    argv = ["find", str(tmp_path / "in.csv"), "-o", str(tmp_path / "out.csv"), "--force"]
    argv += ["--base-url", sim.base_url, "--ask-above", "20"]
    code, err = await _run_on_terminal(argv, "n\n", sim.api_key)
    assert code == 1
    assert "reserve 30 credit(s) now? [y/N] " in err
    assert err.endswith("enrow-async: not confirmed; nothing was sent\n")
    assert POST not in sim.stats.requests
    code, err = await _run_on_terminal(argv, "y\n", sim.api_key)
    assert code == 0, err
    assert sim.stats.requests[POST] == 1
    code, err = await _run_on_terminal([*argv, "--yes"], "", sim.api_key)  # never asked
    assert code == 0, err
    assert "now? [y/N]" not in err
    code, err = await _run_on_terminal([*argv, "--ask-above", "30"], "", sim.api_key)
    assert code == 0, err  # at the threshold: not asked
    assert "now? [y/N]" not in err


async def test_a_run_without_a_terminal_never_asks(
    tmp_path: Path, sim: EnrowSimulator, cli: Cli
) -> None:
    _people(tmp_path / "in.csv", 300)
    args = ["find", tmp_path / "in.csv", "-o", tmp_path / "out.csv", "--ask-above", "1"]
    done = await cli(*args, "--base-url", sim.base_url, key=sim.api_key)
    assert done.code == 0, done.err
    assert "[y/N]" not in done.err
