"""``enrow_async.mcp`` is a client of the public API, as the command line is: every import
of every module of it is checked with ``ast``.

Allowed: the standard library, the MCP SDK, pydantic (its models are the SDK's schemas),
attrs and orjson; names of ``enrow_async.__all__`` and ``enrow_async.tables.__all__``; the
modules of ``enrow_async.mcp``.
"""

from __future__ import annotations

import ast
import sys
from pathlib import Path

import pytest

import enrow_async
import enrow_async.mcp
import enrow_async.tables

PACKAGE = Path(enrow_async.mcp.__file__).parent
THIRD_PARTY = {"mcp", "pydantic", "attrs", "orjson"}
PUBLIC = {
    "enrow_async": set(enrow_async.__all__),
    "enrow_async.tables": set(enrow_async.tables.__all__),
}
MODULES = sorted(PACKAGE.glob("*.py"))


def violations(source: str) -> list[str]:
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.ImportFrom) and node.level:
            continue  # a module of enrow_async.mcp
        if isinstance(node, ast.ImportFrom) and node.module in PUBLIC:
            public = PUBLIC[node.module]
            for name in (alias.name for alias in node.names if alias.name not in public):
                found.append(f"{name} is not in {node.module}.__all__")
            continue
        if isinstance(node, ast.ImportFrom):
            modules = [node.module or ""]
        elif isinstance(node, ast.Import):
            modules = [alias.name for alias in node.names]
        else:
            continue
        for module in modules:
            top = module.partition(".")[0]
            allowed = sys.stdlib_module_names | THIRD_PARTY | {"__future__"}
            if top not in allowed:
                found.append(f"{module} is not public, the standard library nor {THIRD_PARTY}")
    return found


def test_every_module_is_checked() -> None:
    assert {path.stem for path in MODULES} >= {"__init__", "_server", "_guard", "_inputs"}


@pytest.mark.parametrize("path", MODULES, ids=lambda path: path.name)
def test_the_server_imports_only_public_names(path: Path) -> None:
    assert violations(path.read_text(encoding="utf-8")) == []


def test_a_private_import_is_caught() -> None:
    assert violations("from enrow_async._core.plan import ListPlan") == [
        f"enrow_async._core.plan is not public, the standard library nor {THIRD_PARTY}"
    ]
    assert violations("from enrow_async import Estimate, MemoryRecord") == []
    assert violations("from enrow_async.tables import read_text, columns") == [
        "columns is not in enrow_async.tables.__all__"
    ]
