"""find_emails_frame and verify_emails_frame: a pandas or polars frame in, the same kind of
frame out with the result columns in row order, over the list engine (guard, record,
resume, retry); in memory on virtual time, counting POSTs at the simulator."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import anyio
import pytest
from helpers import Connect, Simulate
from hypothesis import given, settings
from hypothesis import strategies as st

from enrow_async import (
    BatchRecord,
    EnrowClient,
    JournalFile,
    ListReport,
    MemoryRecord,
    RecordState,
    SpendingRefusedError,
    TableError,
    check_row,
)
from enrow_async.frames import (
    FIND_COLUMNS,
    VERIFY_COLUMNS,
    find_emails_frame,
    verify_emails_frame,
)
from enrow_async.testing import (
    EnrowSimulator,
    MemoryTransport,
    SimulatorConfig,
)

from .frames_support import Make, column

pytestmark = pytest.mark.anyio


FIND = ("POST", "/email/find/bulk")
VERIFY = ("POST", "/email/verify/bulk")

LEADS = {
    "First Name": ["Jim", "JIM", "", "Total", "Dr. Pam", "Kevin", "Cher", "Oscar", "Angela"],
    "Last Name": ["Halpert", "halpert", "", "", "Beesly", "Malone", "", "Martinez", "Martin"],
    "Website": [
        "dundermifflin.com",
        "https://www.dundermifflin.com/about",  # the same search, written otherwise
        None,  # a blank row
        None,  # a totals row
        "dundermifflin.com",
        "dundermifflin.com",
        "cher.com",
        "gmail.com",  # free mail, no company name: not a company's
        "vance-refrigeration.com",
    ],
    "Email": [None, None, None, None, None, "kevin@dm.com", None, None, None],
}
"""Nine rows: one duplicate, a blank row, a totals row, a one-word name, free mail and a row
that already has an email; four searches are worth sending, one of them twice."""

SKIPPED = [False, False, True, True, False, True, True, True, False]


ANSWERED = {"valid", "invalid"}
"""The qualifications of a row whose search came back."""


def answered(qualifications: list[str]) -> bool:
    return set(qualifications) <= ANSWERED


def posts(sim: EnrowSimulator, what: tuple[str, str] = FIND) -> int:
    return sim.stats.requests.get(what, 0)


def leads(n: int) -> dict[str, list[object]]:
    return {
        "name": [f"Person {i}" for i in range(n)],
        "company_domain": [f"co{i}.example.com" for i in range(n)],
    }


async def test_the_frame_comes_back_of_its_own_type_with_results_in_row_order(
    sim: EnrowSimulator, client: EnrowClient, make: Make
) -> None:
    frame = make(LEADS)
    reports: list[ListReport] = []
    found = await find_emails_frame(client, frame, progress=False, on_report=reports.append)
    assert type(found) is type(frame)
    names = ["enrow_email" if name == "email" else name for name in FIND_COLUMNS]
    assert list(found.columns) == [*LEADS, *names]
    for name in LEADS:  # the caller's cells as they were
        assert column(found, name) == column(frame, name)
    qualifications = column(found, "qualification")
    assert [q == "skipped" for q in qualifications] == SKIPPED
    assert answered([q for q in qualifications if q != "skipped"])
    assert qualifications[1] == qualifications[0]
    emails = column(found, "enrow_email")
    assert emails[0] is not None
    assert emails[1] == emails[0]  # the duplicate got the result of the one search sent
    assert column(found, "note") == [
        None,
        "domain reduced to its host",
        "blank row",
        "totals or notes row",
        "title or suffix removed",
        "email already present",
        "one-word name",
        "domain not a company's",
        None,
    ]
    (report,) = reports
    assert (report.rows, report.distinct, report.duplicates, report.found) == (4, 3, 1, 4)
    assert report.complete
    assert posts(sim) == 1


async def test_a_pandas_index_is_kept(client: EnrowClient) -> None:
    import pandas

    index = [3 * i % 10 + 100 for i in range(10)]
    frame = pandas.DataFrame(leads(10), index=index)
    found = await find_emails_frame(client, frame, progress=False)
    assert list(found.index) == index
    assert answered(list(found["qualification"]))
    emails = found["email"].dropna()
    assert len(emails) > 0
    for label, email in emails.items():
        assert email.endswith(found.loc[label, "company_domain"])  # each row its own result


async def test_rows_with_an_email_are_searched_when_asked(
    sim: EnrowSimulator, client: EnrowClient, make: Make
) -> None:
    found = await find_emails_frame(client, make(LEADS), skip_with_email=False, progress=False)
    assert column(found, "qualification")[5] in ANSWERED
    assert column(found, "note")[5] is None


async def test_columns_are_named_as_on_the_command_line(client: EnrowClient, make: Make) -> None:
    frame = make(
        {
            "who": ["Jim Halpert", "Pam Beesly"],
            "employer site": ["dundermifflin.com", "dundermifflin.com"],
            "tag": ["a", "b"],
        }
    )
    with pytest.raises(TableError, match="missing column") as info:
        await find_emails_frame(client, frame, progress=False)
    assert any("name_column=" in note for note in info.value.__notes__)
    with pytest.raises(TableError, match="no column 'nope'"):
        await find_emails_frame(client, frame, name_column="nope", progress=False)
    found = await find_emails_frame(
        client,
        frame,
        name_column="who",
        domain_column="employer site",
        custom_column="tag",
        progress=False,
    )
    assert answered(column(found, "qualification"))


async def test_result_columns_never_replace_the_frames_own(client: EnrowClient, make: Make) -> None:
    frame = make({**leads(2), "email": ["", ""], "enrow_email": ["x", "y"], "Note": ["n", "m"]})
    found = await find_emails_frame(client, frame, progress=False)
    assert list(found.columns)[5:] == [
        "enrow_enrow_email",
        "qualification",
        "firstname",
        "lastname",
        "gender",
        "company",
        "enrow_note",
    ]
    assert column(found, "enrow_email") == ["x", "y"]
    assert column(found, "enrow_note") == [None, None]


async def test_anything_but_an_eager_frame_is_refused_before_anything_is_sent(
    sim: EnrowSimulator, client: EnrowClient
) -> None:
    import polars

    lazy = polars.LazyFrame(leads(2))
    with pytest.raises(TypeError, match=r"got polars.*LazyFrame.*collect\(\) it first"):
        await find_emails_frame(client, lazy, progress=False)
    with pytest.raises(TypeError, match="verify_emails_frame takes a DataFrame"):
        await verify_emails_frame(client, [{"email": "a@x.com"}], progress=False)
    assert sim.stats.requests == {}


async def test_an_empty_frame_sends_nothing(
    sim: EnrowSimulator, client: EnrowClient, make: Make
) -> None:
    found = await find_emails_frame(client, make(leads(0)), progress=False)
    assert len(found) == 0
    assert "qualification" in found.columns
    assert posts(sim) == 0


@pytest.mark.parametrize("how", ["cap", "balance", "confirm"])
async def test_a_refused_guard_sends_nothing(
    simulate: Simulate, connect: Connect, make: Make, how: str
) -> None:
    async with simulate(SimulatorConfig(credits=4)) as sim, connect(sim) as client:
        frame = make(leads(5 if how == "balance" else 3))
        with pytest.raises(SpendingRefusedError) as info:
            await find_emails_frame(
                client,
                frame,
                max_credits=2 if how == "cap" else None,
                confirm=(lambda estimate: estimate.credits < 3) if how == "confirm" else None,
                progress=False,
            )
        assert posts(sim) == 0
    assert info.value.credits == (5 if how == "balance" else 3)


async def test_an_interrupted_run_is_resumed_over_its_journal_without_paying_twice(
    sim: EnrowSimulator, client: EnrowClient, make: Make, tmp_path: Path
) -> None:
    journal = tmp_path / "leads.journal"
    frame = make(leads(10))

    class Interrupted(JournalFile):
        """The journal, and a kernel interrupt once the second start is written down."""

        async def write(self, entry: BatchRecord) -> None:
            await super().write(entry)
            if entry.state is RecordState.STARTED and entry.number == 1:
                scope.cancel()

    with anyio.CancelScope() as scope:
        await find_emails_frame(
            client, frame, record=Interrupted(journal), batch_size=3, progress=False
        )
    assert scope.cancelled_caught
    assert posts(sim) == 2
    reports: list[ListReport] = []
    found = await find_emails_frame(
        client, frame, record=journal, batch_size=3, progress=False, on_report=reports.append
    )
    assert answered(column(found, "qualification"))
    assert posts(sim) == 4  # the two batches never started, and no other
    assert len(reports[0].batches) == 4
    assert [entry.number for entry in JournalFile(journal).read()[1:4:2]] == [0, 1]
    again = await find_emails_frame(
        client, frame, record=str(journal), batch_size=3, progress=False
    )
    assert column(again, "email") == column(found, "email")
    assert posts(sim) == 4


async def test_what_is_still_running_at_the_deadline_is_collected_by_running_again(
    simulate: Simulate, connect: Connect, make: Make
) -> None:
    async with simulate(SimulatorConfig(duration=30.0)) as sim, connect(sim) as client:
        record = MemoryRecord()
        frame = make(leads(4))
        first = await find_emails_frame(client, frame, record=record, timeout=5, progress=False)
        assert column(first, "qualification") == ["pending"] * 4
        assert column(first, "email") == [None] * 4
        note = column(first, "note")[0]
        assert note.startswith("still running at the deadline")
        assert "run again with the same record" in note
        second = await find_emails_frame(client, frame, record=record, timeout=60, progress=False)
        assert answered(column(second, "qualification"))
        assert posts(sim) == 1


async def test_failed_rows_say_so_and_are_retried_on_request(
    simulate: Simulate, connect: Connect, make: Make
) -> None:
    config = SimulatorConfig(duration=(0.2, 0.4), seed=1, fail_rate=0.5)
    async with simulate(config) as sim, connect(sim) as client:
        record = MemoryRecord()
        frame = make(leads(12))
        first = await find_emails_frame(client, frame, record=record, batch_size=3, progress=False)
        failed = [i for i, q in enumerate(column(first, "qualification")) if q == "failed"]
        assert failed
        assert all("retry_failed=True" in column(first, "note")[i] for i in failed)
        sent = posts(sim)
        second = await find_emails_frame(
            client, frame, record=record, batch_size=3, retry_failed=True, progress=False
        )
        assert posts(sim) > sent
        still = [i for i, q in enumerate(column(second, "qualification")) if q == "failed"]
        assert len(still) < len(failed)
        others = [q for i, q in enumerate(column(second, "qualification")) if i not in still]
        assert answered(others)


async def test_an_unknown_start_is_marked_and_not_resent(
    sim: EnrowSimulator, client: EnrowClient, make: Make
) -> None:
    sim.inject("drop_after", path="/email/find/bulk", method="POST")
    found = await find_emails_frame(client, make(leads(4)), batch_size=2, progress=False)
    qualifications = column(found, "qualification")
    assert qualifications[:2] == ["unknown", "unknown"]
    assert answered(qualifications[2:])
    assert "resend_unknown=True" in column(found, "note")[0]
    assert posts(sim) == 2


# -- verification ----------------------------------------------------------------------------


async def test_addresses_are_verified_in_row_order(
    sim: EnrowSimulator, client: EnrowClient, make: Make
) -> None:
    frame = make(
        {"id": [1, 2, 3, 4, 5], "E-mail": ["a@x.com", "not one", None, " A@X.com ", "b@x.com"]}
    )
    reports: list[ListReport] = []
    checked = await verify_emails_frame(client, frame, progress=False, on_report=reports.append)
    assert type(checked) is type(frame)
    assert list(checked.columns) == ["id", "E-mail", *VERIFY_COLUMNS]
    qualifications = column(checked, "qualification")
    assert qualifications[1:3] == ["skipped", "skipped"]
    assert qualifications[0] == qualifications[3]  # the same address, checked once
    assert answered([qualifications[0], qualifications[4]])
    assert column(checked, "note") == [None, "not an email address", "no address", None, None]
    assert (reports[0].distinct, reports[0].duplicates) == (2, 1)
    assert posts(sim, VERIFY) == 1


async def test_the_address_column_is_found_or_named(client: EnrowClient, make: Make) -> None:
    frame = make({"contact": ["a@x.com"], "other": ["b@x.com"]})
    with pytest.raises(TableError, match="email_column="):
        await verify_emails_frame(client, frame, progress=False)
    with pytest.raises(TableError, match="no column 'nope'"):
        await verify_emails_frame(client, frame, email_column="nope", progress=False)
    checked = await verify_emails_frame(client, frame, email_column="other", progress=False)
    assert column(checked, "qualification")[0] in ANSWERED


async def test_a_verification_guard_refuses_before_any_post(
    sim: EnrowSimulator, client: EnrowClient, make: Make
) -> None:
    frame = make({"email": [f"p{i}@x.com" for i in range(8)]})
    with pytest.raises(SpendingRefusedError):
        await verify_emails_frame(client, frame, max_credits=1, progress=False)
    assert posts(sim, VERIFY) == 0


# -- whatever the cells ----------------------------------------------------------------------

CELLS = st.one_of(
    st.none(),
    st.sampled_from(["", " ", "Jim Halpert", "Dr. Jane Doe, PhD", "Total", "Cher", "x" * 120]),
    st.text(max_size=12),
)
DOMAINS = st.one_of(
    st.none(),
    st.sampled_from(["", "acme.com", "https://www.Acme.com/x", "gmail.com", "jo@acme.com"]),
)


@settings(max_examples=15)
@given(
    rows=st.lists(st.tuples(CELLS, DOMAINS, st.sampled_from([None, "", "Acme"])), max_size=12),
    polars=st.booleans(),
)
async def test_every_row_comes_back_in_place_skipped_exactly_when_its_check_says(
    rows: list[tuple[str | None, str | None, str | None]], polars: bool
) -> None:
    import pandas
    import polars as pl

    cells = {
        "Full Name": [name for name, _, _ in rows],
        "Domain": [domain for _, domain, _ in rows],
        "Company": [company for _, _, company in rows],
    }
    frame: Any = (
        pl.DataFrame(cells, schema=dict.fromkeys(cells, pl.String))
        if polars
        else (pandas.DataFrame(cells, dtype=object))
    )
    async with (
        EnrowSimulator(SimulatorConfig(duration=0.2), serve=False) as sim,
        EnrowClient(sim.api_key, base_url=sim.base_url, transport=MemoryTransport(sim)) as client,
    ):
        found = await find_emails_frame(client, frame, progress=False)
    assert len(found) == len(rows)
    assert column(found, "Full Name") == column(frame, "Full Name")
    for (name, domain, company), qualification in zip(
        rows, column(found, "qualification"), strict=True
    ):
        check = check_row(name or "", domain or "", company or "")
        assert (qualification == "skipped") is (check.search is None)
        assert qualification in {"skipped", *ANSWERED}
