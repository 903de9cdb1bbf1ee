"""Waiting for started batches: the library's ``wait_many`` (email or verification
batches), with progress shown, ending in a ``Waited`` that says which batches have results
and why the others do not.
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Mapping
from typing import Generic, TypeVar

import attrs

from enrow_async import (
    BatchErrors,
    BatchStatus,
    BatchStream,
    BatchTimeoutError,
    BulkResults,
    BulkVerification,
    EnrowError,
)

from .progress import Tracker, show_progress
from .streams import Streams

__all__ = ["Problem", "ProblemKind", "WaitOptions", "Waited", "wait_batches"]

B = TypeVar("B", BulkResults, BulkVerification)


@attrs.frozen
class WaitOptions:
    timeout: float | None
    progress_every: float


class ProblemKind(enum.Enum):
    """Why a batch has no results to write; the value is the qualification of its rows."""

    FAILED = "failed"
    ERROR = "error"
    PENDING = "pending"


@attrs.frozen
class Problem:
    """A batch without results: it failed, could not be read (``error``), or was unfinished
    at the deadline."""

    kind: ProblemKind
    error: EnrowError | None = None

    def __str__(self) -> str:
        return self.kind.value if self.error is None else f"{self.kind.value}: {self.error}"


@attrs.frozen
class Waited(Generic[B]):
    """Every batch waited for is in ``batches`` (it finished, possibly ``failed``) or has
    only a problem; a failed batch is in both."""

    batches: Mapping[str, B]
    problems: Mapping[str, Problem]


async def wait_batches(
    wait_many: Callable[..., BatchStream[B, B]],
    sizes: Mapping[str, int],
    hints: Mapping[str, float],
    options: WaitOptions,
    streams: Streams,
    on_batch: Callable[[B], None] | None = None,
    unit: str = "searches",
) -> Waited[B]:
    """Wait with ``wait_many`` (``client.email.bulk.wait_many`` or
    ``client.verify.bulk.wait_many``) for every batch of ``sizes`` (``unit`` per batch id;
    ``hints``: minutes left, from their POST). Errors that concern all batches propagate.

    With ``on_batch``, each finished batch is handed to it as it arrives and kept in
    ``Waited.batches`` without its results (status and stats only), so a large job never
    holds every result at once."""
    batches: dict[str, B] = {}
    problems: dict[str, Problem] = {}
    if not sizes:
        return Waited(batches, problems)
    tracker = Tracker(sizes, unit=unit)
    async with show_progress(
        tracker, stream=streams.err, every=options.progress_every, label="waiting"
    ):
        stream = wait_many(
            list(sizes),
            timeout=options.timeout,
            on_progress=tracker.update,
            estimated_durations=hints,
        )
        async with stream:
            try:
                async for batch in stream:
                    tracker.complete(batch.id)
                    if on_batch is not None:
                        on_batch(batch)
                        batch = attrs.evolve(batch, results=())
                    batches[batch.id] = batch
                    if batch.status is BatchStatus.FAILED:
                        problems[batch.id] = Problem(ProblemKind.FAILED)
            except BatchErrors as exc:
                problems.update({b: Problem(ProblemKind.ERROR, e) for b, e in exc.errors.items()})
            except BatchTimeoutError as exc:
                problems.update(dict.fromkeys(exc.pending, Problem(ProblemKind.PENDING)))
                problems.update({b: Problem(ProblemKind.ERROR, e) for b, e in exc.errors.items()})
    return Waited(batches, problems)
