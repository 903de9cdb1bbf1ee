"""The ``--journal`` file of ``find`` and ``verify``: which batches were started, so none is
ever paid for twice.

One JSON line per event, appended and fsynced before the command goes on:

- ``posting``: a batch is about to be sent (searches ``offset`` to ``offset + size``);
- ``started``: it was created, with its ``batch_id``;
- ``refused``: the API answered with an error, so nothing was created;
- ``unknown``: no clear answer (OutcomeUnknownError, or Ctrl-C before the answer): the batch
  may exist; it is not sent again unless the user asks for it (``--resend-unknown``).

A ``posting`` with no later event (the process died in between) reads as ``unknown``. Each
line carries a fingerprint of its items (searches, or addresses to verify); a journal that
does not match the input is refused, because its batch ids would belong to other rows (a
``find`` journal given to ``verify`` never matches).
"""

from __future__ import annotations

import hashlib
import os
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, Generic, TypeVar

import attrs
import orjson

from enrow_async import BulkJob, EmailSearch

from .errors import CliError

__all__ = ["Entry", "Journal", "address_fingerprint", "fingerprint"]

_VERSION = 1

T = TypeVar("T")


def fingerprint(searches: Sequence[EmailSearch]) -> str:
    """A digest of the searches of one batch, in order."""
    data = orjson.dumps(
        [[s.fullname, s.company_domain, s.company_name, s.custom] for s in searches]
    )
    return "sha256:" + hashlib.sha256(data).hexdigest()


def address_fingerprint(emails: Sequence[str]) -> str:
    """A digest of the addresses of one verification batch, in order."""
    return "sha256:" + hashlib.sha256(orjson.dumps({"verify": list(emails)})).hexdigest()


@attrs.frozen
class Entry:
    """The last word on one range of searches."""

    event: str
    offset: int
    size: int
    fingerprint: str
    batch_id: str | None = None
    estimated_duration: float | None = None
    at: float | None = None
    credits_used: float | None = None
    """Credits the batch reserved when it started, as its POST answer said."""

    @property
    def end(self) -> int:
        return self.offset + self.size


