"""Where a list job writes down every start, before and after its POST: the ``Record``
protocol, kept in memory (``MemoryRecord``) or in an append-only file (``JournalFile``).

Implement ``Record`` over your own store (a database table, a key-value store) to keep a
service's runs resumable: ``load`` returns what earlier runs wrote, ``write`` must have
stored the entry durably when it returns (the POST waits for it).

The file format: one JSON line per [BatchRecord][enrow_async.BatchRecord], appended and
fsynced before the job goes on. A line cut short by a crash is ignored (the entry before it
stands, and a ``posting`` with no later word reads as ``unknown``); any other unreadable
line is refused, as is a journal of another kind of job.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

import orjson

from ..errors import RecordError
from ..models import BatchRecord, to_dict

__all__ = ["JournalFile", "MemoryRecord", "Record"]

_VERSION = 2


@runtime_checkable
class Record(Protocol):
    """What a list job reads at its start and writes at every step of every start."""

    async def load(self) -> Sequence[BatchRecord]:
        """Every entry written so far, oldest first."""
        ...

    async def write(self, entry: BatchRecord) -> None:
        """Store ``entry`` durably before returning."""
        ...


class MemoryRecord:
    """A record kept in memory (``entries``): a run without a file, or a service that
    saves ``entries`` itself. ``save(path)`` writes them to a new journal file."""

    def __init__(self, entries: Sequence[BatchRecord] = ()) -> None:
        self.entries: list[BatchRecord] = list(entries)

    async def load(self) -> Sequence[BatchRecord]:
        return self.read()

    def read(self) -> list[BatchRecord]:
        """Every entry so far (as [JournalFile.read][enrow_async.JournalFile.read] gives a
        file's), oldest first."""
        return list(self.entries)

    async def write(self, entry: BatchRecord) -> None:
        self.entries.append(entry)

    def save(self, path: Path, *, kind: str = "") -> JournalFile:
        """A new journal file at ``path`` holding every entry so far."""
        journal = JournalFile(path, kind=kind)
        for entry in self.entries:
            journal.append(entry)
        return journal


class JournalFile:
    """A record in an append-only JSON Lines file; ``kind`` (``find``, ``verify``) is
    written on every line, and a journal of another kind is refused."""

    def __init__(self, path: Path, *, kind: str = "") -> None:
        self.path = path
        self.kind = kind
        self._torn = False

    def __repr__(self) -> str:
        return f"JournalFile({str(self.path)!r})"

    async def load(self) -> Sequence[BatchRecord]:
        return self.read()

    def read(self) -> list[BatchRecord]:
        """Every entry in the file (none when it does not exist); RecordError when a line
        is not an entry or belongs to another kind of job."""
        try:
            raw = self.path.read_bytes()
        except FileNotFoundError:
            return []
        except OSError as exc:
            reason = exc.strerror or exc
            raise RecordError(f"{self.path}: cannot read the journal ({reason})") from None
        self._torn = bool(raw) and not raw.endswith(b"\n")
        entries = []
        for number, line in enumerate(raw.splitlines(), 1):
            if not line.strip():
                continue
            try:
                data = orjson.loads(line)
                version = data.pop("v")
                kind = data.pop("kind", "")
            except (orjson.JSONDecodeError, KeyError, TypeError, AttributeError):
                if not line.rstrip().endswith(b"}"):
                    continue  # a line cut short by a crash: the entry before it stands
                raise RecordError(f"{self.path}: line {number} is not a journal entry") from None
            if version != _VERSION:
                raise RecordError(
                    f"{self.path}: a journal of another version ({version}) of enrow-async;"
                    " finish that run with the version that wrote it, or use a new file"
                )
            if self.kind and kind and kind != self.kind:
                raise RecordError(f"{self.path}: a journal of '{kind}', not of '{self.kind}'")
            try:
                entry = BatchRecord.from_dict(data)
            except (TypeError, ValueError):
                raise RecordError(f"{self.path}: line {number} is not a journal entry") from None
            entries.append(entry)
        return entries

    async def write(self, entry: BatchRecord) -> None:
        self.append(entry)

    def append(self, entry: BatchRecord) -> None:
        """Append ``entry`` and fsync it (and the folder, for a new file)."""
        record: dict[str, Any] = {"v": _VERSION, "kind": self.kind or None}
        record |= to_dict(entry)
        line = orjson.dumps({k: v for k, v in record.items() if v is not None}) + b"\n"
        if self._torn:  # end the line a crash cut short, so this one stays readable
            line, self._torn = b"\n" + line, False
        new = not self.path.exists()
        try:
            with self.path.open("ab") as stream:
                stream.write(line)
                stream.flush()
                os.fsync(stream.fileno())
            if new:
                _fsync_dir(self.path.parent)
        except OSError as exc:
            raise RecordError(
                f"{self.path}: cannot write the journal ({exc.strerror or exc})"
            ) from None


def _fsync_dir(folder: Path) -> None:
    """Make a new file's name durable; some filesystems cannot, and need not."""
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        return
    finally:
        os.close(fd)
