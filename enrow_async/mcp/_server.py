"""The MCP server: tools that let an agent find and verify emails in bulk through the list
engine, wait for the results while sending progress notifications, and never spend past
the cost guard.

Every list tool reads its input (``inputs``), asks the engine for an estimate, lets the
guard decide (``guard``: a resolver that asks the user through elicitation when the client
can), runs the engine's job over the job's journal (``jobs``) and answers a summary
(``answers``), the full rows going to the job's file and resource (``results``). This
module only wires them to the SDK (``MCPServer``, the official MCP Python SDK).
"""

from __future__ import annotations

import contextlib
import re
import tempfile
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from pathlib import Path
from typing import Annotated, Any

import attrs
from mcp.server.mcpserver import (
    AcceptedElicitation,
    Context,
    Elicit,
    ElicitationResult,
    MCPServer,
    Resolve,
)
from mcp.server.mcpserver.exceptions import ResourceError, ToolError
from mcp.types import CallToolResult, ToolAnnotations
from pydantic import Field

from enrow_async import (
    DEFAULT_TIMEOUT,
    BulkResults,
    BulkVerification,
    EnrowClient,
    EnrowError,
    Estimate,
    JobProgress,
    ListJob,
    ListProgress,
    ListReport,
    __version__,
    credits_text,
)
from enrow_async.tables import RESULT_COLUMNS, neutralise, record_cells, result_record

from . import _answers as answers
from ._guard import Approval, Guard, Verdict
from ._inputs import ColumnRole, Lead, ListInput, read_addresses, read_leads
from ._jobs import JobSpec, JobStore, Kind, job_id
from ._results import Cells, csv_bytes
from ._words import message, refusal_hint

__all__ = ["Connect", "McpSettings", "Toolbox", "build_server", "serve"]

Connect = Callable[[], AbstractAsyncContextManager[EnrowClient]]
"""Opens the client the server talks through, once, for as long as it serves."""


@attrs.frozen
class McpSettings:
    """What the person starting the server decides: the cost ``guard``, the ``directory``
    of its jobs (``None``: a temporary one, removed when the server stops), how long a
    call waits at most (``timeout``, seconds; ``None``: no limit) and how many rows an
    answer shows (``sample``)."""

    guard: Guard = attrs.Factory(Guard)
    directory: Path | None = None
    timeout: float | None = DEFAULT_TIMEOUT
    sample: int = 5


class Toolbox:
    """What every call of one server reaches (the SDK's lifespan state): the client, the
    settings, the jobs, and the jobs running now with their last progress."""

    def __init__(self, client: EnrowClient, settings: McpSettings, store: JobStore) -> None:
        self.client = client
        self.settings = settings
        self.store = store
        self.running: dict[str, ListProgress | None] = {}

    def list_job(self, spec: JobSpec) -> ListJob[Any, Any, Any]:
        """The engine's job over ``spec``'s list and journal."""
        record = self.store.journal(spec)
        if spec.kind == "verify":
            return self.client.verify.list_job(spec.input.items, record=record)
        return self.client.email.list_job(
            spec.input.items,
            record=record,
            country_code=spec.country_code,
            retrieve_gender=True,
        )

    def timeout(self, asked: float | None) -> float | None:
        """A call's wait: what it asked, within the server's ``timeout``."""
        limit = self.settings.timeout
        if asked is None or limit is None:
            return limit if asked is None else asked
        return min(asked, limit)

    @contextlib.contextmanager
    def claim(self, job: str) -> Iterator[bool]:
        """Mark ``job`` running for the block; False (and nothing marked) when another
        call runs it now."""
        if job in self.running:
            yield False
            return
        self.running[job] = None
        try:
            yield True
        finally:
            del self.running[job]


def _box(ctx: Context[Toolbox, Any]) -> Toolbox:
    return ctx.request_context.lifespan_context


def _can_ask(ctx: Context[Toolbox, Any]) -> bool:
    """Whether the client declared form elicitation (a bare ``elicitation`` counts)."""
    capabilities = ctx.client_capabilities
    elicitation = capabilities.elicitation if capabilities is not None else None
    return elicitation is not None and (elicitation.form is not None or elicitation.url is None)


