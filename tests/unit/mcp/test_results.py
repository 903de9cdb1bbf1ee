"""A run's rows: every row of the list in order with the cells a run adds, the API's cells
neutralised against spreadsheet formulas, rows without a result marked with why."""

from __future__ import annotations

from pathlib import Path

from enrow_async import (
    EmailResult,
    EmailSearch,
    EmailVerification,
    FinishedBatch,
    Gap,
    GapReason,
    ListReport,
    Qualification,
)
from enrow_async.mcp._inputs import ListInput
from enrow_async.mcp._results import Cells

from .session import read_csv


def report(*gaps: Gap) -> ListReport:
    return ListReport(3, 3, 0, 1, (), 1.0, 0.0, 1.0, 0, gaps=gaps)


def written(cells: Cells, path: Path) -> str:
    cells.write(path)
    data = path.read_bytes()
    assert data.count(b"\r\n") == len(cells.listed.rows) + 1  # CRLF, header first
    return data.decode()


def test_found_cells_gaps_and_formulas(tmp_path: Path) -> None:
    listed = ListInput(
        "rows",
        ["name", "email"],
        [["=Ada", ""], ["Bob Ray", ""], ["Cher", ""], ["Dee Dee", ""]],
        [
            EmailSearch("Ada Lovelace", "ae.com"),
            EmailSearch("Bob Ray", "b.com"),
            EmailSearch("Dee Dee", "d.com"),
        ],
        [0, 1, 3],
        {2: "one-word name"},
    )
    cells = Cells(listed, find=True, sample=5)
    found = EmailResult(0, Qualification.VALID, "=cmd@ae.com")
    cells.add(FinishedBatch("b1", 0, [(0, found)]))
    cells.finish(report(Gap(GapReason.PENDING, (1,), "b2"), Gap(GapReason.FAILED, (2,), "b3")))
    table = read_csv(written(cells, tmp_path / "results.csv"))
    assert table[0] == ["name", "email", "enrow_email", "qualification", "firstname",
                        "lastname", "gender", "company"]  # fmt: skip
    assert table[1][:4] == ["=Ada", "", "'=cmd@ae.com", "valid"]  # the input as read
    assert [row[3] for row in table[1:]] == ["valid", "pending", "skipped", "failed"]
    assert cells.counts() == {"valid": 1, "pending": 1, "skipped": 1, "failed": 1}
    assert cells.shown == [  # JSON keeps raw values
        {"row": 1, "fullname": "Ada Lovelace", "company": "ae.com", "email": "=cmd@ae.com",
         "qualification": "valid"},
    ]  # fmt: skip


def test_verifications_and_a_sample_that_stops(tmp_path: Path) -> None:
    emails = [f"p{i}@x.io" for i in range(4)]
    listed = ListInput("emails", ["email"], [[e] for e in emails], emails, [0, 1, 2, 3])
    cells = Cells(listed, find=False, sample=2)
    results = [(i, EmailVerification(e, Qualification.INVALID)) for i, e in enumerate(emails)]
    cells.add(FinishedBatch("b1", 0, results))
    cells.finish(report())
    assert read_csv(written(cells, tmp_path / "results.csv"))[1] == ["p0@x.io", "invalid"]
    assert cells.shown == [  # JSON keeps raw values
        {"row": 1, "email": "p0@x.io", "qualification": "invalid"},
        {"row": 2, "email": "p1@x.io", "qualification": "invalid"},
    ]
