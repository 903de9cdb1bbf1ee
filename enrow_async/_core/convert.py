"""The one place wire JSON (already decoded) becomes models: every structure hook is here.

Wire quirks are absorbed here: ``index`` as ``"0"`` or ``0``, ``custom`` as a string or an
object, ``companyInfo`` renamed, ``company_domain`` accepted for ``domain``, a bulk's
``general`` flattened, ``finished`` left out by some endpoints, phone's older ``valid``,
the phone webhook's doubly nested result, unknown keys ignored. Scalars are checked, never
coerced with ``str()``. Every model is built by its constructor.

One converter, ``fast`` (cattrs' generated hooks, and one loop for the large list of email
results), structures every body. The same rules with detailed validation (``detailed``)
re-run only on a body it refused, to name the field path in the
[ResponseError][enrow_async.ResponseError] (if they take it, that bug is the error).
"""

from __future__ import annotations

import types
from collections.abc import Callable, Mapping, Sequence
from typing import Any, Generic, NoReturn, TypeVar, Union, get_args, get_origin

import attrs
import cattrs
import orjson
from cattrs.gen import make_dict_structure_fn, override

from ..errors import ResponseError
from ..models import (
    AccountInfo,
    BatchStatus,
    CompanyInfo,
    ContactInfo,
    Custom,
    EmailResult,
    PhoneQualification,
    Qualification,
    SinglePhoneSearchFinished,
    WebhookPhoneResult,
)
from ..models.common import BulkBase

__all__ = ["detailed", "fast", "structure"]

T = TypeVar("T")
S = TypeVar("S")
R = TypeVar("R")
Hook = Callable[[Any, Any], Any]
_NONE = type(None)


# -- scalars --------------------------------------------------------------------------------


def _int(value: object, _: object) -> int:
    if type(value) is int:
        return value
    if type(value) is str and value.strip().lstrip("-").isdigit():  # the wire's usual "0"
        return int(value)
    if type(value) is float and value.is_integer():
        return int(value)
    raise ValueError(f"expected an integer, got {value!r:.40}")


def _exact(expected: str, *types: type) -> Hook:
    """A value of one of ``types`` exactly, as it is (never coerced); anything else refused."""

    def hook(value: object, _: object) -> Any:
        if type(value) in types:
            return value
        raise ValueError(f"expected {expected}, got {value!r:.40}")

    return hook


def _mapping(value: object, _: object) -> Mapping[str, Any]:
    if value is None:
        return {}
    if type(value) is dict:
        return value
    raise ValueError(f"expected an object, got {value!r:.40}")


def _tuple(value: object, _: object) -> tuple[Any, ...]:
    if value is None:
        return ()
    if type(value) is not list:
        raise ValueError(f"expected a list, got {type(value).__name__}")
    return tuple(value)


def _enum_hook(cls: type[T]) -> Hook:
    members: dict[object, T] = {m.value: m for m in cls}  # type: ignore[attr-defined]

    def hook(value: object, _: object) -> T:
        try:
            return members[value]
        except (KeyError, TypeError):
            allowed = ", ".join(map(str, members))
            raise ValueError(f"expected one of {allowed}, got {value!r:.40}") from None

    return hook


def _optional(hook: Hook) -> Hook:
    """``X | None`` in one call, without cattrs' generic union dispatch."""

    def structure(value: Any, cls: Any) -> Any:
        return None if value is None else hook(value, cls)

    return structure


def _is_optional(type_: Any) -> bool:
    args = get_args(type_)
    return get_origin(type_) in (Union, types.UnionType) and len(args) == 2 and _NONE in args


def _model(make: Hook, prepare: Callable[[Any], Any] | None) -> Hook:
    """``make`` (a generated hook) in one call with what comes before it: the check that
    the value is a JSON object (a generated hook reads an all-defaults class from a list or
    a string), the wire's fix-up."""

    def structure(value: Any, cls: Any) -> Any:
        if type(value) is not dict:
            raise ValueError(f"expected an object, got {type(value).__name__}")
        return make(value if prepare is None else prepare(value), cls)

    return structure


# -- wire shapes ----------------------------------------------------------------------------


@attrs.frozen
class _General:
    id: str
    status: BatchStatus
    custom: Custom = None


@attrs.frozen
class _BulkWire(Generic[S, R]):
    """A bulk GET exactly as it travels; flattened into its ``BulkBase`` subclass."""

    general: _General
    stats: S
    results: Sequence[R] = ()