@attrs.frozen
class Prepared:
    """A list read and estimated: its job's spec, the engine's job and its estimate."""

    spec: JobSpec
    job: ListJob[Any, Any, Any]
    estimate: Estimate


async def _prepare(
    box: Toolbox, kind: Kind, listed: ListInput, given: str | None, country_code: str | None
) -> Prepared:
    job = job_id(kind, listed.items, country_code) if given is None else given
    box.store.folder(job)  # a given id is checked before use
    if not job.startswith(f"{kind}-"):
        raise ValueError(f"job {job} is not a {kind} job")
    spec = JobSpec(kind, job, listed, country_code)
    job_of_list = box.list_job(spec)
    return Prepared(spec, job_of_list, await job_of_list.estimate())


async def _plan(
    ctx: Context[Toolbox, Any],
    kind: Kind,
    read: Callable[[], ListInput],
    given: str | None,
    country_code: str | None = None,
) -> Prepared:
    try:
        return await _prepare(_box(ctx), kind, read(), given, country_code)
    except (EnrowError, ValueError) as exc:
        raise ToolError(message(exc)) from None


# -- the arguments the model gives ------------------------------------------------------

Rows = Annotated[
    list[Lead] | None,
    Field(description="the people, inline (or give path instead)"),
]
Emails = Annotated[
    list[str] | None,
    Field(description="the addresses, inline (or give path instead)"),
]
FilePath = Annotated[
    str | None,
    Field(
        description="a CSV or .xlsx file on the server's machine (instead of inline);"
        " its columns are found by name (HubSpot, Salesforce, Apollo, ... exports)"
    ),
]
Columns = Annotated[
    dict[ColumnRole, str] | None,
    Field(description="with path: the column of a role, when its name is not recognised"),
]
EmailColumn = Annotated[
    str | None, Field(description="with path: the column of addresses (default: found)")
]
MaxCredits = Annotated[
    float | None,
    Field(
        ge=0,
        description="the most this call may reserve; it lowers the server's cap, never raises"
        " it. When the client cannot ask the user, a call that spends must give it, at least"
        " the estimate's credits",
    ),
]
JobId = Annotated[
    str | None,
    Field(
        description="a job_id an earlier call gave, to go on with that job's list after an"
        " edit: its started batches are reused, only what is new is paid (default: the job"
        " of this exact list)"
    ),
]
Timeout = Annotated[
    float | None,
    Field(
        ge=0,
        description="seconds to wait at most (default and limit: the server's); what is"
        " still running is collected later with get_job, at no cost",
    ),
]
RetryFailed = Annotated[
    bool,
    Field(
        description="send once more, in new batches, the rows whose batch failed or came"
        " back without them (costs credits again)"
    ),
]
Country = Annotated[
    str | None,
    Field(
        pattern="^[A-Za-z]{2}$",
        description="ISO country code used with company names (default: the API's, US)",
    ),
]


# -- resolvers: read and estimate, then the guard ---------------------------------------


async def plan_find(
    ctx: Context[Toolbox, Any],
    rows: Rows,
    path: FilePath,
    columns: Columns,
    job_id: JobId,
    country_code: Country,
) -> Prepared:
    code = country_code.upper() if country_code else None
    return await _plan(ctx, "find", lambda: read_leads(rows, path, columns), job_id, code)


async def plan_verify(
    ctx: Context[Toolbox, Any],
    emails: Emails,
    path: FilePath,
    email_column: EmailColumn,
    job_id: JobId,
) -> Prepared:
    return await _plan(ctx, "verify", lambda: read_addresses(emails, path, email_column), job_id)


def _approve(
    ctx: Context[Toolbox, Any], prepared: Prepared, limit: float | None
) -> Verdict | Elicit[Approval]:
    guard = _box(ctx).settings.guard
    said = guard.verdict(prepared.job, prepared.estimate, limit, can_ask=_can_ask(ctx))
    return Elicit(said, Approval) if isinstance(said, str) else said


async def approve_find(
    ctx: Context[Toolbox, Any],
    prepared: Annotated[Prepared, Resolve(plan_find)],
    max_credits: MaxCredits,
) -> Verdict | Elicit[Approval]:
    return _approve(ctx, prepared, max_credits)


