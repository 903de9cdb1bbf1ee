"""A list job's plan: each distinct item (a search, an address) sent once, in numbered
batches, given what the job's record says was already started.

Items are told apart by a digest of their identity (``search_identity``,
``email_identity``) and of the options that change results. A batch the record shows
started keeps every item it carries that is still in the list, wherever the item now
stands; a batch whose start is unknown keeps its items unsent unless asked; only the
items no batch covers are planned into new batches. So an edited, grown or reordered
list never pays again for what was already started, and the plan says which started
batches still serve it.
"""

from __future__ import annotations

import hashlib
from array import array
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Generic, TypeVar

import attrs

from ..models import BatchRecord, RecordState, latest_records

__all__ = ["ListPlan", "PlannedBatch", "batch_key", "item_digest"]

T = TypeVar("T")


def item_digest(settings: str, identity: Sequence[str]) -> str:
    """16 hex digits naming one item under ``settings`` (the options that change results)."""
    data = "\x1f".join((settings, *identity)).encode()
    return hashlib.blake2b(data, digest_size=8).hexdigest()


def batch_key(digests: Iterable[str]) -> str:
    """A batch's fingerprint: the digests of its items, in order."""
    return hashlib.sha256("\x1e".join(digests).encode()).hexdigest()[:32]


@attrs.frozen
class PlannedBatch(Generic[T]):
    """A new batch: its distinct ``items`` (in the order sent) and their ``digests``."""

    number: int
    items: tuple[T, ...]
    digests: tuple[str, ...]

    @property
    def key(self) -> str:
        return batch_key(self.digests)


class ListPlan(Generic[T]):
    """The plan of ``items``: ``distinct`` (first of each identity), ``duplicates`` (items
    not sent because an identical one is), the ``started`` and ``uncertain`` batches kept
    from ``records``, and the new ``batches`` to start (numbered after every recorded one).

    ``unused`` lists started batches none of whose items are in the list any more (paid
    for, no longer needed). With ``resend_unknown``, the items of batches whose start is
    unknown are planned again (they may be paid twice); ``retry`` (digests) plans again the
    items of these started batches' positions that came back without a result.
    """

    def __init__(
        self,
        items: Sequence[T],
        identity: Callable[[T], Sequence[str]],
        *,
        batch_size: int,
        settings: str,
        records: Iterable[BatchRecord] = (),
        resend_unknown: bool = False,
    ) -> None:
        slot_of: dict[str, int] = {}
        owner = array("i")  # input position -> slot (position among the distinct items)
        distinct: list[T] = []
        digests: list[str] = []
        for item in items:
            digest = item_digest(settings, identity(item))
            slot = slot_of.setdefault(digest, len(distinct))
            if slot == len(distinct):
                distinct.append(item)
                digests.append(digest)
            owner.append(slot)
        self.items = items
        self.distinct = distinct
        self.duplicates = len(items) - len(distinct)
        self._owner = owner
        self._digests = digests
        self._size = batch_size
        # slot -> the batch number and index its result comes from (-1: none yet)
        self._home_batch = array("i", [-1]) * len(distinct)
        self._home_index = array("i", [-1]) * len(distinct)
        self._batch_slots: dict[int, array[int]] = {}  # number -> slot at each index (-1)
        self._filled: dict[int, list[int]] | None = None
        recorded = latest_records(records)
        self.started: list[BatchRecord] = []
        self.uncertain: list[BatchRecord] = []
        self.unused: list[BatchRecord] = []
        for number in sorted(recorded):
            record = recorded[number]
            if record.state is RecordState.STARTED:
                if self._adopt(record, slot_of):
                    self.started.append(record)
                else:
                    self.unused.append(record)
            elif not resend_unknown and self._adopt(record, slot_of):
                self.uncertain.append(record)
        self._next = max(recorded, default=-1) + 1
        self.batches: list[PlannedBatch[T]] = []
        home = self._home_batch
        self.add([slot for slot in range(len(distinct)) if home[slot] < 0])

    def _home(self, slot: int, number: int, index: int) -> None:
        self._home_batch[slot] = number
        self._home_index[slot] = index
        self._filled = None  # the positions by batch are made again when next asked

    def _positions_by_batch(self) -> dict[int, list[int]]:
        """Batch number -> the input positions it fills: one pass over the list, kept until
        a home changes (not one pass per batch: a list of many small batches stays linear)."""
        if self._filled is None:
            home = self._home_batch
            filled: dict[int, list[int]] = {}
            for position, slot in enumerate(self._owner):
                filled.setdefault(home[slot], []).append(position)
            self._filled = filled
        return self._filled

    def _at(self, slot: int, number: int) -> bool:
        return slot >= 0 and self._home_batch[slot] == number

    def _adopt(self, record: BatchRecord, slot_of: Mapping[str, int]) -> bool:
        """Home the items of ``record`` still in the list (and not homed yet) in it."""
        slots = array("i")
        for index, digest in enumerate(record.items):
            slot = slot_of.get(digest, -1)
            if slot >= 0 and self._home_batch[slot] < 0:
                self._home(slot, record.number, index)
            else:
                slot = -1
            slots.append(slot)
        self._batch_slots[record.number] = slots
        return any(slot >= 0 for slot in slots)

    def add(self, slots: Sequence[int]) -> list[PlannedBatch[T]]:
        """Plan new batches for ``slots`` (distinct items), numbered after all others."""
        added = []
        for start in range(0, len(slots), self._size):
            part = slots[start : start + self._size]
            number = self._next
            self._next += 1
            for index, slot in enumerate(part):
                self._home(slot, number, index)
            self._batch_slots[number] = array("i", part)
            added.append(
                PlannedBatch(
                    number,
                    tuple(self.distinct[slot] for slot in part),
                    tuple(self._digests[slot] for slot in part),
                )
            )
        self.batches += added
        return added

    def retry(self, number: int, indexes: Iterable[int]) -> list[PlannedBatch[T]]:
        """Plan again, in new batches, the items of batch ``number`` at ``indexes`` (which
        came back without a result); those still homed there move to the new batches."""
        slots = self._batch_slots.get(number, array("i"))
        moved = [
            slot for index in indexes if 0 <= index < len(slots) and (slot := slots[index]) >= 0
        ]
        for slot in moved:
            self._home(slot, -1, -1)
        return self.add(moved)

    @property
    def size(self) -> int:
        return self._size

    def positions(self, number: int) -> tuple[int, ...]:
        """The input positions batch ``number``'s results fill (duplicates included)."""
        return tuple(self._positions_by_batch().get(number, ()))

    def owners(self, number: int) -> Mapping[int, list[int]]:
        """Index in batch ``number`` -> the input positions its result fills."""
        owner, index_of = self._owner, self._home_index
        owners: dict[int, list[int]] = {}
        for position in self._positions_by_batch().get(number, ()):
            owners.setdefault(index_of[owner[position]], []).append(position)
        return owners

    def size_of(self, number: int) -> int:
        """How many items batch ``number`` was sent with."""
        return len(self._batch_slots.get(number, ()))

    def kept(self, number: int) -> int:
        """How many of batch ``number``'s items still serve the list."""
        return sum(self._at(slot, number) for slot in self._batch_slots[number])

    def batch_items(self, number: int) -> list[T | None]:
        """Batch ``number``'s items in the order sent (``None`` for one no longer listed)."""
        return [
            self.distinct[slot] if slot >= 0 else None for slot in self._batch_slots.get(number, ())
        ]
