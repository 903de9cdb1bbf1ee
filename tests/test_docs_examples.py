"""Every ```python block of README.md and docs/ runs, against the simulator.

A block is either a program (it calls ``anyio.run``, or only defines and imports things),
run as it is, or a fragment using top-level ``await``, run in a coroutine with what the
surrounding text assumes already there: ``client`` (an open ``EnrowClient`` built
from the environment), ``searches``, ``batch_id`` and ``batch_ids`` (started batches).
Either way ``ENROW_API_KEY`` and ``ENROW_BASE_URL`` point at a simulator served for the
test from a background thread, so the README's ``EnrowClient()`` reaches it. A block that
includes a file (``--8<-- "path"``, in a ``{ .python }`` fence that formatters leave
alone) shows a test of ``tests/user_project``, which ``.ci/user_project`` runs from the
built wheel under each test plugin.
"""

from __future__ import annotations

import ast
import asyncio
import inspect
import logging
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from enrow_async import EnrowClient
from enrow_async.testing import (
    EnrowSimulator,
    MemoryTransport,
    SimulatorConfig,
    SimulatorThread,
    VirtualClockLoop,
)

ROOT = Path(__file__).parents[1]
PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").rglob("*.md"))]
FENCE = re.compile(r"^```(?:python| \{ \.python [^}]*\})\n(.*?)^```", re.S | re.M)
INCLUDE = re.compile(r'^--8<-- "([^"]+)"$')
SEARCHES = [
    {"fullname": "Jim Halpert", "company_domain": "dundermifflin.com"},
    {"fullname": "Dwight Schrute", "company_name": "Dunder Mifflin"},
]


def blocks() -> list[Any]:
    found = []
    for page in PAGES:
        text = page.read_text(encoding="utf-8")
        for match in FENCE.finditer(text):
            line = text.count("\n", 0, match.start()) + 2
            name = f"{page.relative_to(ROOT)}:{line}"
            found.append(pytest.param(match.group(1), id=name))
    return found


SPHINX_ROLE = re.compile(r":(?:class|func|meth|data|attr|exc|mod|obj):`")


def test_docstrings_cross_reference_in_markdown() -> None:
    """The API reference renders docstrings as Markdown, where a Sphinx role would show as
    typed; a cross-reference is ``[EnrowClient][enrow_async.EnrowClient]`` (checked by
    ``mkdocs build --strict``)."""
    roles = [
        f"{path.relative_to(ROOT)}:{number}: {line.strip()}"
        for path in sorted((ROOT / "enrow_async").rglob("*.py"))
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if SPHINX_ROLE.search(line)
    ]
    assert roles == []


def test_every_page_is_searched_and_has_examples() -> None:
    assert len(PAGES) > 5
    assert len(blocks()) >= 20


@pytest.fixture(autouse=True)
def _logging_restored() -> Iterator[None]:
    """An example may configure logging (``logging.basicConfig``): undone after it."""
    root, ours = logging.getLogger(), logging.getLogger("enrow_async")
    handlers, levels = list(root.handlers), (root.level, ours.level)
    yield
    root.handlers[:] = handlers
    root.setLevel(levels[0])
    ours.setLevel(levels[1])


@pytest.fixture
def served(monkeypatch: pytest.MonkeyPatch) -> Any:
    with SimulatorThread(SimulatorConfig(duration=0.05, webhook_delay=0.0)) as served:
        monkeypatch.setenv("ENROW_API_KEY", served.api_key)
        monkeypatch.setenv("ENROW_BASE_URL", served.base_url)
        yield served


@pytest.mark.parametrize("source", blocks())
def test_example_runs(
    source: str, served: SimulatorThread, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)  # what an example writes (a database, a file) stays there
    includes = [INCLUDE.fullmatch(line) for line in source.strip().splitlines()]
    if all(includes):
        for include in includes:
            assert include is not None
            path = ROOT / include.group(1)
            assert path.is_file()
            assert ROOT / "tests" / "user_project" in path.parents
        return
    code = compile(source, "<example>", "exec", flags=ast.PyCF_ALLOW_TOP_LEVEL_AWAIT)
    namespace: dict[str, Any] = {"__name__": "__main__"}
    if not code.co_flags & inspect.CO_COROUTINE:
        exec(code, namespace)
        return

    async def fragment() -> None:
        async with (
            EnrowSimulator(SimulatorConfig(duration=30), serve=False) as sim,
            EnrowClient(
                sim.api_key, base_url=sim.base_url, transport=MemoryTransport(sim)
            ) as client,
        ):
            jobs = [await client.start_bulk_search(SEARCHES) for _ in range(2)]
            namespace.update(
                client=client,
                searches=list(SEARCHES),
                batch_id=jobs[0].id,
                batch_ids=[job.id for job in jobs],
            )
            await eval(code, namespace)

    with asyncio.Runner(loop_factory=VirtualClockLoop) as runner:
        runner.run(fragment())