async def approve_verify(
    ctx: Context[Toolbox, Any],
    prepared: Annotated[Prepared, Resolve(plan_verify)],
    max_credits: MaxCredits,
) -> Verdict | Elicit[Approval]:
    return _approve(ctx, prepared, max_credits)


# -- running a job ----------------------------------------------------------------------


class _Relay:
    """The engine's progress as MCP progress notifications (each one further than the
    last, as the protocol wants) in the library's words (``ListProgress``), and as the
    job's last progress for other calls."""

    def __init__(self, ctx: Context[Toolbox, Any], job: str, progress: ListProgress) -> None:
        self._ctx = ctx
        self._job = job
        self._progress = progress
        self._sent = -1

    async def start(self, text: str) -> None:
        self._sent = 0
        await self._ctx.report_progress(0, self._progress.items or None, text)

    async def __call__(self, progress: JobProgress) -> None:
        self._progress.update(progress)
        _box(self._ctx).running[self._job] = self._progress
        if progress.finished > self._sent:
            self._sent = progress.finished
            text = self._progress.line()
            await self._ctx.report_progress(progress.finished, progress.requested, text)


async def _run(
    ctx: Context[Toolbox, Any],
    prepared: Prepared,
    *,
    cap: float,
    timeout: float | None,
    retry_failed: bool,
    confirmed_by: str,
) -> CallToolResult:
    """Run ``prepared``'s job (the caller holds its claim), write its rows, answer."""
    box = _box(ctx)
    spec, estimate = prepared.spec, prepared.estimate
    cells = Cells(spec.input, find=spec.kind == "find", sample=box.settings.sample)
    relay = _Relay(ctx, spec.id, ListProgress.of(estimate))
    await relay.start(
        f"{estimate.batches} batch(es) to start, reserving {credits_text(estimate.credits)}"
        f" credit(s); {len(estimate.started)} started earlier",
    )

    try:
        report: ListReport = await prepared.job.run(
            timeout=box.timeout(timeout),
            max_credits=cap,
            on_batch=cells.add,
            on_progress=relay,
            retry_failed=retry_failed,
        )
    except EnrowError as exc:  # the first start refused by the API: nothing started
        raise ToolError(f"job {spec.id}: {message(exc)}") from None
    cells.finish(report)
    file = box.store.results(spec.id)
    cells.write(file)
    return answers.report(
        spec.id,
        spec.input,
        report,
        counts=cells.counts(),
        sample=cells.shown,
        file=file,
        uri=f"enrow://jobs/{spec.id}/results.csv",
        confirmed_by=confirmed_by,
    )


async def _spend(
    ctx: Context[Toolbox, Any],
    prepared: Prepared,
    approval: ElicitationResult[Any],
    limit: float | None,
    timeout: float | None,
    retry_failed: bool,
) -> CallToolResult:
    box = _box(ctx)
    guard = box.settings.guard
    spec = prepared.spec
    if isinstance(approval, AcceptedElicitation) and isinstance(approval.data, Verdict):
        verdict, asked = approval.data, False
    else:  # the user was asked: an accepted form, or declined, or cancelled
        answer = approval.data if isinstance(approval, AcceptedElicitation) else None
        verdict, asked = guard.answered(prepared.estimate, limit, answer), True
    if verdict.refusal is not None:
        hint = refusal_hint(verdict.refusal, guard.max_credits, limit, asked=asked)
        return answers.refused(spec.id, spec.input, prepared.estimate, verdict.refusal, hint)
    with box.claim(spec.id) as claimed:
        if not claimed:
            return answers.running(spec.id, box.running[spec.id])
        box.store.save(spec)
        return await _run(
            ctx,
            prepared,
            cap=verdict.cap,
            timeout=timeout,
            retry_failed=retry_failed,
            confirmed_by=verdict.confirmed_by,
        )


# -- the tools --------------------------------------------------------------------------

COSTS = (
    "Finding costs 1 credit per distinct search, reserved when its batch starts; searches"
    " that find nothing are refunded when the batch ends. Verifying costs 0.25 credit per"
    " distinct address."
)