class Journal(Generic[T]):
    """Entries by range; ``digest`` fingerprints a batch's items (``fingerprint`` for email
    searches, ``address_fingerprint`` for addresses), ``noun`` names them in messages. With
    ``path=None`` it only keeps them in memory."""

    def __init__(
        self, digest: Callable[[Sequence[T]], str], path: Path | None = None, noun: str = "searches"
    ) -> None:
        self.path = path
        self.noun = noun
        self._digest = digest
        self._entries: dict[tuple[int, int], Entry] = {}
        self._displaced: dict[tuple[int, int], Entry] = {}
        self._torn = False
        if path is not None:
            self._load(path)

    def _load(self, path: Path) -> None:
        try:
            raw = path.read_bytes()
        except FileNotFoundError:
            return
        except OSError as exc:
            raise CliError(f"{path}: cannot read the journal ({exc.strerror or exc})", 2) from None
        self._torn = bool(raw) and not raw.endswith(b"\n")
        lines = raw.splitlines()
        for number, line in enumerate(lines, 1):
            if not line.strip():
                continue
            try:
                data = orjson.loads(line)
                entry = Entry(
                    event=str(data["event"]),
                    offset=int(data["offset"]),
                    size=int(data["size"]),
                    fingerprint=str(data["fingerprint"]),
                    batch_id=data.get("batch_id"),
                    estimated_duration=data.get("estimated_duration"),
                    at=data.get("at"),
                    credits_used=data.get("credits_used"),
                )
            except (orjson.JSONDecodeError, KeyError, TypeError, ValueError):
                if not line.rstrip().endswith(b"}"):
                    continue  # a line cut short by a crash: the posting before it stands
                raise CliError(f"{path}: line {number} is not a journal entry", 2) from None
            self._apply(entry)

    def _apply(self, entry: Entry) -> None:
        key = (entry.offset, entry.size)
        if entry.event == "refused":  # nothing was created: the range is as it was before
            self._entries.pop(key, None)
            previous = self._displaced.pop(key, None)
            if previous is not None:
                self._entries[key] = previous
            return
        for other, old in self._entries.items():
            if other != key and old.offset < entry.end and entry.offset < old.end:
                raise CliError(
                    f"{self.path}: overlapping entries for {self.span(old)} and {self.span(entry)}",
                    2,
                )
        if entry.event != "posting":
            self._displaced.pop(key, None)
        elif key in self._entries:  # an unknown range sent again (--resend-unknown)
            self._displaced[key] = self._entries[key]
        self._entries[key] = entry

    def _append(self, entry: Entry, **extra: Any) -> None:
        self._apply(entry)
        if self.path is None:
            return
        record = {"v": _VERSION, **attrs.asdict(entry), **extra}
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
            raise CliError(
                f"{self.path}: cannot write the journal ({exc.strerror or exc})"
            ) from None

    # -- reading --------------------------------------------------------------------------------

    def span(self, entry: Entry) -> str:
        """``entry``'s items, 1-based, for messages: ``searches 5001-10000``."""
        return f"{self.noun} {entry.offset + 1}-{entry.end}"

    @property
    def started(self) -> list[Entry]:
        return sorted((e for e in self._entries.values() if e.event == "started"), key=_offset)

    @property
    def unknown(self) -> list[Entry]:
        """Ranges that may or may not have become batches (``posting`` without an answer)."""
        return sorted((e for e in self._entries.values() if e.event != "started"), key=_offset)

    def check(self, items: Sequence[T], source: Path) -> None:
        """Refuse (exit 2) a journal written for other input."""
        for entry in self._entries.values():
            part = items[entry.offset : entry.end]
            if len(part) != entry.size or self._digest(part) != entry.fingerprint:
                raise CliError(
                    f"{self.path}: this journal was written for other input"
                    f" ({self.span(entry)} differ from {source}); use a new journal file",
                    2,
                )

    def todo(
        self, count: int, batch_size: int, *, resend_unknown: bool = False
    ) -> list[tuple[int, int]]:
        """(offset, size) of the searches to send: those no entry covers, at most
        ``batch_size`` each, and with ``resend_unknown`` the unknown ranges as they were."""
        ranges = [(e.offset, e.size) for e in self.unknown] if resend_unknown else []
        position = 0
        for entry in sorted(self._entries.values(), key=_offset):
            ranges += _split(position, entry.offset, batch_size)
            position = max(position, entry.end)
        return sorted(ranges + _split(position, count, batch_size))

    # -- writing --------------------------------------------------------------------------------

    def posting(self, offset: int, items: Sequence[T]) -> Entry:
        entry = Entry("posting", offset, len(items), self._digest(items), at=time.time())
        self._append(entry)
        return entry

    def started_batch(self, posting: Entry, job: BulkJob) -> None:
        self._append(
            attrs.evolve(
                posting,
                event="started",
                batch_id=job.id,
                estimated_duration=job.estimated_duration,
                at=time.time(),
                credits_used=job.credits_used,
            ),
        )

    def save(self, path: Path) -> None:
        """Write every entry to a new journal at ``path`` (a run without ``--journal`` that
        ends with batches to resume keeps them there); later events go there too."""
        if self.path is not None:
            return
        self.path = path
        for entry in sorted(self._entries.values(), key=_offset):
            self._append(entry)

    def refused(self, posting: Entry) -> None:
        self._append(attrs.evolve(posting, event="refused", at=time.time()))

    def unknown_outcome(self, posting: Entry, reason: str) -> None:
        self._append(attrs.evolve(posting, event="unknown", at=time.time()), reason=reason)


def _split(start: int, end: int, size: int) -> list[tuple[int, int]]:
    return [(offset, min(size, end - offset)) for offset in range(start, end, size)]


def _offset(entry: Entry) -> int:
    return entry.offset


def _fsync_dir(folder: Path) -> None:
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)
