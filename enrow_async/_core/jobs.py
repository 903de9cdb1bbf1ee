"""Jobs are data: every Enrow job kind is one row of ``JOBS``.

A row names the endpoint's path, the model a read is structured into, the body builder,
the webhook event that says it finished, the size limit and the price of an item. One
generic machinery (``_io.jobs.JobRunner``) starts, reads, watches and waits on every row,
the resources front it, and the simulator (``enrow_async.testing``) serves every row: a
new endpoint is a row and a model.
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
from .http import Response
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
    "bulk_job",
    "decode",
    "single_job",
]

A = TypeVar("A")
M = TypeVar("M")
MAX_BATCH = 5000
"""Searches per email batch, the documented limit."""


@attrs.frozen
class JobSpec(Generic[A]):
    """One kind of job. ``A`` is what a read returns: the bulk model, or a SingleAnswer.

    - ``name``: the family, then ``bulk`` or ``single`` (``"email bulk"``);
    - ``path``: ``POST path`` starts it, ``GET path?id=`` reads it;
    - ``model``: a bulk's model, or the result of a single job;
    - ``build``: the checked request body from the caller's arguments;
    - ``event``: the webhook event sent when it finishes;
    - ``limit``: items one request may carry (1 for a single job);
    - ``price``: credits one item reserves;
    - ``read``: a successful read (job id, answer) structured into ``A``.

    A single job's unknown id is answered 500 ``Could not retrieve`` (the newest pages),
    a bulk's 400 or 404.
    """

    name: str
    path: str
    model: type[Any]
    build: Callable[..., dict[str, Any]] = attrs.field(repr=False)
    event: str
    limit: int
    price: float
    read: Callable[[str, Response], A] = attrs.field(repr=False)

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


def bulk_job(
    name: str,
    path: str,
    model: type[B],
    build: Callable[..., dict[str, Any]],
    event: str,
    *,
    limit: int,
    price: float = 1.0,
) -> JobSpec[B]:
    """The row of a bulk job: a read is ``model``, checked against the request."""

    def read(job_id: str, response: Response) -> B:
        answer = structure(decode(response), model, body=response.body)
        return check_bulk(job_id, answer, limit, response)

    return JobSpec(name, path, model, build, event, limit, price, read)


def single_job(
    name: str,
    path: str,
    model: type[M],
    build: Callable[..., dict[str, Any]],
    event: str,
    *,
    price: float = 1.0,
) -> JobSpec[SingleAnswer[M]]:
    """The row of a single job: a read is ongoing (202, or ``qualification: ongoing``) with
    no result, or completed with its ``model``."""

    def read(job_id: str, response: Response) -> SingleAnswer[M]:
        if response.status == 202:
            return SingleAnswer(job_id, BatchStatus.ONGOING)
        data = decode(response)
        if type(data) is dict and data.get("qualification") == "ongoing":
            return SingleAnswer(job_id, BatchStatus.ONGOING)
        result = structure(data, model, body=response.body)
        return SingleAnswer(job_id, BatchStatus.COMPLETED, result)

    return JobSpec(name, path, model, build, event, 1, price, read)


EMAIL_BULK = bulk_job(
    "email bulk", "/email/find/bulk", BulkResults, email_bulk_body, "bulk_search_finished",
    limit=MAX_BATCH,
)  # fmt: skip
EMAIL_SINGLE = single_job(
    "email single", "/email/find/single", SingleEmailResult, email_single_body,
    "single_search_finished",
)  # fmt: skip
VERIFY_BULK = bulk_job(
    "verify bulk", "/email/verify/bulk", BulkVerification, verify_bulk_body,
    "bulk_verification_finished", limit=5000, price=0.25,
)  # fmt: skip
VERIFY_SINGLE = single_job(
    "verify single", "/email/verify/single", EmailVerification, verify_single_body,
    "verification_finished", price=0.25,
)  # fmt: skip
PHONE_BULK = bulk_job(
    "phone bulk", "/phone/bulk", BulkPhoneResults, phone_bulk_body,
    "bulk_phone_search_finished", limit=5000, price=40,  # the newest pages say 3,000
)  # fmt: skip
PHONE_SINGLE = single_job(
    "phone single", "/phone/single", PhoneResult, phone_single_body,
    "single_phone_search_finished", price=40,
)  # fmt: skip

JOBS: tuple[JobSpec[Any], ...] = (
    EMAIL_BULK, EMAIL_SINGLE, VERIFY_BULK, VERIFY_SINGLE, PHONE_BULK, PHONE_SINGLE
)  # fmt: skip