GUARD = (
    "Cost guard: a call is refused, with nothing sent, above this server's cap (set when it"
    " started; no argument raises it) or the balance. Above the server's ask-above level the"
    " user approves the spending through the client when it can ask; otherwise the call"
    " must give max_credits covering the estimate (call estimate_list first)."
)

SAME_JOB = (
    "The same list sent again is the same job: batches already started are waited for,"
    " never paid twice. The answer is a summary and a sample; every row with its result is"
    " in the job's results resource and file."
)


async def estimate_list(
    ctx: Context[Toolbox, Any],
    kind: Annotated[Kind, Field(description="find: emails of people; verify: addresses")],
    rows: Rows = None,
    emails: Emails = None,
    path: FilePath = None,
    columns: Columns = None,
    email_column: EmailColumn = None,
    job_id: JobId = None,
    country_code: Country = None,
    max_credits: MaxCredits = None,
) -> CallToolResult:
    box = _box(ctx)
    if kind == "find":
        if emails is not None:
            raise ToolError("emails are verified: use kind=verify")
        prepared = await plan_find(ctx, rows, path, columns, job_id, country_code)
    else:
        if rows is not None:
            raise ToolError("rows are people to find: use kind=find")
        prepared = await plan_verify(ctx, emails, path, email_column, job_id)
    guard = box.settings.guard
    spec, estimate = prepared.spec, prepared.estimate
    said = guard.verdict(prepared.job, estimate, max_credits, can_ask=_can_ask(ctx))
    tool = "find_emails" if kind == "find" else "verify_emails"
    cost = credits_text(estimate.credits)
    if isinstance(said, str):
        confirm = f"{tool} will ask the user to approve {cost} credit(s) through the client."
    elif said.refusal is not None:
        hint = refusal_hint(said.refusal, guard.max_credits, max_credits, asked=False)
        confirm = f"{tool} would be refused: {said.refusal}; {hint}."
    elif said.confirmed_by == "max_credits":
        confirm = f"{tool} with max_credits={credits_text(max_credits or 0)} goes ahead."
    else:
        confirm = f"{tool} goes ahead without a confirmation ({cost} credit(s) to reserve)."
    return answers.estimate(
        spec.id, spec.input, estimate, cap=guard.cap(max_credits), confirm=confirm
    )


async def find_emails(
    ctx: Context[Toolbox, Any],
    prepared: Annotated[Prepared, Resolve(plan_find)],
    approval: Annotated[ElicitationResult[Any], Resolve(approve_find)],
    rows: Rows = None,
    path: FilePath = None,
    columns: Columns = None,
    max_credits: MaxCredits = None,
    job_id: JobId = None,
    timeout: Timeout = None,
    retry_failed: RetryFailed = False,
    country_code: Country = None,
) -> CallToolResult:
    return await _spend(ctx, prepared, approval, max_credits, timeout, retry_failed)


async def verify_emails(
    ctx: Context[Toolbox, Any],
    prepared: Annotated[Prepared, Resolve(plan_verify)],
    approval: Annotated[ElicitationResult[Any], Resolve(approve_verify)],
    emails: Emails = None,
    path: FilePath = None,
    email_column: EmailColumn = None,
    max_credits: MaxCredits = None,
    job_id: JobId = None,
    timeout: Timeout = None,
    retry_failed: RetryFailed = False,
) -> CallToolResult:
    return await _spend(ctx, prepared, approval, max_credits, timeout, retry_failed)


async def get_job(
    ctx: Context[Toolbox, Any],
    job_id: Annotated[str, Field(description="the job_id a list tool gave")],
    timeout: Timeout = None,
) -> CallToolResult:
    box = _box(ctx)
    try:
        spec = box.store.load(job_id)
    except ValueError as exc:
        raise ToolError(str(exc)) from None
    if spec is None:
        raise ToolError(f"no job {job_id} in this server's directory ({box.store.root})")
    with box.claim(job_id) as claimed:
        if not claimed:
            return answers.running(job_id, box.running[job_id])
        job = box.list_job(spec)
        try:
            estimate = await job.estimate()
        except EnrowError as exc:
            raise ToolError(f"job {job_id}: {message(exc)}") from None
        if estimate.to_send:
            tool = "find_emails" if spec.kind == "find" else "verify_emails"
            return answers.unstarted(job_id, spec.input, estimate, tool)
        prepared = Prepared(spec, job, estimate)
        return await _run(
            ctx, prepared, cap=0.0, timeout=timeout, retry_failed=False, confirmed_by="not needed"
        )


