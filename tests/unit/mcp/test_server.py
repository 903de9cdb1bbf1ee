"""The MCP server through the SDK's own client, in memory, against the simulator: every
tool, every path of the cost guard (refused, confirmed, capped), progress, results kept out
of the answer, and jobs that outlive a call and a server."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import anyio
import openpyxl
import pytest
from mcp import MCPError

from enrow_async.mcp import McpSettings, build_server
from enrow_async.testing import EnrowSimulator, SimulatorConfig

from .conftest import Serve
from .session import (
    Action,
    Notes,
    Person,
    data,
    file_text,
    people,
    read_csv,
    resource_text,
    session,
    started,
    text,
    write_csv,
)

pytestmark = pytest.mark.anyio

SPENDERS = ("find_emails", "verify_emails")
READERS = ("estimate_list", "get_job", "get_batch", "get_account")


async def test_the_tools_say_what_costs_credits_and_what_changes(serve: Serve) -> None:
    async with session(serve(), "auto") as client:
        tools = {tool.name: tool for tool in (await client.list_tools()).tools}
    assert set(tools) == {*SPENDERS, *READERS}
    for name in SPENDERS:
        hints = tools[name].annotations
        assert hints is not None
        assert (hints.read_only_hint, hints.destructive_hint) == (False, True)
        assert hints.idempotent_hint  # the same list again is the same job: nothing paid twice
        assert "SPENDS CREDITS" in (tools[name].description or "")
        assert "max_credits" in tools[name].input_schema["properties"]
        # what the resolvers fill is no argument the model can give
        assert {"prepared", "approval", "ctx"}.isdisjoint(tools[name].input_schema["properties"])
    for name in READERS:
        hints = tools[name].annotations
        assert hints is not None
        assert (hints.read_only_hint, hints.idempotent_hint) == (True, True)
        assert "Free" in (tools[name].description or "")


async def test_an_estimate_counts_the_list_and_sends_nothing(
    serve: Serve, sim: EnrowSimulator, mode: str
) -> None:
    rows = [
        *people(6),
        {"fullname": "Person 2", "company_domain": "https://www.co2.example.com/about"},
        {"fullname": "Madonna", "company_domain": "pop.example.com"},
        {"fullname": "Jane Roe", "company_domain": "linkedin.com"},
        {"fullname": "Ann Lee", "company_name": "Acme", "email": "ann@acme.com"},
    ]
    async with session(serve(), mode) as client:
        result = await client.call_tool("estimate_list", {"kind": "find", "rows": rows})
    found = data(result)
    assert not result.is_error
    assert (found["rows"], found["sent"]) == (10, 7)
    assert found["skipped"] == {
        "one-word name": 1,
        "domain not a company's": 1,
        "email already present": 1,
    }
    assert (found["distinct"], found["duplicates"], found["credits"]) == (6, 1, 6)
    assert found["balance"] is not None
    assert found["status"] == "estimate"
    assert "max_credits=6" in text(result)  # this client cannot ask: the price is stated
    assert started(sim) == 0


async def test_an_estimate_says_the_user_will_be_asked(serve: Serve, mode: str) -> None:
    async with session(serve(), mode, Person()) as client:
        result = await client.call_tool("estimate_list", {"kind": "verify", "emails": ["a@b.io"]})
    assert "ask the user to approve 0.25 credit(s)" in text(result)


async def test_an_estimate_reads_csv_and_xlsx_files(
    serve: Serve, tmp_path: Path, sim: EnrowSimulator
) -> None:
    header = ["First Name", "Last Name", "Website URL", "Company Name"]
    rows = [["Ada", "Lovelace", "analytical.example.com", ""], ["Alan", "Turing", "", "Bletchley"]]
    rows.append(["", "", "", "Total"])
    csv_path = write_csv(tmp_path / "leads.csv", [header, *rows])
    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    for row in [header, *rows]:
        sheet.append(row)
    xlsx_path = tmp_path / "leads.xlsx"
    book.save(xlsx_path)
    async with session(serve(), "auto") as client:
        for path in (csv_path, xlsx_path):
            result = await client.call_tool("estimate_list", {"kind": "find", "path": str(path)})
            found = data(result)
            assert (found["rows"], found["sent"], found["credits"]) == (3, 2, 2), text(result)
            assert found["skipped"] == {"totals or notes row": 1}  # the table's last row
    assert started(sim) == 0


async def test_a_call_that_cannot_ask_must_state_its_price(
    serve: Serve, sim: EnrowSimulator, mode: str
) -> None:
    async with session(serve(), mode) as client:
        refused = await client.call_tool("find_emails", {"rows": people(4)})
        assert refused.is_error
        assert data(refused)["reason"] == "not_confirmed"
        assert "max_credits=4" in text(refused)
        assert started(sim) == 0
        low = await client.call_tool("find_emails", {"rows": people(4), "max_credits": 3})
        assert data(low)["reason"] == "cap"
        assert "raise this call's max_credits to 4" in text(low)
        assert started(sim) == 0
        ran = await client.call_tool("find_emails", {"rows": people(4), "max_credits": 4})
    report = data(ran)
    assert not ran.is_error
    assert (report["status"], report["confirmed_by"]) == ("complete", "max_credits")
    assert report["credits"]["reserved"] == 4
    assert report["credits"]["refunded"] + report["credits"]["final"] == 4
    assert started(sim) == 1


async def test_the_user_approves_through_elicitation(
    serve: Serve, sim: EnrowSimulator, mode: str
) -> None:
    person = Person()
    async with session(serve(), mode, person) as client:
        ran = await client.call_tool("find_emails", {"rows": people(5)})
    assert data(ran)["confirmed_by"] == "user"
    assert data(ran)["status"] == "complete"
    assert len(person.questions) == 1
    assert "Reserve 5 credit(s) now?" in person.questions[0]
    assert "balance" in person.questions[0]
    assert started(sim) == 1


@pytest.mark.parametrize(
    ("action", "approve"), [("decline", True), ("cancel", True), ("accept", False)]
)
async def test_the_user_can_say_no(
    serve: Serve, sim: EnrowSimulator, mode: str, action: Action, approve: bool
) -> None:
    person = Person(action, approve=approve)
    async with session(serve(), mode, person) as client:
        refused = await client.call_tool("find_emails", {"rows": people(5), "max_credits": 5})
    assert refused.is_error
    assert data(refused)["reason"] == "not_confirmed"
    assert "do not try again" in text(refused)
    assert len(person.questions) == 1
    assert started(sim) == 0


@pytest.mark.parametrize(
    ("sim_config", "guard", "arguments", "reason", "said"),
    [
        pytest.param(
            SimulatorConfig(duration=(2.0, 4.0), seed=3),
            {"max_credits": 3},
            {"max_credits": 1e9},
            "cap",
            "no argument can raise it",
            id="the server's cap",
        ),
        pytest.param(
            SimulatorConfig(duration=2.0, seed=3, credits=3),
            {},
            {},
            "balance",
            "the account cannot cover it",
            id="the balance",
        ),
    ],
)
async def test_refused_before_anyone_is_asked(
    serve: Serve,
    sim: EnrowSimulator,
    mode: str,
    guard: dict[str, float],
    arguments: dict[str, float],
    reason: str,
    said: str,
) -> None:
    person = Person()
    async with session(serve(**guard), mode, person) as client:
        refused = await client.call_tool("find_emails", {"rows": people(5), **arguments})
    assert refused.is_error
    assert data(refused)["reason"] == reason
    assert said in text(refused)
    assert person.questions == []  # nobody is asked about what would be refused anyway
    assert started(sim) == 0


async def test_runs_at_or_below_ask_above_go_ahead_unasked(
    serve: Serve, sim: EnrowSimulator, mode: str
) -> None:
    person = Person()
    async with session(serve(ask_above=5), mode, person) as client:
        plan = await client.call_tool("estimate_list", {"kind": "find", "rows": people(5)})
        assert "goes ahead without a confirmation" in text(plan)
        ran = await client.call_tool("find_emails", {"rows": people(5)})
    assert data(ran)["confirmed_by"] == "not needed"
    assert person.questions == []
    assert started(sim) == 1


async def test_a_run_waits_with_progress_and_keeps_the_rows_out_of_the_answer(
    serve: Serve, sim: EnrowSimulator, mode: str
) -> None:
    rows = [*people(30), {"fullname": "Cher", "company_domain": "x.example.com"}]
    notes = Notes()
    async with session(serve(), mode, Person()) as client:
        ran = await client.call_tool("find_emails", {"rows": rows}, progress_callback=notes)
        report = data(ran)
        job = report["job_id"]
        read = await client.read_resource(f"enrow://jobs/{job}/results.csv")
    values = [note.progress for note in notes.seen]
    assert values == sorted(set(values))
    assert values[0] == 0
    assert values[-1] == 30
    assert {note.total for note in notes.seen} == {30}
    assert "batch(es) to start, reserving 30 credit(s)" in (notes.seen[0].message or "")
    assert len(notes.seen) > 2  # it reported while it waited, not only at both ends
    assert len(report["sample"]) == 5
    assert sum(report["qualifications"].values()) == 31
    assert report["qualifications"]["skipped"] == 1
    assert len(text(ran).splitlines()) < 15
    table = read_csv(resource_text(read))
    assert table[0][:3] == ["fullname", "company_domain", "custom"]
    assert len(table) == 32
    assert table[-1][table[0].index("qualification")] == "skipped"
    assert file_text(report["results"]["file"]) == resource_text(read)
    assert report["credits"]["reserved"] == 30


async def test_the_same_list_again_pays_nothing_more(
    serve: Serve, sim: EnrowSimulator, mode: str
) -> None:
    async with session(serve(), mode) as client:
        first = await client.call_tool("find_emails", {"rows": people(6), "max_credits": 6})
        again = await client.call_tool("find_emails", {"rows": people(6)})  # nothing to confirm
    assert data(again)["job_id"] == data(first)["job_id"]
    assert data(again)["status"] == "complete"
    assert data(again)["confirmed_by"] == "not needed"
    assert started(sim) == 1


async def test_an_edited_list_goes_on_with_its_job_id(
    serve: Serve, sim: EnrowSimulator, mode: str
) -> None:
    async with session(serve(), mode) as client:
        first = await client.call_tool("find_emails", {"rows": people(5), "max_credits": 5})
        job = data(first)["job_id"]
        edited = {"rows": [*people(5), *people(2, start=50)], "job_id": job}
        plan = data(await client.call_tool("estimate_list", {"kind": "find", **edited}))
        assert (plan["to_send"], plan["already_started"], plan["credits"]) == (2, 5, 2)
        ran = await client.call_tool("find_emails", {**edited, "max_credits": 2})
    assert data(ran)["job_id"] == job
    assert (
        data(ran)["found"] + sum(v for k, v in data(ran)["qualifications"].items() if k != "valid")
        >= 7
    )
    assert started(sim) == 2


async def test_verify_a_list(serve: Serve, sim: EnrowSimulator, mode: str) -> None:
    emails = ["jim@dundermifflin.com", "JIM@dundermifflin.com", "not an address", "pam@dm.com"]
    async with session(serve(), mode, Person()) as client:
        ran = await client.call_tool("verify_emails", {"emails": emails})
        report = data(ran)
        read = await client.read_resource(f"enrow://jobs/{report['job_id']}/results.csv")
    assert (report["rows"], report["sent"], report["distinct"]) == (4, 3, 2)
    assert report["skipped"] == {"not an email address": 1}
    assert report["credits"]["reserved"] == 0.5
    table = read_csv(resource_text(read))
    assert table[0] == ["email", "qualification"]
    assert [row[1] for row in table[1:]][2] == "skipped"
    assert {row[1] for row in table[1:]} <= {"valid", "invalid", "skipped"}
    assert started(sim, "verify") == 1


async def test_verify_a_file_with_an_email_column(
    serve: Serve, sim: EnrowSimulator, tmp_path: Path
) -> None:
    path = write_csv(tmp_path / "c.csv", [["Name", "Work Email"], ["Jim", "jim@dm.com"]])
    async with session(serve(), "auto") as client:
        ran = await client.call_tool("verify_emails", {"path": str(path), "max_credits": 1})
        report = data(ran)
        read = await client.read_resource(f"enrow://jobs/{report['job_id']}/results.csv")
    assert report["status"] == "complete"
    table = read_csv(resource_text(read))
    assert table[0] == ["Name", "Work Email", "qualification"]


async def test_a_call_that_ends_first_is_collected_by_get_job_for_free(
    serve: Serve, sim: EnrowSimulator, mode: str
) -> None:
    async with session(serve(), mode) as client:
        early = await client.call_tool(
            "find_emails", {"rows": people(8), "max_credits": 8, "timeout": 1}
        )
        report = data(early)
        assert report["status"] == "incomplete"
        assert report["gaps"]["pending"]["items"] == 8
        assert "get_job" in text(early)
        notes = Notes()
        later = await client.call_tool(
            "get_job", {"job_id": report["job_id"]}, progress_callback=notes
        )
    assert data(later)["status"] == "complete"
    assert notes.seen[-1].progress == 8
    assert started(sim) == 1


async def test_a_job_survives_the_server(serve: Serve, sim: EnrowSimulator, jobs: Path) -> None:
    async with session(serve(), "auto") as client:
        early = await client.call_tool(
            "find_emails", {"rows": people(8), "max_credits": 8, "timeout": 1}
        )
    job = data(early)["job_id"]
    async with session(serve(directory=jobs), "legacy") as client:  # a new server, same folder
        later = await client.call_tool("get_job", {"job_id": job})
        read = await client.read_resource(f"enrow://jobs/{job}/results.csv")
    assert data(later)["status"] == "complete"
    assert len(read_csv(resource_text(read))) == 9
    assert started(sim) == 1


async def test_a_cancelled_call_leaves_its_job_to_get_job(
    serve: Serve, sim: EnrowSimulator, mode: str
) -> None:
    server = serve()
    async with session(server, mode) as client:
        arguments = {"rows": people(8), "max_credits": 8}
        job = data(await client.call_tool("estimate_list", {"kind": "find", **arguments}))["job_id"]
        with anyio.move_on_after(1):  # the agent gives up while the batch runs (2-4 s)
            await client.call_tool("find_emails", arguments)
        assert started(sim) == 1
        later = await client.call_tool("get_job", {"job_id": job})
    assert data(later)["status"] == "complete"
    assert started(sim) == 1


async def test_get_job_never_starts_a_batch(serve: Serve, sim: EnrowSimulator, mode: str) -> None:
    sim.inject("rate_limited", 1000, method="POST")  # every start is refused
    async with session(serve(), mode) as client:
        failed = await client.call_tool("find_emails", {"rows": people(3), "max_credits": 3})
        assert failed.is_error
        job = data(await client.call_tool("estimate_list", {"kind": "find", "rows": people(3)}))
        read = await client.call_tool("get_job", {"job_id": job["job_id"]})
    assert data(read)["status"] == "unstarted"
    assert "call find_emails with the same list" in text(read)
    assert started(sim) == 0


async def test_get_job_of_an_unknown_or_malformed_id(serve: Serve) -> None:
    async with session(serve(), "auto") as client:
        unknown = await client.call_tool("get_job", {"job_id": "find-0123456789abcdef"})
        malformed = await client.call_tool("get_job", {"job_id": "../../etc/passwd"})
    assert unknown.is_error
    assert "no job find-0123456789abcdef" in text(unknown)
    assert malformed.is_error
    assert "is not a job id" in text(malformed)


async def test_a_job_running_now_is_not_run_twice(
    serve: Serve, sim: EnrowSimulator, mode: str
) -> None:
    arguments = {"rows": people(8), "max_credits": 8}
    answers = {}
    async with session(serve(), mode) as client:
        job = data(await client.call_tool("estimate_list", {"kind": "find", **arguments}))

        async def call(name: str, tool: str, given: dict[str, object]) -> None:
            answers[name] = await client.call_tool(tool, given)

        async with anyio.create_task_group() as tg:
            tg.start_soon(call, "first", "find_emails", arguments)
            await anyio.sleep(0.5)
            tg.start_soon(call, "second", "find_emails", arguments)
            tg.start_soon(call, "read", "get_job", {"job_id": job["job_id"]})
    assert data(answers["first"])["status"] == "complete"
    assert data(answers["second"])["status"] == "running"
    assert data(answers["read"])["status"] == "running"
    assert started(sim) == 1


async def test_get_batch_reads_one_batch_once(serve: Serve, sim: EnrowSimulator, mode: str) -> None:
    async with session(serve(), mode) as client:
        ran = data(await client.call_tool("find_emails", {"rows": people(7), "max_credits": 7}))
        (batch_id,) = ran["batch_ids"]
        batch = await client.call_tool("get_batch", {"batch_id": batch_id})
        read = await client.read_resource(f"enrow://batches/find/{batch_id}/results.csv")
        ongoing_id = sim.add_batch(people(3))
        ongoing = await client.call_tool("get_batch", {"batch_id": ongoing_id})
        missing = await client.call_tool("get_batch", {"batch_id": "no-such-batch"})
        malformed = await client.call_tool("get_batch", {"batch_id": "../x"})
        verify = data(
            await client.call_tool("verify_emails", {"emails": ["a@b.io"], "max_credits": 1})
        )
        checked = await client.call_tool(
            "get_batch", {"batch_id": verify["batch_ids"][0], "kind": "verify"}
        )
    found = data(batch)
    assert (found["status"], found["finished"], found["requested"]) == ("completed", 7, 7)
    assert 0 < len(found["sample"]) <= 5
    table = read_csv(resource_text(read))
    assert len(table) == 8
    assert "email" in table[0]
    assert data(ongoing)["status"] == "ongoing"
    assert "sample" not in data(ongoing)
    assert missing.is_error
    assert malformed.is_error
    assert "is not a batch id" in text(malformed)
    assert data(checked)["status"] == "completed"
    assert started(sim) == 1


async def test_get_account(serve: Serve) -> None:
    async with session(serve(), "auto") as client:
        result = await client.call_tool("get_account", {})
    assert data(result)["credits"] > 0
    assert "balance" in text(result)


async def test_the_key_never_shows(serve: Serve, sim: EnrowSimulator) -> None:
    wrong = "sk_wrong_key_0123456789"
    async with session(serve(key=wrong), "auto") as client:
        results = [
            await client.call_tool("get_account", {}),
            await client.call_tool("estimate_list", {"kind": "find", "rows": people(2)}),
        ]
    for result in results:
        assert result.is_error
        assert wrong not in text(result)
    async with session(serve(), "auto", Person()) as client:
        said = text(await client.call_tool("find_emails", {"rows": people(2)}))
    assert sim.api_key not in said


@pytest.mark.parametrize(
    ("arguments", "said"),
    [
        ({"kind": "find"}, "give either rows or path"),
        ({"kind": "find", "rows": [], "path": "x.csv"}, "give either rows or path"),
        ({"kind": "find", "path": "/no/such/file.csv"}, "no such file"),
        ({"kind": "find", "rows": [{"fullname": "Ann Lee"}]}, "missing column(s)"),
        ({"kind": "find", "rows": [{"name": "Ann Lee"}]}, "name"),
        ({"kind": "find", "emails": ["a@b.io"]}, "use kind=verify"),
        ({"kind": "verify", "rows": people(1)}, "use kind=find"),
        (
            {"kind": "verify", "emails": ["a@b.io"], "job_id": "find-0123456789abcdef"},
            "not a verify job",
        ),
        ({"kind": "find", "rows": people(1), "country_code": "USA"}, "country_code"),
    ],
)
async def test_input_mistakes_are_told_before_anything_is_sent(
    serve: Serve, sim: EnrowSimulator, arguments: dict[str, object], said: str
) -> None:
    async with session(serve(), "auto") as client:
        result = await client.call_tool("estimate_list", arguments)
    assert result.is_error
    assert said in text(result)
    assert started(sim) == 0


async def test_a_file_without_the_columns_says_how_to_name_them(
    serve: Serve, tmp_path: Path
) -> None:
    path = write_csv(tmp_path / "c.csv", [["Who", "Where"], ["Ann Lee", "acme.com"]])
    async with session(serve(), "auto") as client:
        missing = await client.call_tool("estimate_list", {"kind": "find", "path": str(path)})
        named = await client.call_tool(
            "estimate_list",
            {"kind": "find", "path": str(path), "columns": {"fullname": "Who", "domain": "Where"}},
        )
    assert "name them in `columns`" in text(missing)
    assert data(named)["sent"] == 1


@pytest.mark.parametrize(
    ("uri", "said"),
    [
        ("enrow://jobs/find-0123456789abcdef/results.csv", "has no results here yet"),
        ("enrow://jobs/nope/results.csv", "is not a job id"),
        ("enrow://batches/phone/b1/results.csv", "batches are find or verify"),
        ("enrow://batches/find/no-such-batch/results.csv", "no-such-batch"),
    ],
)
async def test_a_resource_that_cannot_be_read_says_why(
    serve: Serve, mode: str, uri: str, said: str
) -> None:
    async with session(serve(), mode) as client:
        with pytest.raises(MCPError, match=said):
            await client.read_resource(uri)


async def test_an_ongoing_batch_has_no_results_to_read(serve: Serve, sim: EnrowSimulator) -> None:
    async with session(serve(), "auto") as client:
        with pytest.raises(MCPError, match="is ongoing: no results to read"):
            await client.read_resource(
                f"enrow://batches/find/{sim.add_batch(people(2))}/results.csv"
            )


async def test_a_journal_that_cannot_be_read_is_told(serve: Serve, jobs: Path) -> None:
    async with session(serve(), "auto") as client:
        ran = data(await client.call_tool("find_emails", {"rows": people(2), "max_credits": 2}))
        (jobs / ran["job_id"] / "journal.jsonl").write_text("not json\n{}\n", encoding="utf-8")
        read = await client.call_tool("get_job", {"job_id": ran["job_id"]})
    assert read.is_error
    assert ran["job_id"] in text(read)


async def test_without_a_folder_jobs_live_in_a_temporary_one(
    connect: Any, sim: EnrowSimulator
) -> None:
    server = build_server(lambda: connect(sim), McpSettings())
    async with session(server, "auto") as client:
        ran = data(await client.call_tool("find_emails", {"rows": people(2), "max_credits": 2}))
        file = ran["results"]["file"]
        assert file_text(file).startswith("fullname,")
    assert not Path(file).parent.parent.exists()  # removed with the server
