"""The email verifier, phone finder, single email finder and account endpoints of
:class:`~enrow_async.EnrowClient`, as a mixin on the client's own machinery.

Every input is checked before a request is built. Every POST goes through the client-wide
POST rate limit and is never resent when its outcome is unknown. Every wait, bulk or single,
is polled by the client's shared scheduler.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterable, Iterator, Mapping
from typing import TYPE_CHECKING, Any, Final, TypeVar, cast

from ._core.protocol import Request, Response, check_batch_id, get_request, parse
from ._io.waiting import ProgressCallback, WebhookSource
from .errors import BatchFailedError, ServerError
from .models import (
    AccountInfo,
    BatchStatus,
    BulkJob,
    BulkPhoneResults,
    BulkVerification,
    Custom,
    EmailVerification,
    PhoneResult,
    PhoneSearch,
    Progress,
    SingleAnswer,
    SingleEmailResult,
    SingleJob,
)
from .phone import (
    PHONE_BULK_PATH,
    PHONE_SINGLE_PATH,
    bulk_phone_request,
    parse_bulk_phone,
    parse_single_phone,
    single_phone_request,
)
from .singles import (
    FIND_SINGLE_PATH,
    account_request,
    find_single_request,
    not_found,
    parse_single_email,
)
from .verification import (
    VERIFY_BULK_PATH,
    VERIFY_SINGLE_PATH,
    bulk_verification_request,
    parse_bulk_verification,
    parse_single_verification,
    single_verification_request,
)

if TYPE_CHECKING:
    from ._core.protocol import ApiConfig
    from ._io.ratelimit import SlidingWindow
    from ._io.scheduler import Pollable
    from ._io.waiting import BatchStream

__all__ = ["DEFAULT_TIMEOUT", "OtherEndpoints"]

DEFAULT_TIMEOUT: Final = 3600.0
"""Default deadline of a wait, in seconds. Pass ``timeout=None`` to wait forever."""

T = TypeVar("T")
B = TypeVar("B", BulkVerification, BulkPhoneResults)
SingleParser = Callable[[Response, Request], SingleAnswer[T]]


@contextlib.contextmanager
def _single_not_found() -> Iterator[None]:
    """A single GET's 500 ``Could not retrieve ...`` that outlasted retries: no such job."""
    try:
        yield
    except ServerError as exc:
        missing = not_found(exc)
        if missing is None:
            raise
        raise missing from exc