def _stats_defaults(value: Any, found: bool) -> Any:
    """``finished`` left out (verify, phone): ``requested`` once completed, 0 before; with
    ``found`` (stats that have it), ``found`` left out (older phone pages): their ``valid``.
    ``value`` itself when nothing is left out (every poll of an email bulk)."""
    general, stats = value.get("general"), value.get("stats")
    if type(general) is not dict or type(stats) is not dict:
        return value  # the converter reports it
    fill_found = found and stats.get("found") is None and "valid" in stats
    if stats.get("finished") is not None and not fill_found:
        return value
    filled = dict(stats)
    if filled.get("finished") is None and "requested" in filled:
        completed = general.get("status") == BatchStatus.COMPLETED
        filled["finished"] = filled["requested"] if completed else 0
    if fill_found:
        filled["found"] = filled["valid"]
    return {**value, "stats": filled}


def _domain_alias(value: Any) -> Any:
    """``info.company_domain`` (webhooks, some pages) read as ``domain``."""
    if "domain" not in value and "company_domain" in value:
        return {**value, "domain": value["company_domain"]}
    return value


@attrs.frozen
class _PhoneEnvelope:
    """``single_phone_search_finished`` nests ``{"event", "id", "result": {...}}`` in its
    ``result``; a result sent only once nested is taken too."""

    result: WebhookPhoneResult | None = None


def _phone_event_result(conv: cattrs.Converter) -> Hook:
    plain = conv.get_structure_hook(WebhookPhoneResult | None)
    envelope = conv.get_structure_hook(_PhoneEnvelope)

    def structure(value: Any, _: object) -> WebhookPhoneResult | None:
        if type(value) is dict and "result" in value:
            return envelope(value, _PhoneEnvelope).result  # type: ignore[no-any-return]
        return plain(value, WebhookPhoneResult | None)  # type: ignore[no-any-return]

    return structure


_QUALIFICATIONS = {q.value: q for q in Qualification}


def _email_results(value: Any, _: object) -> list[EmailResult]:
    """The hook for the one large list (5,000 results a batch): the rules of the generated
    hooks for ``EmailResult``, ``ContactInfo`` and ``CompanyInfo`` written out in one loop,
    each record built by its constructor (``benchmarks/structuring.py --readers``: the
    generated hooks cost about 1.36x). Results of one company share one ``CompanyInfo``
    (frozen, so sharing is invisible but to ``is``): lead lists repeat companies, and each
    record spared is one object less for the cyclic collector to track and traverse. Each
    wire record is dropped from ``value`` as soon as it is read, so the decoded body and the
    models never coexist in full. What it refuses, the detailed converter explains; a
    hypothesis test holds the two converters to the same answers."""
    if type(value) is not list:
        raise ValueError(f"expected a list, got {type(value).__name__}")
    companies: dict[object, CompanyInfo] = {}
    out: list[EmailResult] = []
    append = out.append
    for position, item in enumerate(value):
        value[position] = None
        if type(item) is not dict:
            raise ValueError(f"expected an object, got {type(item).__name__}")
        info, raw, email = item.get("info"), item.get("raw_params"), item.get("email")
        if not (raw is None or type(raw) is dict) or not (email is None or type(email) is str):
            raise ValueError("expected an object as raw_params and a string as email")
        index = item["index"]
        append(
            EmailResult(
                index if type(index) is int else _int(index, int),
                _QUALIFICATIONS[item["qualification"]],
                email,
                None if info is None else _contact(info, companies),
                {} if raw is None else raw,
                item.get("custom"),
            )
        )
    return out


def _contact(info: object, companies: dict[object, CompanyInfo]) -> ContactInfo:
    """One result's ``info``, its company shared through ``companies``."""
    if type(info) is not dict:
        raise ValueError(f"expected an object, got {type(info).__name__}")
    company = info.get("companyInfo")
    if company is not None:
        if type(company) is not dict:
            raise ValueError(f"expected an object, got {type(company).__name__}")
        name = company.get("name")
        shared = companies.get(name)
        if shared is None:
            if name is not None and type(name) is not str:
                raise ValueError(f"expected a string, got {name!r:.40}")
            shared = companies[name] = CompanyInfo(name)
        company = shared
    domain = info["domain"] if "domain" in info else info.get("company_domain")
    names = (info.get("firstname"), info.get("lastname"), info.get("fullname"))
    fields = (domain, *names, info.get("gender"))
    for field in fields:
        if field is not None and type(field) is not str:
            raise ValueError("expected strings in info")
    return ContactInfo(*fields, company)


def _by_position(result: Any) -> int:
    index: int | None = result.index
    return -1 if index is None else index


def _parts(cls: type[BulkBase[Any, Any]]) -> tuple[type, type]:
    """A bulk model's stats and result models: the arguments of its ``BulkBase[...]``."""
    (base,) = (b for b in getattr(cls, "__orig_bases__", ()) if get_origin(b) is BulkBase)
    stats, result = get_args(base)
    return stats, result


