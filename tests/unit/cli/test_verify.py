"""``enrow-async verify``, run in-process against a simulator."""

from __future__ import annotations

from pathlib import Path

import pytest
from cli_support import Cli, read_csv, write_csv

from enrow_async.testing import EnrowSimulator

pytestmark = pytest.mark.anyio

ADDRESSES = ["ada@example.com", "not an address", "jim@dundermifflin.com", "", "pam@x.io"]


async def test_verify_both_input_styles(tmp_path: Path, sim: EnrowSimulator, cli: Cli) -> None:
    (tmp_path / "list.txt").write_text("\n".join(ADDRESSES) + "\n")
    write_csv(tmp_path / "people.csv", [["Name", "E-mail"], *[["n", a] for a in ADDRESSES]])
    for name in ("list.txt", "people.csv"):
        args = ["verify", tmp_path / name, "-o", tmp_path / f"{name}.out.csv"]
        done = await cli(*args, "--base-url", sim.base_url, key=sim.api_key)
        assert done.code == 0, done.err
        assert "verified 3 address(es)" in done.err
        assert "row(s) without a valid address are not sent" in done.err
    listed = read_csv(tmp_path / "list.txt.out.csv")
    assert listed[0] == ["email", "qualification"]
    assert [row[0] for row in listed[1:]] == [a for a in ADDRESSES if a]
    checked = read_csv(tmp_path / "people.csv.out.csv")
    assert checked[0] == ["Name", "E-mail", "qualification"]
    assert [row[1] for row in checked[1:]] == ADDRESSES
    for rows in (listed, checked):
        qualifications = {row[0] if len(row) == 2 else row[1]: row[-1] for row in rows[1:]}
        assert qualifications["not an address"] == "skipped"
        assert {qualifications[a] for a in ADDRESSES if "@" in a} <= {"valid", "invalid"}
    assert sim.stats.created == {"/email/verify/bulk": 2}


async def test_verify_refuses_to_replace_its_input(tmp_path: Path, cli: Cli) -> None:
    (tmp_path / "list.txt").write_text("ada@example.com\n")
    done = await cli("verify", tmp_path / "list.txt", "-o", tmp_path / "list.txt", "--sandbox")
    assert done.code == 2
    assert "the output would replace the input" in done.err


async def test_verify_checks_each_address_once(
    tmp_path: Path, sim: EnrowSimulator, cli: Cli
) -> None:
    given = [
        "jim@dundermifflin.com",
        "JIM@DunderMifflin.com ",
        "pam@x.io",
        " jim@dundermifflin.com",
    ]
    (tmp_path / "list.txt").write_text("\n".join(given) + "\n")
    output = tmp_path / "out.csv"
    done = await cli(
        "verify", tmp_path / "list.txt", "-o", output, "--base-url", sim.base_url, key=sim.api_key
    )
    assert done.code == 0, done.err
    assert (
        "plan: 4 row(s), 4 to send, 2 distinct address(es) (2 duplicate(s) sent once)" in done.err
    )
    assert "reserving 0.5 credit(s)" in done.err
    assert "duplicates: 2 address(es) checked once: 0.5 credit(s) saved" in done.err
    assert "credits: 0.5 reserved" in done.err
    rows = read_csv(output)
    assert rows[1][1] == rows[2][1] == rows[4][1]
