"""Jobs are data: every Enrow job kind is one row of ``JOBS``.

A row names the endpoint's path, the body builder, the model a read is structured into,
the size limit, the not-found quirk and the webhook event that says it finished. One
generic machinery (``_io.jobs.JobRunner``) starts, reads, watches and waits on every row,
and ``read_answer`` turns any job's answer into its model, so a new endpoint is a row
and a model.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Sequence
from typing import Any, Generic, TypeVar

import attrs
import orjson

from ..errors import InconsistentAnswerError, UnreadableBodyError
from ..models import (
    BatchStatus,
    BulkPhoneResults,
    BulkResults,
    BulkVerification,
    EmailVerification,
    PhoneResult,
    SingleAnswer,
    SingleEmailResult,
)
from ..models.common import BulkBase
from .convert import structure
from .http import JobKind, Response
from .requests import (
    email_bulk_body,
    email_single_body,
    phone_bulk_body,
    phone_single_body,
    verify_bulk_body,
    verify_single_body,
)

__all__ = [
    "EMAIL_BULK",
    "EMAIL_SINGLE",
    "JOBS",
    "MAX_BATCH",
    "PHONE_BULK",
    "PHONE_SINGLE",
    "VERIFY_BULK",
    "VERIFY_SINGLE",
    "JobSpec",
    "decode",
    "spec_for",
]

A = TypeVar("A")
M = TypeVar("M")
MAX_BATCH = 5000
"""Searches per email batch, the documented limit."""


@attrs.frozen
class JobSpec(Generic[A]):
    """One kind of job. ``A`` is what a read returns: the bulk model, or a SingleAnswer.

    - ``path``: ``POST path`` starts it, ``GET path?id=`` reads it;
    - ``build``: the checked request body from the caller's arguments;
    - ``read``: a successful read (job id, answer) structured into ``A``;
    - ``limit``: items one request may carry (1 for a single job);
    - ``event``: the webhook event sent when it finishes;
    - ``unknown_id_is_500``: the API answers an unknown id with 500 ``Could not retrieve``
      (single jobs, newest pages) instead of 400/404.
    """

    kind: JobKind
    path: str
    build: Callable[..., dict[str, Any]]
    read: Callable[[str, Response], A]
    limit: int
    event: str
    unknown_id_is_500: bool = False

    @property
    def bulk(self) -> bool:
        return self.limit > 1


def decode(response: Response) -> Any:
    """The body as JSON, or UnreadableBodyError keeping the raw bytes."""
    try:
        return orjson.loads(response.body)
    except orjson.JSONDecodeError as exc:
        kind = response.headers.get("content-type", "unknown type")
        raise UnreadableBodyError(
            f"HTTP {response.status} body is not JSON ({kind}, {len(response.body)} bytes): {exc}",
            body=response.body,
            status=response.status,
        ) from None


B = TypeVar("B", bound=BulkBase[Any, Any])


def check_bulk(job_id: str, answer: B, limit: int, response: Response) -> B:
    """``answer`` if it agrees with itself and with the request, else
    InconsistentAnswerError naming what is wrong: the id asked for, ``0 <= finished <=
    requested <= limit``, ``0 <= valid <= requested``, and once completed one result per
    search with unique indexes (positions within the batch, where they are numbers)."""
    stats = answer.stats
    requested, finished = stats.requested, stats.finished
    problem = None
    if answer.id != job_id:
        problem = f"general.id is {answer.id!r:.60}, not the batch asked for ({job_id!r:.60})"
    elif not 0 <= requested <= limit:
        problem = f"stats.requested is {requested}, outside 0-{limit}"
    elif not 0 <= finished <= requested:
        problem = f"stats.finished is {finished} of {requested} requested"
    elif (valid := getattr(stats, "valid", None)) is not None and not 0 <= valid <= requested:
        problem = f"stats.valid is {valid} of {requested} requested"
    elif answer.status is BatchStatus.COMPLETED:
        problem = _results_problem(answer.results, requested)
    if problem is not None:
        raise InconsistentAnswerError(problem, body=response.body, status=response.status)
    return answer


def _results_problem(results: Sequence[Any], requested: int) -> str | None:
    if len(results) != requested:
        return f"{len(results)} results for {requested} searches requested"
    indexes = [result.index for result in results]
    if len(set(indexes)) != len(indexes):
        twice = [i for i, n in Counter(indexes).items() if n > 1]
        return f"index(es) given twice: {', '.join(map(str, twice[:5]))}"
    outside = [i for i in indexes if isinstance(i, int) and not 0 <= i < requested]
    if outside:
        return f"index(es) outside 0-{requested - 1}: {', '.join(map(str, outside[:5]))}"
    return None


def _bulk(model: type[B], limit: int) -> Callable[[str, Response], B]:
    def read(job_id: str, response: Response) -> B:
        answer = structure(decode(response), model, body=response.body)
        return check_bulk(job_id, answer, limit, response)

    return read


def _single(model: type[M]) -> Callable[[str, Response], SingleAnswer[M]]:
    """Ongoing (202, or ``qualification: ongoing``) with no result, or completed with it."""

    def read(job_id: str, response: Response) -> SingleAnswer[M]:
        if response.status == 202:
            return SingleAnswer(job_id, BatchStatus.ONGOING)
        data = decode(response)
        if type(data) is dict and data.get("qualification") == "ongoing":
            return SingleAnswer(job_id, BatchStatus.ONGOING)
        result = structure(data, model, body=response.body)
        return SingleAnswer(job_id, BatchStatus.COMPLETED, result)

    return read


EMAIL_BULK = JobSpec(
    JobKind.EMAIL_BULK,
    "/email/find/bulk",
    email_bulk_body,
    _bulk(BulkResults, MAX_BATCH),
    MAX_BATCH,
    "bulk_search_finished",
)
EMAIL_SINGLE = JobSpec(
    JobKind.EMAIL_SINGLE,
    "/email/find/single",
    email_single_body,
    _single(SingleEmailResult),
    1,
    "single_search_finished",
    unknown_id_is_500=True,
)
VERIFY_BULK = JobSpec(
    JobKind.VERIFY_BULK,
    "/email/verify/bulk",
    verify_bulk_body,
    _bulk(BulkVerification, 5000),
    5000,
    "bulk_verification_finished",
)
VERIFY_SINGLE = JobSpec(
    JobKind.VERIFY_SINGLE,
    "/email/verify/single",
    verify_single_body,
    _single(EmailVerification),
    1,
    "verification_finished",
    unknown_id_is_500=True,
)
PHONE_BULK = JobSpec(
    JobKind.PHONE_BULK,
    "/phone/bulk",
    phone_bulk_body,
    _bulk(BulkPhoneResults, 5000),
    5000,  # the older pages' limit; the newest say 3,000
    "bulk_phone_search_finished",
)
PHONE_SINGLE = JobSpec(
    JobKind.PHONE_SINGLE,
    "/phone/single",
    phone_single_body,
    _single(PhoneResult),
    1,
    "single_phone_search_finished",
    unknown_id_is_500=True,
)

JOBS: dict[JobKind, JobSpec[Any]] = {
    spec.kind: spec
    for spec in (EMAIL_BULK, EMAIL_SINGLE, VERIFY_BULK, VERIFY_SINGLE, PHONE_BULK, PHONE_SINGLE)
}


def spec_for(kind: JobKind) -> JobSpec[Any]:
    """The row of ``kind``."""
    return JOBS[kind]
