"""``find_emails``' plan: each distinct search sent once, in numbered batches, and the way
back from the batches' results to one result per input search.

The plan depends only on the searches, the batch size and the options that change results,
so the same list always gives the same batches: a saved batch (its number and key) names
the same searches after a restart, and is waited for instead of being started again.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence

import attrs

from ..models import EmailResult, EmailSearch, StartedBatch, search_identity

__all__ = ["FindPlan", "PlannedBatch"]


@attrs.frozen
class PlannedBatch:
    """One batch of the plan: the distinct ``searches`` it sends, the input ``positions``
    their results fill (duplicates included) and its ``key`` (a fingerprint)."""

    number: int
    searches: Sequence[EmailSearch]
    positions: tuple[int, ...]
    key: str


def _key(settings: str, identities: Sequence[tuple[str, str, str]]) -> str:
    digest = hashlib.sha256(settings.encode())
    for identity in identities:
        digest.update(b"\x1e" + "\x1f".join(identity).encode())
    return digest.hexdigest()[:32]


class FindPlan:
    """The batches of a list of searches; ``duplicates`` searches are not sent at all.

    ``settings`` (the options that change results, such as the country code) is part of
    every batch's key, so a batch saved under other options does not match.
    """

    def __init__(self, searches: Sequence[EmailSearch], batch_size: int, settings: str) -> None:
        firsts: dict[tuple[str, str, str], int] = {}
        distinct: list[EmailSearch] = []
        owner: list[int] = []  # input position -> position among the distinct searches
        for search in searches:
            slot = firsts.setdefault(search_identity(search), len(distinct))
            if slot == len(distinct):
                distinct.append(search)
            owner.append(slot)
        covered: list[list[int]] = [[] for _ in range(0, len(distinct), batch_size)]
        for position, slot in enumerate(owner):
            covered[slot // batch_size].append(position)
        identities = list(firsts)  # in the order of ``distinct``
        self.searches = searches
        self.duplicates = len(searches) - len(distinct)
        self.batches = [
            PlannedBatch(
                number,
                distinct[start : start + batch_size],
                tuple(covered[number]),
                _key(settings, identities[start : start + batch_size]),
            )
            for number, start in enumerate(range(0, len(distinct), batch_size))
        ]
        self._owner = owner
        self._size = batch_size

    def resumed(self, saved: Iterable[StartedBatch]) -> dict[int, StartedBatch]:
        """The saved batches by number, each checked against this plan (``positions``
        recomputed); ValueError names one that does not belong to it."""
        found: dict[int, StartedBatch] = {}
        for batch in saved:
            if not isinstance(batch, StartedBatch):
                raise TypeError(f"resume takes StartedBatch records, got {type(batch).__name__}")
            number = batch.number
            if not 0 <= number < len(self.batches) or self.batches[number].key != batch.key:
                raise ValueError(
                    f"saved batch {batch.id} (number {number}) is not a batch of these searches:"
                    " resume with the same searches, batch_size, country_code and"
                    " retrieve_gender"
                )
            if number in found and found[number].id != batch.id:
                raise ValueError(
                    f"two saved batches for number {number}: {found[number].id}, {batch.id}"
                )
            found[number] = attrs.evolve(batch, positions=self.batches[number].positions)
        return found

    def results(
        self, started: Sequence[PlannedBatch], collected: Sequence[EmailResult | None]
    ) -> list[EmailResult | None]:
        """One result (or ``None``) per input search, from ``collected``: the results of the
        ``started`` batches laid end to end. Each has its input position as ``index`` and
        its own ``custom``."""
        offsets: dict[int, int] = {}
        offset = 0
        for batch in started:
            offsets[batch.number] = offset
            offset += len(batch.searches)
        size = self._size
        out: list[EmailResult | None] = []
        for position, (search, slot) in enumerate(zip(self.searches, self._owner, strict=True)):
            number, within = divmod(slot, size)
            base = offsets.get(number)
            result = None if base is None else collected[base + within]
            if result is not None and (result.index != position or result.custom != search.custom):
                result = attrs.evolve(result, index=position, custom=search.custom)
            out.append(result)
        return out
