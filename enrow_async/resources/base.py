"""The verbs every bulk and every single job kind shares, over one row of the job table."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Generic, TypeVar

from .._core.jobs import JobSpec
from .._io.jobs import DEFAULT_TIMEOUT, JobRunner
from .._io.waiting import BatchStream, Pollable, ProgressCallback, WebhookSource
from ..models import Progress, SingleAnswer

__all__ = ["BulkJobs", "SingleJobs"]

B = TypeVar("B", bound=Pollable)
R = TypeVar("R")


class BulkJobs(Generic[B]):
    """``get``, ``watch``, ``wait`` and ``wait_many`` for one kind of bulk job."""

    def __init__(self, runner: JobRunner, spec: JobSpec[B]) -> None:
        self._runner = runner
        self._spec = spec

    async def get(self, batch_id: str) -> B:
        """One read of a batch: its progress while ongoing, everything once completed."""
        return await self._runner.get(self._spec, batch_id)

    def watch(
        self, batch_id: str, *, timeout: float | None = DEFAULT_TIMEOUT
    ) -> BatchStream[B, Progress]:
        """Progress snapshots of one batch, each time it changes, until it is done.

        The last snapshot has status completed or failed; then iteration stops.
        """
        return self._runner.stream(self._spec, [batch_id], timeout, None, yield_progress=True)

    async def wait(
        self,
        batch_id: str,
        *,
        timeout: float | None = DEFAULT_TIMEOUT,
        on_progress: ProgressCallback | None = None,
        estimated_minutes: float | None = None,
        webhook: WebhookSource | None = None,
    ) -> B:
        """Wait until the batch is completed and return all its results.

        Raises BatchFailedError if it fails and BatchTimeoutError (carrying the last
        progress) if ``timeout`` seconds pass first. ``estimated_minutes`` (the start's
        ``estimated_duration``, in minutes as the API gives it) sharpens the polling
        schedule. With a ``webhook`` (a WebhookReceiver whose URL the batch was started
        with), the wait is woken by the notification and only polls every
        ``webhook_poll_interval`` seconds as a safety net; results are still read with GET.
        """
        return await self._runner.wait(
            self._spec,
            batch_id,
            timeout=timeout,
            on_progress=on_progress,
            estimated_minutes=estimated_minutes,
            webhook=webhook,
        )

    def wait_many(
        self,
        batch_ids: Iterable[str],
        *,
        timeout: float | None = DEFAULT_TIMEOUT,
        on_progress: ProgressCallback | None = None,
        estimated_minutes: Mapping[str, float] | None = None,
        webhook: WebhookSource | None = None,
    ) -> BatchStream[B, B]:
        """Yield each batch once, completed or failed, as soon as it finishes.

        Errors about one batch (an unknown id, a malformed answer) do not stop the others;
        they are raised together as BatchErrors after the rest. Authentication, credit and
        connection failures end the iteration at once. At the deadline, finished batches are
        yielded first, then BatchTimeoutError names the unfinished ones.
        ``estimated_minutes`` maps batch ids to their start's ``estimated_duration``
        (minutes), as ``wait`` takes one.
        """
        return self._runner.stream(
            self._spec,
            batch_ids,
            timeout,
            on_progress,
            hints=estimated_minutes,
            collect_errors=True,
            webhook=webhook,
        )


class SingleJobs(Generic[R]):
    """``get`` and ``wait`` for one kind of single job."""

    def __init__(self, runner: JobRunner, spec: JobSpec[SingleAnswer[R]]) -> None:
        self._runner = runner
        self._spec = spec

    async def get(self, job_id: str) -> SingleAnswer[R]:
        """One read: ``status`` ongoing or completed, and ``result`` once completed."""
        return await self._runner.get(self._spec, job_id)

    async def wait(
        self,
        job_id: str,
        *,
        timeout: float | None = DEFAULT_TIMEOUT,
        webhook: WebhookSource | None = None,
    ) -> SingleAnswer[R]:
        """The job once it is done, as ``get`` reads it, with its ``result``
        (BatchTimeoutError at the deadline; with a ``webhook`` source the wait is woken by
        the notification)."""
        return await self._runner.wait(self._spec, job_id, timeout=timeout, webhook=webhook)