def _bulk_hook(conv: cattrs.Converter, cls: type[BulkBase[Any, Any]]) -> Hook:
    stats, result = _parts(cls)
    found = "found" in attrs.fields_dict(stats)
    items = conv.get_structure_hook(list[result])  # type: ignore[valid-type]

    def results(value: Any, _: object) -> tuple[Any, ...]:
        if value is None:
            return ()
        if type(value) is not list:
            raise ValueError(f"expected a list of results, got {type(value).__name__}")
        read = items(value, list[result])  # type: ignore[valid-type]
        if cls.by_index:
            read.sort(key=_by_position)
        return tuple(read)

    wire_type = _BulkWire[stats, result]  # type: ignore[valid-type]
    wire_hook = make_dict_structure_fn(wire_type, conv, results=override(struct_hook=results))

    def structure(value: Any, _: object) -> BulkBase[Any, Any]:
        wire = wire_hook(_stats_defaults(value, found), wire_type)
        general = wire.general
        return cls(general.id, general.status, wire.stats, wire.results, general.custom)

    return structure


# -- the converters -------------------------------------------------------------------------

_OVERRIDES: dict[type, dict[str, Any]] = {
    ContactInfo: {"company_info": override(rename="companyInfo")},
    AccountInfo: {"webhooks": override(struct_hook=_tuple)},
}


def _configure(conv: cattrs.Converter) -> cattrs.Converter:
    """Register every rule on ``conv``; hooks are generated on first use, so every rule is
    in place before any function that captures it."""
    hook = conv.register_structure_hook
    hook(int, _int)
    hook(float, _exact("a number", int, float))
    hook(str, _exact("a string", str))
    for enum_cls in (BatchStatus, Qualification, PhoneQualification):
        hook(enum_cls, _enum_hook(enum_cls))

    def model(cls: type) -> Hook:
        if issubclass(cls, BulkBase):
            made = _bulk_hook(conv, cls)
        else:
            overrides = dict(_OVERRIDES.get(cls, {}))
            if cls is SinglePhoneSearchFinished:
                overrides["result"] = override(struct_hook=_phone_event_result(conv))
            made = make_dict_structure_fn(cls, conv, **overrides)
        return _model(made, _domain_alias if cls is ContactInfo else None)

    def optional(type_: Any) -> Hook:
        (inner,) = (arg for arg in get_args(type_) if arg is not _NONE)
        return _optional(conv.get_structure_hook(inner))

    conv.register_structure_hook_factory(attrs.has, model)
    if not conv.detailed_validation:
        conv.register_structure_hook_func(lambda t: t == list[EmailResult], _email_results)
    conv.register_structure_hook_factory(_is_optional, optional)
    conv.register_structure_hook_func(lambda t: t == Custom, lambda value, _: value)
    conv.register_structure_hook_func(lambda t: t == Mapping[str, Any], _mapping)
    return conv


fast = _configure(cattrs.Converter(detailed_validation=False))
"""Structures every body."""
detailed = _configure(cattrs.Converter(detailed_validation=True))
"""The same rules, re-run on a body ``fast`` refused, to name the field path in the error."""


# -- entry points ---------------------------------------------------------------------------


def _describe(exc: BaseException, type_: type | None) -> str:
    if type(exc) is ValueError and exc.args:
        return str(exc)
    return cattrs.v.format_exception(exc, type_)


def structure(data: object, cls: type[T], *, body: bytes) -> T:
    """Structure ``data``, decoded from ``body`` for this call alone, into ``cls``, or raise
    ResponseError naming the field path.

    ``data`` is handed over: an email bulk's result list is emptied (``None`` in place of
    each record) as its models are built; a refusal decodes ``body`` again for the
    detailed converter.
    """
    if type(data) is not dict:
        raise ResponseError(
            f"expected a JSON object for {cls.__name__}, got {type(data).__name__}", body=body
        )
    try:
        return fast.structure(data, cls)
    except Exception as refused:
        _raise_malformed(orjson.loads(body), cls, body, refused)


def _raise_malformed(data: object, cls: type, body: bytes, refused: Exception) -> NoReturn:
    """The error for a body ``fast`` refused, with the detailed converter's field paths."""
    try:
        detailed.structure(data, cls)
    except Exception as exc:
        messages = cattrs.transform_error(exc, path="$", format_exception=_describe)
        first = messages[0] if messages else str(exc)
        path = first.rpartition(" @ ")[2] if " @ " in first else None
        raise ResponseError(
            f"malformed {cls.__name__}: {'; '.join(messages[:3])}", body=body, path=path
        ) from exc
    raise ResponseError(
        f"malformed {cls.__name__}: the fast converter refused it ({refused!r:.200}) and the"
        " detailed one did not; this is a bug in enrow_async, please report it",
        body=body,
    ) from refused