class OtherEndpoints:
    """Email verifier, phone finder, single email finder and account info."""

    if TYPE_CHECKING:
        _config: ApiConfig
        _posts: SlidingWindow

        async def _send(
            self,
            request: Request,
            *,
            idempotent: bool = True,
            limiter: SlidingWindow | None = None,
        ) -> Response: ...

        def _stream(
            self,
            batch_ids: Iterable[str],
            timeout: float | None,
            on_progress: ProgressCallback | None,
            *,
            hints: Mapping[str, float] | None = None,
            yield_progress: bool = False,
            collect_errors: bool = False,
            path: str = ...,
            parse: Callable[[Response, Request], Pollable] = ...,
            webhook: WebhookSource | None = None,
        ) -> BatchStream[Any, Any]: ...

    # -- plumbing ----------------------------------------------------------------------------

    async def _start_job(self, request: Request, cls: type[T]) -> T:
        response = await self._send(request, idempotent=False, limiter=self._posts)
        return parse(response, request, cls)

    async def _read_single(
        self, path: str, job_id: str, parse_fn: SingleParser[T]
    ) -> SingleAnswer[T]:
        request = get_request(self._config, path, check_batch_id(job_id))
        with _single_not_found():
            response = await self._send(request)
        return parse_fn(response, request)

    async def _wait_single(
        self,
        path: str,
        job_id: str,
        parse_fn: SingleParser[T],
        timeout: float | None,
        webhook: WebhookSource | None,
    ) -> T:
        stream = self._stream([job_id], timeout, None, path=path, parse=parse_fn, webhook=webhook)
        with _single_not_found():
            async with stream:
                answer: SingleAnswer[T] = await stream.__anext__()
        return cast(T, answer.result)

    async def _wait_bulk(
        self,
        path: str,
        batch_id: str,
        parse_fn: Callable[[Response, Request], B],
        timeout: float | None,
        on_progress: ProgressCallback | None,
        estimated_duration: float | None,
        webhook: WebhookSource | None,
    ) -> B:
        hints = None if estimated_duration is None else {batch_id: estimated_duration}
        stream = self._stream(
            [batch_id],
            timeout,
            on_progress,
            hints=hints,
            path=path,
            parse=parse_fn,
            webhook=webhook,
        )
        async with stream:
            result: B = await stream.__anext__()
            if result.status is BatchStatus.FAILED:
                stats = result.stats
                last = stream.last(batch_id)
                raise BatchFailedError(
                    last or Progress(result.id, result.status, stats.finished, stats.requested)
                )
        return result

    # -- email verifier ----------------------------------------------------------------------

    async def start_bulk_verification(
        self,
        emails: Iterable[str | Mapping[str, Any]],
        *,
        custom: Custom = None,
        webhook: str | None = None,
    ) -> BulkJob:
        """Start verifying 1 to 5,000 addresses (strings or ``{"email", "custom"}`` mappings).

        Checked before anything is sent; never resent if the outcome is unknown
        (OutcomeUnknownError).
        """
        request = bulk_verification_request(self._config, emails, custom=custom, webhook=webhook)
        return await self._start_job(request, BulkJob)

    async def get_bulk_verification(self, batch_id: str) -> BulkVerification:
        """One GET of a bulk verification: its progress while ongoing, all results once done."""
        request = get_request(self._config, VERIFY_BULK_PATH, check_batch_id(batch_id))
        return parse_bulk_verification(await self._send(request), request)

    async def wait_for_verification(
        self,
        batch_id: str,
        *,
        timeout: float | None = DEFAULT_TIMEOUT,
        on_progress: ProgressCallback | None = None,
        estimated_duration: float | None = None,
        webhook: WebhookSource | None = None,
    ) -> BulkVerification:
        """Wait until the bulk verification is completed and return it.

        Raises BatchFailedError if it fails and BatchTimeoutError if ``timeout`` seconds pass
        first; ``estimated_duration`` (minutes, from the POST) sharpens the polling schedule.
        With a ``webhook`` source (a WebhookReceiver whose URL the job was started with), the
        wait is woken by the notification and polls only as a safety net.
        """
        return await self._wait_bulk(
            VERIFY_BULK_PATH,
            batch_id,
            parse_bulk_verification,
            timeout,
            on_progress,
            estimated_duration,
            webhook,
        )

    async def verify_email(
        self, email: str, *, custom: Custom = None, webhook: str | None = None
    ) -> SingleJob:
        """Start verifying one address; read it with get_verification or
        wait_for_single_verification."""
        request = single_verification_request(self._config, email, custom=custom, webhook=webhook)
        return await self._start_job(request, SingleJob)

    async def get_verification(self, job_id: str) -> SingleAnswer[EmailVerification]:
        """One GET of a single verification (``status`` ongoing or completed, and ``result``)."""
        return await self._read_single(VERIFY_SINGLE_PATH, job_id, parse_single_verification)

    async def wait_for_single_verification(
        self,
        job_id: str,
        *,
        timeout: float | None = DEFAULT_TIMEOUT,
        webhook: WebhookSource | None = None,
    ) -> EmailVerification:
        """Wait for a single verification's result (BatchTimeoutError at the deadline;
        ``webhook`` as for wait_for_verification)."""
        return await self._wait_single(
            VERIFY_SINGLE_PATH, job_id, parse_single_verification, timeout, webhook
        )

    # -- phone finder ------------------------------------------------------------------------

    async def start_phone_search(
        self,
        searches: Iterable[PhoneSearch | Mapping[str, Any]],
        *,
        custom: Custom = None,
        webhook: str | None = None,
    ) -> BulkJob:
        """Start a phone bulk of 1 to 5,000 searches (the newest pages say 3,000).

        Each search needs ``linkedin_url``, or ``firstname`` + ``lastname`` + a company
        domain or name. Checked before anything is sent; never resent if the outcome is
        unknown.
        """
        request = bulk_phone_request(self._config, searches, custom=custom, webhook=webhook)
        return await self._start_job(request, BulkJob)

    async def get_phone_results(self, batch_id: str) -> BulkPhoneResults:
        """One GET of a phone bulk: its progress while ongoing, all results once done."""
        request = get_request(self._config, PHONE_BULK_PATH, check_batch_id(batch_id))
        return parse_bulk_phone(await self._send(request), request)

    async def wait_for_phone_results(
        self,
        batch_id: str,
        *,
        timeout: float | None = DEFAULT_TIMEOUT,
        on_progress: ProgressCallback | None = None,
        estimated_duration: float | None = None,
        webhook: WebhookSource | None = None,
    ) -> BulkPhoneResults:
        """Wait until the phone bulk is completed and return it (BatchFailedError,
        BatchTimeoutError, ``estimated_duration`` and ``webhook`` as for
        wait_for_verification)."""
        return await self._wait_bulk(
            PHONE_BULK_PATH,
            batch_id,
            parse_bulk_phone,
            timeout,
            on_progress,
            estimated_duration,
            webhook,
        )

    async def find_phone(
        self,
        *,
        linkedin_url: str | None = None,
        firstname: str | None = None,
        lastname: str | None = None,
        company_domain: str | None = None,
        company_name: str | None = None,
        custom: Custom = None,
        webhook: str | None = None,
    ) -> SingleJob:
        """Start one phone search: ``linkedin_url``, or ``firstname`` + ``lastname`` + a
        company domain or name."""
        search = PhoneSearch(
            linkedin_url, firstname, lastname, company_domain, company_name, custom
        )
        request = single_phone_request(self._config, search, webhook=webhook)
        return await self._start_job(request, SingleJob)

    async def get_phone(self, job_id: str) -> SingleAnswer[PhoneResult]:
        """One GET of a single phone search (``status`` ongoing or completed, and ``result``)."""
        return await self._read_single(PHONE_SINGLE_PATH, job_id, parse_single_phone)

    async def wait_for_phone(
        self,
        job_id: str,
        *,
        timeout: float | None = DEFAULT_TIMEOUT,
        webhook: WebhookSource | None = None,
    ) -> PhoneResult:
        """Wait for a single phone search's result (BatchTimeoutError at the deadline;
        ``webhook`` as for wait_for_verification)."""
        return await self._wait_single(
            PHONE_SINGLE_PATH, job_id, parse_single_phone, timeout, webhook
        )

    # -- single email finder and account -----------------------------------------------------

    async def find_email(
        self,
        fullname: str,
        *,
        company_domain: str | None = None,
        company_name: str | None = None,
        custom: Custom = None,
        webhook: str | None = None,
        country_code: str | None = None,
        retrieve_gender: bool = False,
    ) -> SingleJob:
        """Start one email search: a full name and a company domain and/or name."""
        request = find_single_request(
            self._config,
            fullname,
            company_domain=company_domain,
            company_name=company_name,
            custom=custom,
            webhook=webhook,
            country_code=country_code,
            retrieve_gender=retrieve_gender,
        )
        return await self._start_job(request, SingleJob)

    async def get_email(self, job_id: str) -> SingleAnswer[SingleEmailResult]:
        """One GET of a single email search (``status`` ongoing or completed, and ``result``)."""
        return await self._read_single(FIND_SINGLE_PATH, job_id, parse_single_email)

    async def wait_for_email(
        self,
        job_id: str,
        *,
        timeout: float | None = DEFAULT_TIMEOUT,
        webhook: WebhookSource | None = None,
    ) -> SingleEmailResult:
        """Wait for a single email search's result (BatchTimeoutError at the deadline;
        ``webhook`` as for wait_for_verification)."""
        return await self._wait_single(
            FIND_SINGLE_PATH, job_id, parse_single_email, timeout, webhook
        )

    async def account_info(self) -> AccountInfo:
        """The credit balance and the webhooks configured on the account."""
        request = account_request(self._config)
        return parse(await self._send(request), request, AccountInfo)
