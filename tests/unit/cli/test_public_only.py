"""``enrow_async.cli`` is a client of the public API: every import of every module of it is
checked with ``ast``.

Allowed: the standard library, anyio, attrs, orjson, rich and openpyxl (the xlsx extra); names of
``enrow_async.__all__``; names of ``enrow_async.testing.__all__`` (the simulator behind
``--sandbox`` and ``simulator``, a public package), of ``enrow_async.tables.__all__``
(reading tables, finding their columns) and of ``enrow_async.mcp.__all__`` (the server of
``mcp``); the modules of ``enrow_async.cli``.
"""

from __future__ import annotations

import ast
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

import enrow_async
import enrow_async.cli
import enrow_async.mcp
import enrow_async.tables
import enrow_async.testing

PACKAGE = Path(enrow_async.cli.__file__).parent
THIRD_PARTY = {"anyio", "attrs", "orjson", "rich", "openpyxl"}
PUBLIC = {
    "enrow_async": set(enrow_async.__all__),
    "enrow_async.testing": set(enrow_async.testing.__all__),
    "enrow_async.tables": set(enrow_async.tables.__all__),
    "enrow_async.mcp": set(enrow_async.mcp.__all__),
}


def _absolute(module: str | None, level: int, package: str) -> str:
    """The module a (possibly relative) ``from ... import`` names, seen from ``package``."""
    if not level:
        return module or ""
    parts = package.split(".")[: len(package.split(".")) - level + 1]
    return ".".join([*parts, *([module] if module else [])])


def violations(source: str, package: str = "enrow_async.cli") -> Iterator[str]:
    """Each import of ``source`` (a module of ``package``) that breaks the rule."""
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield from _module(alias.name, node.lineno)
        elif isinstance(node, ast.ImportFrom):
            module = _absolute(node.module, node.level, package)
            if module in PUBLIC:
                for alias in node.names:
                    if alias.name not in PUBLIC[module]:
                        yield f"line {node.lineno}: {alias.name} is not in {module}.__all__"
            else:
                yield from _module(module, node.lineno)


def _module(name: str, line: int) -> Iterator[str]:
    top = name.partition(".")[0]
    if name == "enrow_async.cli" or name.startswith("enrow_async.cli."):
        return
    if name in PUBLIC and name != "enrow_async":
        return  # import enrow_async.testing
    if top == "enrow_async":
        yield f"line {line}: {name} is not a public module of enrow_async"
    elif top not in sys.stdlib_module_names and top not in THIRD_PARTY and top != "__future__":
        yield f"line {line}: {name} is neither the standard library nor {sorted(THIRD_PARTY)}"


MODULES = sorted(PACKAGE.glob("*.py"))


def test_every_module_is_checked() -> None:
    assert {path.stem for path in MODULES} >= {"__init__", "app", "find", "job"}


@pytest.mark.parametrize("path", MODULES, ids=lambda path: path.name)
def test_cli_imports_only_public_names(path: Path) -> None:
    assert list(violations(path.read_text(encoding="utf-8"))) == []


@pytest.mark.parametrize(
    "source",
    [
        "from enrow_async._core.searches import MAX_BATCH",
        "from .._core.protocol import ApiConfig",
        "from ..client import EnrowClient",
        "from enrow_async import ApiConfig",
        "from .. import _core",
        "import enrow_async._io.waiting",
        "import aiohttp",
        "def later():\n    from enrow_async.testing._jobs import Job",
        "from enrow_async.testing import _server",
    ],
)
def test_the_check_sees_private_imports(source: str) -> None:
    assert list(violations(source))


@pytest.mark.parametrize(
    "source",
    [
        "from enrow_async import EnrowClient, MAX_BATCH_SIZE",
        "from . import commands",
        "from .resume import RunRecord",
        "import enrow_async.cli.app",
        "from enrow_async.testing import EnrowSimulator",
        "import anyio.lowlevel",
        "from collections.abc import Sequence",
    ],
)
def test_the_check_lets_public_imports_pass(source: str) -> None:
    assert list(violations(source)) == []
