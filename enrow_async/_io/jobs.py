"""One generic machinery for every job kind: start, read, watch, wait, wait on many.

Each method takes a row of the job table (``JobSpec``); the resources (``client.email``,
``client.verify``, ``client.phone``) are thin typed fronts on it. Starts go through the
sender under the POST rate limit and are never resent when their outcome is unknown; every
wait is a ``BatchStream`` polled by the client's ``Poller``.
"""

from __future__ import annotations

import asyncio
import functools
from collections.abc import Callable, Iterable, Mapping
from typing import Any, Final, Protocol, TypeVar

from .._core.config import ApiConfig
from .._core.convert import structure
from .._core.http import Request, Response
from .._core.jobs import JobSpec, decode
from .._core.policy import PollPolicy
from .._core.requests import account_request, check_id, check_timeout, read_request, start_request
from .._core.schedule import PollPlan
from ..errors import BatchFailedError, ResponseError
from ..models import AccountInfo, BatchStatus, Progress, SingleAnswer
from .sender import Sender
from .waiting import BatchStream, Pollable, Poller, ProgressCallback, WebhookSource

__all__ = ["DEFAULT_TIMEOUT", "JobRunner"]

DEFAULT_TIMEOUT: Final = 3600.0
"""Default deadline of a wait, in seconds. Pass ``timeout=None`` to wait forever."""

A = TypeVar("A")
B = TypeVar("B", bound=Pollable)
R = TypeVar("R")


class _Started(Protocol):
    @property
    def id(self) -> str: ...


S = TypeVar("S", bound=_Started)
T = TypeVar("T")


def _reader(model: type[T]) -> Callable[[Response], T]:
    def read(response: Response) -> T:
        return structure(decode(response), model, body=response.body)

    return read


def _started(model: type[S]) -> Callable[[Response], S]:
    """A start's answer: it must carry the new job's id."""

    structured = _reader(model)

    def read(response: Response) -> S:
        job = structured(response)
        if not job.id.strip():
            raise ResponseError("no job id in the answer", body=response.body)
        return job

    return read


class JobRunner:
    """Drives any row of the job table through the sender and the poller."""

    def __init__(
        self,
        config: ApiConfig,
        sender: Sender,
        poller: Poller,
        *,
        policy: PollPolicy,
        webhook_poll_interval: float,
    ) -> None:
        self._config = config
        self._sender = sender
        self._poller = poller
        self._policy = policy
        self._safety = PollPolicy(
            initial=webhook_poll_interval,
            min_interval=webhook_poll_interval,
            max_interval=webhook_poll_interval,
            spread=0.0,
        )

    async def account(self, model: type[T]) -> T:
        """``GET /account/info`` as ``model``."""
        return await self._sender.send(account_request(self._config), _reader(model))

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
        return await self.send_body(spec, self.body(spec, *args, **kwargs), started)

    async def send_body(self, spec: JobSpec[Any], body: dict[str, Any], started: type[S]) -> S:
        """POST a start whose body is already built (and checked)."""
        request = start_request(self._config, spec, body)
        return await self._sender.send(request, _started(started))

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
        config = self._config
        minutes = hints or {}

        def plan(job_id: str) -> PollPlan:
            hint = minutes.get(job_id)
            return PollPlan(
                self._policy,
                started_at=asyncio.get_running_loop().time(),
                estimated_duration=None if hint is None else hint * 60.0,
            )

        def safety_plan(job_id: str) -> PollPlan:
            return PollPlan(self._safety, started_at=asyncio.get_running_loop().time())

        def request(job_id: str) -> Request:
            return read_request(config, spec, job_id)

        return BatchStream(
            self._poller,
            ids,
            request=request,
            read=spec.read,
            plan=plan if webhook is None else safety_plan,
            timeout=seconds,
            on_progress=on_progress,
            yield_progress=yield_progress,
            collect_errors=collect_errors,
            webhook=webhook,
            hinted_plan=plan if webhook is not None else None,
            event=spec.event,
        )

    async def wait_bulk(
        self,
        spec: JobSpec[B],
        batch_id: str,
        *,
        timeout: float | None,
        on_progress: ProgressCallback | None,
        estimated_minutes: float | None,
        webhook: WebhookSource | None,
    ) -> B:
        """The completed batch; BatchFailedError if it failed."""
        hints = None if estimated_minutes is None else {batch_id: estimated_minutes}
        stream = self.stream(spec, [batch_id], timeout, on_progress, hints=hints, webhook=webhook)
        async with stream:
            result: B = await stream.__anext__()
            if result.status is BatchStatus.FAILED:
                stats = result.stats
                snapshot = Progress(batch_id, result.status, stats.finished, stats.requested)
                raise BatchFailedError(stream.last(batch_id) or snapshot)
        return result

    async def wait_single(
        self,
        spec: JobSpec[SingleAnswer[R]],
        job_id: str,
        *,
        timeout: float | None,
        webhook: WebhookSource | None,
    ) -> SingleAnswer[R]:
        """A single job once it is done, with its result."""
        stream = self.stream(spec, [job_id], timeout, None, webhook=webhook)
        async with stream:
            answer: SingleAnswer[R] = await stream.__anext__()
        return answer
