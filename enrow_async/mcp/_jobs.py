"""Where the MCP server keeps its jobs, so that work survives the agent and the server.

One folder per job under the server's directory, named by the job's id:

- ``job.json``: the list as read (table, items sent, skipped rows) and the options of its
  searches, written before anything is paid, so the job can be run again from it;
- ``journal.jsonl``: the engine's record of every start ([JournalFile][enrow_async.JournalFile]);
- ``results.csv``: every row of the list with what was found, written when a run ends.

A job's id is a digest of what it sends (its kind, options and items): the same list asked
for twice is the same job, so a repeated call waits for the batches already started
instead of paying for them again.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Literal

import attrs
import orjson

from enrow_async import EmailSearch, JournalFile, to_dict
from enrow_async.tables import write_bytes

from ._inputs import ListInput

__all__ = ["JobSpec", "JobStore", "Kind", "job_id"]

Kind = Literal["find", "verify"]

_ID = re.compile(r"(find|verify)-[0-9a-f]{16}")


@attrs.frozen
class JobSpec:
    """A job: its kind and id, its list, and the country of its company-name searches."""

    kind: Kind
    id: str
    input: ListInput
    country_code: str | None = None


def _items(kind: Kind, items: Sequence[Any]) -> list[Any]:
    return [to_dict(item) for item in items] if kind == "find" else list(items)


def job_id(kind: Kind, items: Sequence[Any], country_code: str | None = None) -> str:
    """The id of the job that sends ``items``: ``find-`` or ``verify-`` and 16 hex digits."""
    body = orjson.dumps([kind, country_code, _items(kind, items)], option=orjson.OPT_SORT_KEYS)
    return f"{kind}-{hashlib.sha256(body).hexdigest()[:16]}"


class JobStore:
    """The jobs under ``root`` (created when the first job is saved)."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def folder(self, job: str) -> Path:
        """The folder of job ``job``; ValueError for a string that is no job id."""
        if not _ID.fullmatch(job):
            raise ValueError(
                f"{job!r} is not a job id (find- or verify- and 16 hex digits, as a tool gave it)"
            )
        return self.root / job

    def journal(self, spec: JobSpec) -> JournalFile:
        return JournalFile(self.folder(spec.id) / "journal.jsonl", kind=spec.kind)

    def results(self, job: str) -> Path:
        return self.folder(job) / "results.csv"

    def save(self, spec: JobSpec) -> None:
        folder = self.folder(spec.id)
        folder.mkdir(parents=True, exist_ok=True)
        listed = spec.input
        data = {
            "kind": spec.kind,
            "country_code": spec.country_code,
            "source": listed.source,
            "header": listed.header,
            "rows": list(listed.rows),
            "items": _items(spec.kind, listed.items),
            "rows_of": listed.rows_of,
            "skipped": sorted(listed.skipped.items()),
        }
        write_bytes(folder / "job.json", orjson.dumps(data))  # a reader never sees half

    def load(self, job: str) -> JobSpec | None:
        """The job saved as ``job``, or None when this server has none by that id."""
        try:
            data = orjson.loads((self.folder(job) / "job.json").read_bytes())
        except FileNotFoundError:
            return None
        kind: Kind = "find" if data["kind"] == "find" else "verify"
        items = data["items"]
        listed = ListInput(
            data["source"],
            data["header"],
            data["rows"],
            [EmailSearch(**item) for item in items] if kind == "find" else items,
            data["rows_of"],
            dict(data["skipped"]),
        )
        return JobSpec(kind, job, listed, data["country_code"])
