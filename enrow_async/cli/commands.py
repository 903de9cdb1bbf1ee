"""The smaller commands: ``wait``, ``results``, ``account`` and ``simulator``."""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from importlib import resources
from pathlib import Path

import anyio
import orjson

from enrow_async import (
    BatchStatus,
    BulkResults,
    check_batch_id,
    credits_text,
    percent,
    wait_batches,
)
from enrow_async.tables import check_writable, write_bytes, write_results

from .connect import Connect
from .errors import CliError
from .interrupt import Interrupt
from .progress import Tracker, show_progress
from .streams import Streams

__all__ = ["FORMATS", "account", "results", "sample", "serve", "wait"]

FORMATS = ("csv", "jsonl", "json")


def _check_ids(ids: Sequence[str]) -> list[str]:
    """The distinct ``ids`` in order, or exit 2 naming the first that cannot be a batch id
    (the library's ``check_batch_id``), before anything is sent."""
    try:
        return list(dict.fromkeys(map(check_batch_id, ids)))
    except ValueError as error:
        raise CliError(str(error), 2) from None


async def wait(
    ids: Sequence[str],
    output: Path,
    fmt: str,
    timeout: float | None,
    every: float,
    connect: Connect,
    streams: Streams,
    interrupt: Interrupt,
) -> int:
    ids = _check_ids(ids)
    check_writable(output)
    interrupt.hint = lambda ended: (
        f"{ended}; the batches keep running on the server: run the same command again"
    )
    done: dict[str, BulkResults] = {}
    tracker = Tracker(0, len(ids), 0)
    async with (
        connect() as client,
        show_progress(tracker, stream=streams.err, every=every, label="waiting"),
    ):
        outcome = await wait_batches(
            client.email.bulk.wait_many,
            dict.fromkeys(ids, 0),
            timeout=timeout,
            on_batch=lambda batch: done.setdefault(batch.id, batch),
            on_progress=tracker.update,
        )
    problems = {bid: "failed" for bid, b in done.items() if b.status is BatchStatus.FAILED}
    problems |= {bid: f"error: {e}" for bid, e in outcome.unreadable.items()}
    stopped = outcome.stopped_by
    why = "pending" if stopped is None else f"not waited for ({stopped})"
    problems |= dict.fromkeys(outcome.unfinished, why)
    batches = [done[bid] for bid in ids if bid in done and bid not in problems]
    count = write_results(output, batches, format=fmt, stdout=streams.out)
    found = sum(r.found for b in batches for r in b.results)
    streams.say(
        f"{len(batches)} batch(es), {count} result(s), {found} email(s) found; output: {output}"
    )
    if problems:
        shown = "; ".join(f"{bid}: {why}" for bid, why in list(problems.items())[:3])
        raise CliError(f"{len(problems)} batch(es) have no results ({shown})")
    return 0


async def results(
    batch_id: str,
    output: Path,
    fmt: str,
    connect: Connect,
    streams: Streams,
    interrupt: Interrupt,
) -> int:
    (batch_id,) = _check_ids([batch_id])
    check_writable(output)
    async with connect() as client:
        batch = await client.get_bulk_results(batch_id)
    stats = batch.stats
    seen = f"{stats.finished}/{stats.requested} searches done"
    if batch.status is BatchStatus.ONGOING:
        share = percent(stats.finished, stats.requested)
        raise CliError(
            f"batch {batch_id} is still ongoing ({seen}, {share}%); try again later, or wait"
            f" for it: enrow-async wait {batch_id} -o results.csv"
        )
    if batch.status is BatchStatus.FAILED:
        raise CliError(f"batch {batch_id} failed ({seen})")
    write_results(output, [batch], format=fmt, stdout=streams.out)
    return 0


async def account(connect: Connect, streams: Streams, interrupt: Interrupt) -> int:
    async with connect() as client:
        info = await client.account.info()
    streams.data(f"credits: {credits_text(info.credits)}")
    if not info.webhooks:
        streams.data("webhooks: none")
    for hook in info.webhooks:
        text = hook if isinstance(hook, str) else orjson.dumps(hook).decode()
        streams.data(f"webhook: {text}")
    return 0


async def sample(streams: Streams, interrupt: Interrupt) -> int:
    """Print the leads CSV shipped inside the package: ``enrow-async sample > leads.csv``."""
    shipped = resources.files("enrow_async.cli").joinpath("sample/leads.csv").read_bytes()
    write_bytes(Path("-"), shipped, stdout=streams.out)
    return 0


async def serve(args: argparse.Namespace, streams: Streams, interrupt: Interrupt) -> int:
    """Serve the simulator until Ctrl-C: its address on stdout, the rest on stderr."""
    from enrow_async.testing import EnrowSimulator, simulator_config_from

    try:
        config = simulator_config_from(args)
    except (TypeError, ValueError) as exc:
        raise CliError(f"simulator: {exc}", 2) from None
    async with EnrowSimulator(config, host=args.host, port=args.port) as sim:
        streams.data(sim.base_url)
        streams.say(
            f"Enrow simulator at {sim.base_url}, API key: {sim.api_key}",
            f"try: enrow-async sample > leads.csv && ENROW_API_KEY={sim.api_key} enrow-async"
            f" find leads.csv -o found.csv --base-url {sim.base_url}",
            "Ctrl-C to stop",
        )
        interrupt.hint = lambda ended: "simulator stopped"
        await anyio.sleep_forever()
    return 0
