"""One generic machinery for every job kind: start, read, watch, wait, wait on many.

Each method takes a row of the job table (``JobSpec``); the resources (``client.email``,
``client.verify``, ``client.phone``) are thin typed fronts on it. Starts go through the
sender under the POST rate limit and are never resent when their outcome is unknown; every
wait is a ``BatchStream`` polled by the client's ``Poller``.
"""

from __future__ import annotations

import asyncio
import functools
from collections.abc import Iterable, Mapping
from typing import Any, Final, TypeVar

import attrs

from .._core.config import ApiConfig
from .._core.convert import structure
from .._core.http import Response
from .._core.jobs import JobSpec, decode
from .._core.policy import PollPolicy
from .._core.requests import account_request, check_id, check_timeout, read_request, start_request
from .._core.schedule import PollPlan
from ..errors import BatchFailedError, ResponseError
from ..models import AccountInfo, BatchStatus, BulkJob, Progress, SingleJob
from .sender import Sender
from .waiting import BatchStream, Pollable, Poller, ProgressCallback, WebhookSource

__all__ = ["DEFAULT_TIMEOUT", "JobRunner"]

DEFAULT_TIMEOUT: Final = 3600.0
"""Default deadline of a wait, in seconds. Pass ``timeout=None`` to wait forever."""

A = TypeVar("A")
B = TypeVar("B", bound=Pollable)
S = TypeVar("S", BulkJob, SingleJob)
T = TypeVar("T")


def _read(model: type[T], response: Response) -> T:
    return structure(decode(response), model, body=response.body)


def _started(model: type[S], response: Response) -> S:
    """A start's answer: it must carry the new job's id."""
    job = _read(model, response)
    if not job.id.strip():
        raise ResponseError("no job id in the answer", body=response.body)
    return job


@attrs.frozen
class JobRunner:
    """Drives any row of the job table through the sender and the poller. A wait with a
    webhook polls every ``webhook_poll_interval`` seconds until its notification."""

    _config: ApiConfig
    _sender: Sender
    _poller: Poller
    _policy: PollPolicy = attrs.field(kw_only=True)
    _webhook_poll_interval: float = attrs.field(kw_only=True)

    async def account(self, model: type[T]) -> T:
        """``GET /account/info`` as ``model``."""
        request = account_request(self._config)
        return await self._sender.send(request, functools.partial(_read, model))

    async def balance(self) -> float:
        """The account's credits, as ``GET /account/info`` says."""
        return (await self.account(AccountInfo)).credits

    @staticmethod
    def body(spec: JobSpec[Any], *args: Any, **kwargs: Any) -> dict[str, Any]:
        """``spec.build(*args, **kwargs)``, checked against the row's size limit."""
        if spec.bulk:
            kwargs["limit"] = spec.limit
        return spec.build(*args, **kwargs)

    async def start(self, spec: JobSpec[Any], started: type[S], *args: Any, **kwargs: Any) -> S:
        """POST a new job built by ``spec.build(*args, **kwargs)``; its answer as ``started``."""
        request = start_request(self._config, spec, self.body(spec, *args, **kwargs))
        return await self._sender.send(request, functools.partial(_started, started))

    async def get(self, spec: JobSpec[A], job_id: str) -> A:
        """One read of a job: its progress while ongoing, its results once done."""
        request = read_request(self._config, spec, job_id)
        return await self._sender.send(request, functools.partial(spec.read, job_id))

    def stream(
        self,
        spec: JobSpec[Any],
        job_ids: Iterable[str],
        timeout: float | None,
        on_progress: ProgressCallback | None,
        *,
        hints: Mapping[str, float] | None = None,
        yield_progress: bool = False,
        collect_errors: bool = False,
        webhook: WebhookSource | None = None,
    ) -> BatchStream[Any, Any]:
        """One stream over ``job_ids`` (checked before anything is sent)."""
        if isinstance(job_ids, str):
            raise TypeError("batch_ids must be an iterable of ids, not one string")
        ids = [check_id(job_id) for job_id in job_ids]
        seconds = check_timeout(timeout)
        if on_progress is not None and not callable(on_progress):
            raise TypeError("on_progress must be callable")
        policy, minutes = self._policy, hints or {}

        def plan(job_id: str) -> PollPlan:
            now, hint = asyncio.get_running_loop().time(), minutes.get(job_id)
            estimate = None if hint is None else hint * 60.0
            return PollPlan(policy, started_at=now, estimated_duration=estimate)

        return BatchStream(
            self._poller,
            ids,
            spec=spec,
            config=self._config,
            plan=plan,
            timeout=seconds,
            safety=self._webhook_poll_interval,
            on_progress=on_progress,
            yield_progress=yield_progress,
            collect_errors=collect_errors,
            webhook=webhook,
        )

    async def wait(
        self,
        spec: JobSpec[B],
        job_id: str,
        *,
        timeout: float | None,
        on_progress: ProgressCallback | None = None,
        estimated_minutes: float | None = None,
        webhook: WebhookSource | None,
    ) -> B:
        """The job once it is done (a single job's answer with its result, a completed
        batch); BatchFailedError if a batch failed."""
        hints = None if estimated_minutes is None else {job_id: estimated_minutes}
        stream = self.stream(spec, [job_id], timeout, on_progress, hints=hints, webhook=webhook)
        async with stream:
            result: B = await stream.__anext__()
            if result.status is BatchStatus.FAILED:
                stats = result.stats
                snapshot = Progress(job_id, result.status, stats.finished, stats.requested)
                raise BatchFailedError(stream.last(job_id) or snapshot)
        return result