_BATCH_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,199}")

BatchKind = Annotated[
    Kind, Field(description="find: an email search batch; verify: a verification batch")
]


def _batch_id(batch_id: str) -> str:
    if not _BATCH_ID.fullmatch(batch_id):
        raise ToolError(f"{batch_id!r} is not a batch id (letters, digits, '-', '_', '.')")
    return batch_id


async def _read_batch(box: Toolbox, kind: Kind, batch_id: str) -> BulkResults | BulkVerification:
    try:
        if kind == "find":
            return await box.client.email.bulk.get(batch_id)
        return await box.client.verify.bulk.get(batch_id)
    except EnrowError as exc:
        raise ToolError(f"batch {batch_id}: {message(exc)}") from None


def _batch_rows(
    batch: BulkResults | BulkVerification, cell: Callable[[str], str] = neutralise
) -> tuple[list[str], list[list[str]]]:
    """A batch's results as a header and rows, each cell passed through ``cell``
    (neutralised for CSV by default)."""
    if isinstance(batch, BulkResults):
        records = [result_record(batch.id, result) for result in batch.results]
        return list(RESULT_COLUMNS), [list(map(cell, record_cells(r))) for r in records]
    rows = [[cell(r.index or ""), cell(r.email), str(r.qualification)] for r in batch.results]
    return ["index", "email", "qualification"], rows


async def get_batch(
    ctx: Context[Toolbox, Any],
    batch_id: Annotated[str, Field(description="a batch id, as Enrow or a job gave it")],
    kind: BatchKind = "find",
) -> CallToolResult:
    box = _box(ctx)
    batch = await _read_batch(box, kind, _batch_id(batch_id))
    header, rows = _batch_rows(batch, str)  # raw values: the sample is JSON
    named = [dict(zip(header, row, strict=True)) for row in rows]
    wanted = [r for r in named if r.get("qualification") == "valid"] or named
    sample = [{k: v for k, v in r.items() if v} for r in wanted[: box.settings.sample]]
    uri = f"enrow://batches/{kind}/{batch_id}/results.csv"
    return answers.batch(batch, sample, uri)


async def get_account(ctx: Context[Toolbox, Any]) -> CallToolResult:
    try:
        info = await _box(ctx).client.account.info()
    except EnrowError as exc:
        raise ToolError(message(exc)) from None
    return answers.account(info)


# -- resources: the full rows -----------------------------------------------------------


async def job_results(job_id: str, ctx: Context[Toolbox, Any]) -> str:
    """Every row of a job's list with its result (CSV), as its last run wrote them."""
    store = _box(ctx).store
    try:
        path = store.results(job_id)
        return path.read_text(encoding="utf-8")
    except ValueError as exc:
        raise ResourceError(str(exc)) from None
    except FileNotFoundError:
        raise ResourceError(f"job {job_id} has no results here yet: run it first") from None


async def batch_results(kind: str, batch_id: str, ctx: Context[Toolbox, Any]) -> str:
    """Every result of one completed batch (CSV), read from Enrow."""
    if kind not in ("find", "verify"):
        raise ResourceError(f"{kind!r}: batches are find or verify")
    try:
        batch = await _read_batch(_box(ctx), "find" if kind == "find" else "verify", batch_id)
    except ToolError as exc:
        raise ResourceError(str(exc)) from None
    if batch.status.value != "completed":
        raise ResourceError(f"batch {batch_id} is {batch.status.value}: no results to read")
    header, rows = _batch_rows(batch)
    return csv_bytes(header, rows).decode()


READ = ToolAnnotations(
    read_only_hint=True, destructive_hint=False, idempotent_hint=True, open_world_hint=True
)
SPEND = ToolAnnotations(
    read_only_hint=False, destructive_hint=True, idempotent_hint=True, open_world_hint=True
)

