"""Waiting on many batches to the end: each handed over as it finishes, their combined
progress reported, and what stopped the others said, never raised. A list job waits this
way, and so does ``enrow-async wait``."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, TypeVar

import anyio
import attrs

from .._core.collect import CombinedProgress
from .._io.waiting import BatchStream, call
from ..errors import BatchErrors, BatchTimeoutError, EnrowError
from ..models import JobProgress, Progress
from ..models.common import BulkBase

__all__ = ["WaitOutcome", "wait_batches"]

B = TypeVar("B", bound=BulkBase[Any, Any])


@attrs.frozen
class WaitOutcome:
    """How a wait on many batches ended, besides the batches it handed over."""

    unreadable: Mapping[str, EnrowError] = attrs.field(factory=dict)
    """The batches that could not be read (an unknown id, an answer that makes no sense),
    by id, with why."""
    unfinished: tuple[str, ...] = ()
    """The batches with no answer: still running at the deadline, or not waited for once
    ``stopped_by`` ended the wait."""
    timed_out: BatchTimeoutError | None = None
    stopped_by: EnrowError | None = None
    """What ended the wait for every batch at once (authentication, the connection)."""


async def wait_batches(
    wait_many: Callable[..., BatchStream[B, B]],
    sizes: Mapping[str, int],
    *,
    timeout: float | None,
    on_batch: Callable[[B], object],
    on_progress: Callable[[JobProgress], object] | None = None,
    estimated_minutes: Mapping[str, float] | None = None,
    duplicates: int = 0,
) -> WaitOutcome:
    """Wait for the batches ``sizes`` names (id: its items, 0 when unknown) with
    ``wait_many`` (``client.email.bulk.wait_many``, ``client.verify.bulk.wait_many``), for
    at most ``timeout`` seconds (``None``: no limit).

    Each batch goes to ``on_batch`` (sync or async) as it finishes, completed or failed;
    ``on_progress`` gets the JobProgress of them all (``duplicates``: the items not sent
    because another was the same). Nothing is raised for a batch or a deadline: the
    outcome names the batches with no results and why."""
    relay = None
    if on_progress is not None:
        callback = on_progress
        combined = CombinedProgress(sizes, anyio.current_time(), duplicates)

        async def relay(progress: Progress) -> None:
            await call(callback, combined.update(progress, anyio.current_time()))

    stream = wait_many(
        list(sizes), timeout=timeout, on_progress=relay, estimated_minutes=estimated_minutes
    )
    done: set[str] = set()
    outcome = WaitOutcome()
    async with stream:
        try:
            async for batch in stream:
                done.add(batch.id)
                await call(on_batch, batch)
        except BatchErrors as errors:
            outcome = WaitOutcome(errors.errors)
        except BatchTimeoutError as exc:
            outcome = WaitOutcome(exc.errors, timed_out=exc)
        except EnrowError as exc:  # authentication, connection: the wait cannot go on
            outcome = WaitOutcome(stopped_by=exc)
    gone = done | outcome.unreadable.keys()
    return attrs.evolve(outcome, unfinished=tuple(i for i in sizes if i not in gone))
