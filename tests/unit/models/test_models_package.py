"""Every model: frozen at run time, slotted, re-exported, and the package a leaf."""

from __future__ import annotations

import ast
import importlib
import pathlib
import pkgutil

import attrs
import pytest

import enrow_async
from enrow_async import models

NAMES = [
    name
    for module in pkgutil.iter_modules(models.__path__)
    for name in importlib.import_module(f"{models.__name__}.{module.name}").__all__
]
"""Every name of the models' modules' ``__all__``."""

CLASSES = [
    getattr(models, name)
    for name in NAMES
    if attrs.has(getattr(models, name)) and isinstance(getattr(models, name), type)
]
ALL_DEFAULTS = [
    cls for cls in CLASSES if all(f.default is not attrs.NOTHING for f in attrs.fields(cls))
]


def test_the_package_and_enrow_async_hold_every_name_of_the_modules() -> None:
    assert len(NAMES) == len(set(NAMES)) == 46
    assert len(CLASSES) == 32
    assert all(getattr(models, name) is getattr(enrow_async, name) for name in NAMES)
    assert set(NAMES) <= set(enrow_async.__all__)


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
