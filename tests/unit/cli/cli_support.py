"""Helpers of the command line's tests: CSV files of people, and what ``find`` must write."""

from __future__ import annotations

import csv
import io
from collections.abc import Awaitable
from pathlib import Path
from typing import Any, Protocol

import attrs

from enrow_async import PollPolicy

FAST = PollPolicy(initial=0.01, min_interval=0.01, max_interval=0.05, spread=0.0)
"""Polls every few milliseconds: the batches of these tests finish at once."""

FOUND = [
    "enrow_email",
    "enrow_status",
    "enrow_firstname",
    "enrow_lastname",
    "enrow_gender",
    "enrow_company",
    "enrow_reason",
]


@attrs.frozen
class Ran:
    """One in-process run of the command line: exit status, stdout, stderr."""

    code: int
    out: str
    err: str


class Cli(Protocol):
    """The ``cli`` fixture: ``await cli("find", ..., key=...)``."""

    def __call__(self, *argv: str | Path, key: str | None = None) -> Awaitable[Ran]: ...


def read_csv(path: Path) -> list[list[str]]:
    text = path.read_text(encoding="utf-8-sig")
    return list(csv.reader(io.StringIO(text, newline="")))


def write_csv(path: Path, rows: list[list[str]], *, bom: bool = False, **fmt: Any) -> None:
    with path.open("w", encoding="utf-8-sig" if bom else "utf-8", newline="") as stream:
        csv.writer(stream, **fmt).writerows(rows)


def leads(count: int) -> list[list[str]]:
    """Rows with mixed column spellings, quoted commas/newlines/quotes, and unusable rows."""
    rows = [["First Name", "SURNAME", "Company Website", "Organisation", "Notes", "custom"]]
    firsts = ["Ada", "Zoë", "François", "Jim", "Pam", "Ryan", "Oscar", "Kelly", "Stanley"]
    lasts = ["Lovelace", "Ramírez", "Dupont", "Halpert", "Beesly", "Howard", "Martinez"]
    for i in range(count):
        first, last = firsts[i % len(firsts)], f"{lasts[i % len(lasts)]}{i}"
        domain = f"company{i % 40}.com" if i % 3 else ""
        company = f"Company {i % 40}, Inc." if i % 3 != 1 else ""
        if i % 37 == 5:
            domain = company = ""  # no company: skipped
        if i % 53 == 7:
            first = last = ""  # no name: skipped
        note = f'row {i}, "quoted"\nsecond line' if i % 4 == 0 else f"plain {i}"
        rows.append([first, last, domain, company, note, f"id-{i}" if i % 2 else ""])
    return rows


def unusable(row: list[str]) -> bool:
    return not (row[0] or row[1]) or not (row[2] or row[3])


def check_output(
    source: list[list[str]], output: list[list[str]], *, missing: str | None = None
) -> list[list[str]]:
    """Every input cell unchanged, rows in order, the found columns appended; every usable
    row found or not, or (``missing``) written with that status."""
    assert output[0] == source[0] + FOUND
    assert len(output) == len(source)
    width = len(source[0])
    for given, written in zip(source[1:], output[1:], strict=True):
        assert written[:width] == given
        email, status = written[width], written[width + 1]
        if unusable(given):
            assert status == "skipped"
            assert written[-1] in ("no name", "no company")
            assert email == ""
        elif missing is not None:
            assert status == missing
            assert email == ""
        elif status == "found":
            assert "@" in email
        else:
            assert status == "not found"
            assert email == ""
    return [row[width:] for row in output[1:]]
