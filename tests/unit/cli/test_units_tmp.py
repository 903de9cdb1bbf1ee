"""The command line's pure parts: column spellings, CSV dialects, the journal."""

from __future__ import annotations

from pathlib import Path

import orjson
import pytest

from enrow_async import BulkJob, EmailSearch
from enrow_async.cli.csvio import read_table
from enrow_async.cli.errors import CliError
from enrow_async.cli.inputs import find_columns, read_emails, searches_of
from enrow_async.cli.journal import Journal
from enrow_async.cli.records import added_columns


@pytest.mark.parametrize(
    ("header", "row", "expected"),
    [
        ("fullname,company_domain", "Ada Lovelace,x.io", ("Ada Lovelace", "x.io", None)),
        ("Full Name;Website", "Ada Lovelace;x.io", ("Ada Lovelace", "x.io", None)),
        ("Prénom,Nom,Société", "Zoë,Ramírez,ACME", ("Zoë Ramírez", None, "ACME")),
        ("FIRSTNAME\tLast-Name\tCompany", "Ada\tLovelace\tACME", ("Ada Lovelace", None, "ACME")),
        ("given name|surname|domain", "Ada|Lovelace|x.io", ("Ada Lovelace", "x.io", None)),
        (
            "First_Name,Family Name,Company Name",
            "Ada,Lovelace,ACME",
            ("Ada Lovelace", None, "ACME"),
        ),
        ("name,company,url", '"Ada\n Lovelace",ACME,', ("Ada Lovelace", None, "ACME")),
    ],
)
def test_column_spellings(
    tmp_path: Path, header: str, row: str, expected: tuple[str, str | None, str | None]
) -> None:
    path = tmp_path / "in.csv"
    path.write_text(f"\ufeff{header}\n{row}\n", encoding="utf-8")
    table = read_table(path)
    searches, rows = searches_of(table, find_columns(table))
    assert searches == [EmailSearch(*expected)]
    assert rows == [0]


def test_unusable_rows_are_left_out(tmp_path: Path) -> None:
    path = tmp_path / "in.csv"
    path.write_text("fullname,company_domain,company_name\nAda,,\n,x.io,\n\nJim, x.io ,\n")
    table = read_table(path)
    searches, rows = searches_of(table, find_columns(table))
    assert searches == [EmailSearch("Jim", "x.io")]
    assert rows == [2]  # the blank line is no row


def test_new_columns_never_shadow_input_columns() -> None:
    assert added_columns(["Email", "Company", "x"], ["email", "company", "gender"]) == [
        "enrow_email",
        "enrow_company",
        "gender",
    ]


def test_emails_one_per_line_or_in_a_column(tmp_path: Path) -> None:
    (tmp_path / "a.txt").write_text("ada@x.io\n\n bob@y.io \n")
    assert read_emails(tmp_path / "a.txt").emails == ["ada@x.io", "bob@y.io"]
    (tmp_path / "b.csv").write_text("Name;E-Mail Address\nAda;ada@x.io\n")
    listed = read_emails(tmp_path / "b.csv")
    assert listed.emails == ["ada@x.io"]
    assert listed.table is not None
    (tmp_path / "c.csv").write_text("Name,Phone\nAda,1\n")
    with pytest.raises(CliError, match="missing column: email") as caught:
        read_emails(tmp_path / "c.csv")
    assert caught.value.code == 2


SEARCHES = [EmailSearch(f"Person {i}", f"c{i}.io") for i in range(25)]


def test_journal_resumes_started_batches_and_holds_back_unknown_ones(tmp_path: Path) -> None:
    path = tmp_path / "j.journal"
    journal = Journal(path)
    assert journal.todo(25, 10) == [(0, 10), (10, 10), (20, 5)]
    first = journal.posting(0, SEARCHES[0:10])
    journal.started_batch(first, BulkJob("b1", estimated_duration=1))
    journal.unknown_outcome(journal.posting(10, SEARCHES[10:20]), "dropped")
    journal.refused(journal.posting(20, SEARCHES[20:25]))

    again = Journal(path)
    again.check(SEARCHES, Path("in.csv"))
    assert [e.batch_id for e in again.started] == ["b1"]
    assert [(e.offset, e.size) for e in again.unknown] == [(10, 10)]
    assert again.todo(25, 10) == [(20, 5)]
    assert again.todo(25, 10, resend_unknown=True) == [(10, 10), (20, 5)]
    assert again.todo(25, 4, resend_unknown=True) == [(10, 10), (20, 4), (24, 1)]
    with pytest.raises(CliError, match="other input") as caught:
        again.check([EmailSearch("Someone Else", "c0.io"), *SEARCHES[1:]], Path("in.csv"))
    assert caught.value.code == 2


def test_journal_posting_without_answer_reads_as_unknown_even_after_a_torn_line(
    tmp_path: Path,
) -> None:
    path = tmp_path / "j.journal"
    Journal(path).posting(0, SEARCHES[:5])
    with path.open("ab") as stream:
        stream.write(b'{"v":1,"event":"sta')  # the process died while writing
    journal = Journal(path)
    assert [e.event for e in journal.unknown] == ["posting"]
    assert journal.todo(5, 5) == []
    journal.started_batch(journal.unknown[0], BulkJob("b1"))  # e.g. found on the dashboard
    lines = [orjson.loads(line) for line in path.read_bytes().splitlines()[-1:]]
    assert lines[0]["batch_id"] == "b1"
    assert [e.batch_id for e in Journal(path).started] == ["b1"]


def test_a_refused_resend_keeps_the_range_unknown(tmp_path: Path) -> None:
    path = tmp_path / "j.journal"
    journal = Journal(path)
    journal.unknown_outcome(journal.posting(0, SEARCHES[:10]), "dropped")
    journal.started_batch(journal.posting(10, SEARCHES[10:15]), BulkJob("b1"))
    assert journal.todo(15, 5, resend_unknown=True) == [(0, 10)]  # as it was first sent
    journal.refused(journal.posting(0, SEARCHES[:10]))  # e.g. out of credits
    for state in (journal, Journal(path)):
        assert [(e.event, e.offset) for e in state.unknown] == [("unknown", 0)]
        assert state.todo(15, 5) == []  # still in doubt: not sent without asking