TOOLS: tuple[tuple[Callable[..., Any], str, str, ToolAnnotations], ...] = (
    (
        estimate_list,
        "Estimate a list",
        "What finding (kind=find) or verifying (kind=verify) a list would cost, before"
        " anything is sent: rows, rows skipped before anything is paid and why, distinct"
        " items, duplicates, batches, credits to reserve, the balance, and how a run would be"
        " confirmed. Free: reads the balance only. " + COSTS,
        READ,
    ),
    (
        find_emails,
        "Find emails of a list (spends credits)",
        "Find the professional email of every person in a list (inline rows, or a CSV/xlsx"
        " file) and wait for the results, sending progress notifications. SPENDS CREDITS. "
        + COSTS
        + " Rows not worth paying for are skipped first (no name, a one-word name, no company,"
        " a social or free-mail domain, a row that already has an email, totals); identical"
        " searches are sent once. " + GUARD + " " + SAME_JOB,
        SPEND,
    ),
    (
        verify_emails,
        "Verify a list of addresses (spends credits)",
        "Verify that every address of a list (inline, or a CSV/xlsx file with an email"
        " column, or one address a line) is deliverable, and wait for the results, sending"
        " progress notifications. SPENDS CREDITS: 0.25 credit per distinct address. Rows"
        " that are not addresses are skipped; identical addresses are checked once. "
        + GUARD
        + " "
        + SAME_JOB,
        SPEND,
    ),
    (
        get_job,
        "Read a job",
        "A job by its job_id (from this server, even after it restarted): waits for its"
        " batches that are still running (progress notifications), writes its results and"
        " answers the summary, as the list tool did. Free: it never starts a batch (items"
        " never started are named, with how to start them).",
        READ,
    ),
    (
        get_batch,
        "Read a batch",
        "One batch by its id, read once (no waiting): its status and progress, and once"
        " completed a sample of its results and the resource with all of them. Free.",
        READ,
    ),
    (
        get_account,
        "Read the account",
        "The account's credit balance and its webhooks. Free.",
        READ,
    ),
)

INSTRUCTIONS = (
    "Finds and verifies professional emails in bulk with Enrow, waiting for the results"
    " itself (never poll). Call estimate_list before a list tool; find_emails and"
    " verify_emails spend credits under a cost guard set by the user. Results come back as"
    " a summary and a sample: read the job's results resource (enrow://jobs/<job_id>/"
    "results.csv) for every row. A call that ended before its batches did is collected"
    " with get_job, at no cost."
)


def build_server(connect: Connect, settings: McpSettings | None = None) -> MCPServer[Toolbox]:
    """The MCP server (not yet running): its tools, its resources, and a lifespan that
    opens the client with ``connect`` while the server serves.

    ``MCPServer`` (the SDK) gives the root logger a handler on stderr, at WARNING, when it
    has none (the SDK's ``logging.basicConfig``).
    """
    chosen = settings or McpSettings()

    @asynccontextmanager
    async def lifespan(_: MCPServer[Toolbox]) -> AsyncIterator[Toolbox]:
        with contextlib.ExitStack() as files:
            root = chosen.directory
            if root is None:
                root = Path(files.enter_context(tempfile.TemporaryDirectory(prefix="enrow-mcp-")))
            async with connect() as client:
                yield Toolbox(client, chosen, JobStore(root))

    server: MCPServer[Toolbox] = MCPServer(
        "enrow",
        title="Enrow email finder",
        instructions=INSTRUCTIONS,
        version=__version__,
        lifespan=lifespan,
        log_level="WARNING",
    )
    for tool, title, description, hints in TOOLS:
        server.add_tool(tool, title=title, description=description, annotations=hints)
    server.resource(
        "enrow://jobs/{job_id}/results.csv",
        name="job results",
        description="Every row of a job's list with its result (CSV), as its last run wrote it",
        mime_type="text/csv",
    )(job_results)
    server.resource(
        "enrow://batches/{kind}/{batch_id}/results.csv",
        name="batch results",
        description="Every result of one completed batch (CSV), read from Enrow (free)",
        mime_type="text/csv",
    )(batch_results)
    return server


async def serve(connect: Connect, settings: McpSettings | None = None) -> None:
    """Serve over stdio (the client launched this process) until the client closes it."""
    await build_server(connect, settings).run_stdio_async()
