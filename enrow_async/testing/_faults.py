"""Which request gets which fault, and the answers the answering faults put in the API's place."""

from __future__ import annotations

import random

import attrs

from ._config import FAULT_KINDS, FaultKind, Faults

__all__ = ["JSON", "Answer", "FaultPicker"]

JSON = "application/json"

_BAD_GATEWAY = (
    b"<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n"
    b"<center><h1>502 Bad Gateway</h1></center>\r\n</body>\r\n</html>\r\n"
)


@attrs.frozen
class Answer:
    """One HTTP answer as data: status, body, and the headers aiohttp.web would send with
    it (``Content-Type`` first, then extras such as ``Retry-After``; no ``Content-Length``,
    ``Date`` or ``Server``)."""

    status: int
    body: bytes
    headers: tuple[tuple[str, str], ...] = (("Content-Type", JSON),)

    @classmethod
    def json(cls, status: int, body: bytes, *extra: tuple[str, str]) -> Answer:
        """A JSON answer, with ``extra`` headers as (name, value) pairs."""
        return cls(status, body, (("Content-Type", JSON), *extra))


@attrs.define
class _Injection:
    kind: FaultKind
    remaining: int
    path: str | None
    method: str | None

    def matches(self, method: str, path: str) -> bool:
        return (self.path is None or self.path == path) and (
            self.method is None or self.method == method
        )


class FaultPicker:
    """Forced faults first (in the order injected), then the seeded per-request draw."""

    def __init__(self, faults: Faults, seed: int) -> None:
        self.faults = faults
        self._total = faults.total
        self._rng = random.Random(f"faults:{seed}")
        self._injected: list[_Injection] = []

    def inject(
        self, kind: FaultKind, count: int = 1, path: str | None = None, method: str | None = None
    ) -> None:
        if kind not in FAULT_KINDS:
            raise ValueError(f"unknown fault kind {kind!r}; expected one of {FAULT_KINDS!r}")
        if count < 1:
            raise ValueError(f"count must be >= 1, got {count!r}")
        self._injected.append(_Injection(kind, count, path, method and method.upper()))

    def pick(self, method: str, path: str) -> FaultKind | None:
        for injection in self._injected:
            if injection.matches(method, path):
                injection.remaining -= 1
                if not injection.remaining:
                    self._injected.remove(injection)
                return injection.kind
        if not self._total or method not in self.faults.methods:
            return None
        draw = self._rng.random()
        for kind in FAULT_KINDS:
            draw -= self.faults.rate(kind)
            if draw < 0:
                return kind
        return None

    def answer(self, kind: FaultKind) -> Answer | None:
        """The answer fault ``kind`` sends instead of the API's, or None if it sends none.

        Draws the 500-or-503 choice of ``server_error`` from the seeded RNG."""
        if kind == "server_error":
            status = self._rng.choice((500, 503))
            message = b"Internal server error" if status == 500 else b"Service unavailable"
            return Answer.json(status, b'{"message": "' + message + b'"}')
        if kind == "html_502":
            return Answer(502, _BAD_GATEWAY, (("Content-Type", "text/html; charset=utf-8"),))
        if kind == "rate_limited":
            retry_after = f"{self.faults.retry_after:g}"
            return Answer.json(
                429, b'{"message": "Too Many Requests"}', ("Retry-After", retry_after)
            )
        return None
