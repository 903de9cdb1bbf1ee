"""``enrow-async verify``, run in-process against a simulator."""

from __future__ import annotations

from pathlib import Path

import pytest
from cli_support import Cli, check_stopped_at_the_deadline, journal_states, read_csv, write_csv

from enrow_async.testing import EnrowSimulator, ManualClock, SimulatorConfig

pytestmark = pytest.mark.anyio

ADDRESSES = ["ada@example.com", "not an address", "jim@dundermifflin.com", "", "pam@x.io"]
PEOPLE = [
    ["Ada Lovelace", "example.com", "ada@example.com"],
    ["Jim Halpert", "dundermifflin.com", "jim@dundermifflin.com"],
]


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
    assert listed[0] == ["email", "enrow_qualification"]
    assert [row[0] for row in listed[1:]] == [a for a in ADDRESSES if a]
    checked = read_csv(tmp_path / "people.csv.out.csv")
    assert checked[0] == ["Name", "E-mail", "enrow_qualification"]
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
        "plan: 4 row(s), 4 to verify: 2 distinct address(es) (2 duplicate(s) sent once)" in done.err
    )
    assert "reserving 0.5 credit(s)" in done.err
    assert "duplicates: 2 address(es) checked once: 0.5 credit(s) saved" in done.err
    assert "credits: 0.5 reserved" in done.err
    rows = read_csv(output)
    assert rows[1][1] == rows[2][1] == rows[4][1]


def qualifications(path: Path) -> dict[str, str]:
    return {row[0]: row[1] for row in read_csv(path)[1:]}


async def test_verify_resumes_from_its_journal_without_paying_twice(
    tmp_path: Path, cli: Cli
) -> None:
    clock = ManualClock()
    async with EnrowSimulator(SimulatorConfig(clock=clock, duration=10.0, seed=3)) as sim:
        (tmp_path / "list.txt").write_text("\n".join(ADDRESSES) + "\n")
        journal = tmp_path / "v.journal"
        output = tmp_path / "out.csv"
        args = ["verify", tmp_path / "list.txt", "-o", output, "--journal", journal]
        args += ["--base-url", sim.base_url]
        first = await cli(*args, "--timeout", "0", key=sim.api_key)
        check_stopped_at_the_deadline(first, 1, reserved="0.75")
        assert set(qualifications(output).values()) == {"pending", "skipped"}
        assert journal_states(journal) == ["posting", "started"]

        clock.advance(10.0)
        second = await cli(*args, key=sim.api_key)
        assert second.code == 0, second.err
        assert "resuming: 1 batch(es) already started" in second.err
        assert "reserving 0 credit(s)" in second.err
        assert sim.stats.requests["POST", "/email/verify/bulk"] == 1
        assert journal_states(journal) == ["posting", "started"]
        found = qualifications(output)
        assert {found[a] for a in ADDRESSES if "@" in a} <= {"valid", "invalid"}
        assert found["not an address"] == "skipped"


async def test_verify_records_an_unknown_start_and_its_hint_sends_it_again(
    tmp_path: Path, sim: EnrowSimulator, cli: Cli
) -> None:
    """A POST with no clear answer: its addresses are written as unknown, exit 1, and the
    journal is saved beside the output; the same command again does not send them, the hint
    (with --resend-unknown) does, once."""
    (tmp_path / "list.txt").write_text("\n".join(ADDRESSES) + "\n")
    output = tmp_path / "out.csv"
    args = ["verify", tmp_path / "list.txt", "-o", output, "--base-url", sim.base_url]
    sim.inject("drop_after", 1, "/email/verify/bulk", "POST")
    first = await cli(*args, key=sim.api_key)
    assert first.code == 1
    assert set(qualifications(output).values()) == {"unknown", "skipped"}
    saved = tmp_path / "out.csv.journal"
    hint = first.err.splitlines()[-1]
    assert "1 batch(es) may or may not have started (written as 'unknown'" in hint
    assert hint.endswith(f"run the same command again with --journal {saved} --resend-unknown")
    assert journal_states(saved) == ["posting", "unknown"]  # saved beside the output

    again = await cli(*args, "--journal", saved, key=sim.api_key)
    assert again.code == 1
    assert sim.stats.requests["POST", "/email/verify/bulk"] == 1  # never re-sent unasked

    resent = await cli(*args, "--journal", saved, "--resend-unknown", key=sim.api_key)
    assert resent.code == 0, resent.err
    assert sim.stats.requests["POST", "/email/verify/bulk"] == 2
    assert set(qualifications(output).values()) <= {"valid", "invalid", "skipped"}


async def test_verify_reuses_a_journal_for_an_edited_list(
    tmp_path: Path, sim: EnrowSimulator, cli: Cli
) -> None:
    (tmp_path / "list.txt").write_text("\n".join(ADDRESSES) + "\n")
    journal = tmp_path / "v.journal"
    args = ["verify", tmp_path / "list.txt", "-o", tmp_path / "out.csv", "--journal", journal]
    done = await cli(*args, "--base-url", sim.base_url, key=sim.api_key)
    assert done.code == 0, done.err
    (tmp_path / "list.txt").write_text("\n".join(["someone@else.com", *ADDRESSES]) + "\n")
    other = await cli(*args, "--base-url", sim.base_url, key=sim.api_key)
    assert other.code == 0, other.err  # the started batch still serves: only one is new
    assert (
        "plan: 1 address(es) to send in 1 new batch(es), reserving 0.25 credit(s) up front"
        in other.err
    )
    sandbox = await cli(*args, "--sandbox")
    assert sandbox.code == 2
    assert "--sandbox cannot resume" in sandbox.err
    assert sim.stats.requests["POST", "/email/verify/bulk"] == 2


async def test_a_find_journal_is_refused_by_verify(
    tmp_path: Path, sim: EnrowSimulator, cli: Cli
) -> None:
    write_csv(tmp_path / "people.csv", [["fullname", "company_domain", "email"], *PEOPLE])
    journal = tmp_path / "j.journal"
    common = ["-o", tmp_path / "out.csv", "--journal", journal, "--base-url", sim.base_url]
    found = await cli(
        "find", tmp_path / "people.csv", *common, "--include-rows-with-email", key=sim.api_key
    )
    assert found.code == 0, found.err
    checked = await cli("verify", tmp_path / "people.csv", *common, key=sim.api_key)
    assert checked.code == 2
    assert "a journal of 'find', not of 'verify'" in checked.err
    assert sim.stats.requests.get(("POST", "/email/verify/bulk"), 0) == 0
