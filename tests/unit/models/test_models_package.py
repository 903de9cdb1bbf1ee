"""Every model: frozen at run time, slotted, re-exported, and the package a leaf."""

from __future__ import annotations

import ast
import pathlib

import attrs
import pytest

import enrow_async
from enrow_async import models

CLASSES = [
    getattr(models, name)
    for name in models.__all__
    if attrs.has(getattr(models, name)) and isinstance(getattr(models, name), type)
]
ALL_DEFAULTS = [
    cls for cls in CLASSES if all(f.default is not attrs.NOTHING for f in attrs.fields(cls))
]


def test_all_is_sorted_and_complete() -> None:
    assert models.__all__ == sorted(models.__all__)
    assert len(CLASSES) == 32
    assert set(models.__all__) <= set(enrow_async.__all__)


@pytest.mark.parametrize("cls", CLASSES, ids=lambda c: c.__name__)
def test_frozen_at_run_time_and_slotted(cls: type) -> None:
    fields = attrs.fields(cls)
    values = {f.name: None for f in fields if f.default is attrs.NOTHING}
    instance = cls(**values)
    assert not hasattr(instance, "__dict__")
    for field in fields:
        with pytest.raises(attrs.exceptions.FrozenInstanceError):
            setattr(instance, field.name, "x")
    with pytest.raises((attrs.exceptions.FrozenInstanceError, AttributeError)):
        instance.not_a_field = 1  # type: ignore[attr-defined]


@pytest.mark.parametrize("cls", ALL_DEFAULTS, ids=lambda c: c.__name__)
def test_equal_values_hash_alike(cls: type) -> None:
    assert hash(cls()) == hash(cls())
    assert cls() == cls()


def test_models_import_nothing_else_of_the_package() -> None:
    for path in pathlib.Path(models.__file__).parent.glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom):
                assert node.level <= 1, f"{path.name} imports {'.' * node.level}{node.module}"
                assert node.level == 1 or not (node.module or "").startswith("enrow_async")
            elif isinstance(node, ast.Import):
                assert not any(a.name.startswith("enrow_async") for a in node.names)
