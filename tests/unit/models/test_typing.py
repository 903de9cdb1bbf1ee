"""The typed mappings catch key typos: ``mypy --strict`` on ``typing_cases.py`` reports
exactly the lines marked ``# error``."""

from __future__ import annotations

import re
from pathlib import Path

from mypy import api

CASES = Path(__file__).with_name("typing_cases.py")


def test_mypy_reports_exactly_the_marked_lines() -> None:
    marked = {
        number
        for number, line in enumerate(CASES.read_text().splitlines(), 1)
        if line.endswith("# error")
    }
    report, errors, status = api.run(
        ["--strict", "--no-error-summary", "--show-error-codes", str(CASES)]
    )
    assert not errors
    reported = {int(n) for n in re.findall(r"typing_cases\.py:(\d+): error", report)}
    assert reported == marked, report
    assert status == 1
