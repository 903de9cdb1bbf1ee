"""ProgressBar: a list job's starts, then its items finished, drawn as tqdm's text bar outside
a notebook; and what find_emails_frame shows with ``progress=True``."""

from __future__ import annotations

import io

import pytest

from enrow_async import EmailSearch, EnrowClient, SpendingRefusedError, StartedBatch
from enrow_async.frames import ProgressBar, find_emails_frame
from enrow_async.testing import EnrowSimulator

from .frames_support import Make

pytestmark = pytest.mark.anyio


def people(n: int) -> list[EmailSearch]:
    return [EmailSearch(f"Person {i}", f"co{i}.example.com") for i in range(n)]


def screen(text: str) -> list[str]:
    """What a terminal shows: each carriage return starts the line again."""
    return [line.rsplit("\r", 1)[-1].strip() for line in text.split("\n") if line.strip()]


async def test_the_bar_counts_starts_then_items_to_the_end(client: EnrowClient) -> None:
    job = client.email.list_job(people(10), batch_size=3)
    stream = io.StringIO()
    bar = ProgressBar(await job.estimate(), file=stream)
    drawn: list[str] = []

    def started(batch: StartedBatch) -> None:
        bar.started(batch)
        drawn.append(stream.getvalue().rsplit("\r", 1)[-1])

    report = await job.run(timeout=60, on_started=started, on_progress=bar.update)
    bar.close(f"{report.found} found")
    assert "starting batches 1/4" in drawn[0]
    assert "starting batches 3/4" in drawn[-2]
    assert "0/10" in drawn[-1]
    assert "batches 0/4 done" in drawn[-1]  # all started: the wait begins
    bar_line, summary = screen(stream.getvalue())
    assert bar_line.startswith("searches: 100%")
    assert "10/10" in bar_line
    assert "batches 4/4 done" in bar_line
    assert summary == "10 found"


async def test_nothing_is_drawn_for_a_run_its_guard_refuses(client: EnrowClient) -> None:
    job = client.email.list_job(people(3))
    stream = io.StringIO()
    bar = ProgressBar(await job.estimate(), file=stream)
    with pytest.raises(SpendingRefusedError):
        await job.run(timeout=60, max_credits=1, on_started=bar.started, on_progress=bar.update)
    bar.close()
    assert stream.getvalue() == ""


async def test_a_frame_run_shows_its_columns_bar_and_summary(
    sim: EnrowSimulator, client: EnrowClient, make: Make, capsys: pytest.CaptureFixture[str]
) -> None:
    frame = make(
        {
            "Full Name": ["Jim Halpert", "JIM HALPERT", "", "Pam Beesly"],
            "Website": ["dundermifflin.com", "dundermifflin.com", "", ""],
        }
    )
    await find_emails_frame(client, frame, batch_size=1)
    out, err = capsys.readouterr()
    lines = out.splitlines()
    assert lines[0] == "columns: name <- 'Full Name'; domain <- 'Website'"
    assert lines[1] == "columns: 'Website' (domain) empty in 1 of 3 row(s)"
    assert (
        lines[2]
        == "rows: 4 in the table, 2 to search, 2 skipped (1 blank row, 1 totals or notes row)"
    )
    assert lines[-1].startswith(  # the CLI's words (lists.report_lines), on one line
        "searched 2 row(s) (1 distinct searches) in 1 batch(es): 2 email(s) found (100%),"
        " 0 not found, 2 row(s) skipped; duplicates: 1 row(s) got the result of an identical"
        " search sent once: 1 credit(s) saved; credits: 1 reserved"
    )
    assert screen(err)[-1].startswith("searches: 100%")
