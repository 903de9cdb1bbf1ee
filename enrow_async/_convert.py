"""The one private cattrs converter: wire JSON (already decoded) -> attrs models.

Wire quirks are absorbed here: ``index`` as ``"0"`` or ``0``, ``custom`` as a string or an
object, ``companyInfo`` renamed, ``company_domain`` accepted for ``domain``, unknown keys
ignored. Scalars are checked, not coerced with ``str()``: a wrong type is a
:class:`~enrow_async.errors.ResponseError` naming the field path.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any, TypeVar

import attrs
import cattrs
from cattrs.gen import make_dict_structure_fn, override

from .errors import ResponseError
from .models import (
    BatchStats,
    BatchStatus,
    BulkJob,
    BulkResults,
    CompanyInfo,
    ContactInfo,
    Custom,
    EmailResult,
    Qualification,
)

__all__ = ["converter", "structure"]

T = TypeVar("T")

converter = cattrs.Converter(detailed_validation=True)


def _int(value: object, _: object) -> int:
    if type(value) is int:
        return value
    if type(value) is str and value.strip().lstrip("-").isdigit():
        return int(value)
    if type(value) is float and value.is_integer():
        return int(value)
    raise ValueError(f"expected an integer, got {value!r:.40}")


def _float(value: object, _: object) -> float:
    if type(value) is int or type(value) is float:
        return value
    raise ValueError(f"expected a number, got {value!r:.40}")


def _str(value: object, _: object) -> str:
    if type(value) is str:
        return value
    raise ValueError(f"expected a string, got {value!r:.40}")


def _passthrough(value: Any, _: object) -> Any:
    return value


def _mapping(value: object, _: object) -> Mapping[str, Any]:
    if value is None:
        return {}
    if type(value) is dict:
        return value
    raise ValueError(f"expected an object, got {value!r:.40}")


def _enum_hook(cls: type[T]) -> Callable[[object, object], T]:
    members: dict[object, T] = {m.value: m for m in cls}  # type: ignore[attr-defined]

    def hook(value: object, _: object) -> T:
        try:
            return members[value]
        except (KeyError, TypeError):
            allowed = ", ".join(map(str, members))
            raise ValueError(f"expected one of {allowed}, got {value!r:.40}") from None

    return hook


converter.register_structure_hook(int, _int)
converter.register_structure_hook(float, _float)
converter.register_structure_hook(str, _str)
converter.register_structure_hook_func(lambda t: t == Custom, _passthrough)
converter.register_structure_hook_func(lambda t: t == Mapping[str, Any], _mapping)
converter.register_structure_hook(BatchStatus, _enum_hook(BatchStatus))
converter.register_structure_hook(Qualification, _enum_hook(Qualification))


def _object(value: object, name: str) -> dict[str, Any]:
    """Classes whose fields all have defaults would accept any container: refuse it."""
    if type(value) is not dict:
        raise ValueError(f"expected an object for {name}, got {type(value).__name__}")
    return value


_contact_info = make_dict_structure_fn(
    ContactInfo, converter, company_info=override(rename="companyInfo")
)
_company_info = make_dict_structure_fn(CompanyInfo, converter)


def _structure_contact_info(value: Any, cls: type[ContactInfo]) -> ContactInfo:
    value = _object(value, "info")
    if "domain" not in value and "company_domain" in value:
        value = {**value, "domain": value["company_domain"]}
    return _contact_info(value, cls)


def _structure_company_info(value: Any, cls: type[CompanyInfo]) -> CompanyInfo:
    return _company_info(_object(value, "companyInfo"), cls)


converter.register_structure_hook(ContactInfo, _structure_contact_info)
converter.register_structure_hook(CompanyInfo, _structure_company_info)


def _results(value: object, _: object) -> Sequence[EmailResult]:
    if value is None:
        return ()
    if type(value) is not list:
        raise ValueError(f"expected a list of results, got {type(value).__name__}")
    return tuple(converter.structure(value, list[EmailResult]))


converter.register_structure_hook_func(lambda t: t == Sequence[EmailResult], _results)


@attrs.frozen
class _General:
    id: str
    status: BatchStatus
    custom: Custom = None


@attrs.frozen
class _BulkWire:
    """``GET /email/find/bulk`` exactly as it travels; flattened into BulkResults."""

    general: _General
    stats: BatchStats
    results: Sequence[EmailResult] = ()


def _structure_bulk(value: Any, _: object) -> BulkResults:
    wire = converter.structure(value, _BulkWire)
    general = wire.general
    return BulkResults(
        id=general.id,
        status=general.status,
        stats=wire.stats,
        results=wire.results,
        custom=general.custom,
    )


converter.register_structure_hook(BulkResults, _structure_bulk)
converter.register_structure_hook(BulkJob, make_dict_structure_fn(BulkJob, converter))


_GENERAL_KEYS = frozenset({"id", "status", "custom"})
_PROGRESS_KEYS = frozenset({"finished", "requested"})


def ongoing_bulk(data: object) -> BulkResults | None:
    """The hot path of polling: the reduced in-progress body, built without cattrs.

    Only the exact documented shape (``general`` {id, status ongoing[, custom]}, ``stats``
    {finished, requested} as ints, no ``results``) is taken; anything else returns ``None``
    and goes through the converter, which checks and reports it in full.
    """
    if type(data) is not dict or len(data) != 2:
        return None
    general = data.get("general")
    stats = data.get("stats")
    if (
        type(general) is not dict
        or type(stats) is not dict
        or general.get("status") != "ongoing"
        or not general.keys() <= _GENERAL_KEYS
        or stats.keys() != _PROGRESS_KEYS
    ):
        return None
    batch_id = general.get("id")
    finished = stats["finished"]
    requested = stats["requested"]
    if type(batch_id) is not str or type(finished) is not int or type(requested) is not int:
        return None
    return BulkResults(
        batch_id,
        BatchStatus.ONGOING,
        BatchStats(finished, requested),
        (),
        general.get("custom"),
    )


def _describe(exc: BaseException, type_: type | None) -> str:
    if type(exc) is ValueError and exc.args:
        return str(exc)
    return cattrs.v.format_exception(exc, type_)


def structure(data: object, cls: type[T], *, body: bytes = b"") -> T:
    """Structure decoded JSON into ``cls`` or raise ResponseError naming the field path."""
    if not isinstance(data, dict):
        raise ResponseError(
            f"expected a JSON object for {cls.__name__}, got {type(data).__name__}", body=body
        )
    try:
        return converter.structure(data, cls)
    except Exception as exc:
        messages = cattrs.transform_error(exc, path="$", format_exception=_describe)
        first = messages[0] if messages else str(exc)
        path = first.rpartition(" @ ")[2] if " @ " in first else None
        raise ResponseError(
            f"malformed {cls.__name__}: {'; '.join(messages[:3])}", body=body, path=path
        ) from exc
