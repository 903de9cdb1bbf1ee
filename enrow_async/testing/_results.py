"""Deterministic, realistic outcomes of searches, in the wire form of each endpoint.

Whether a search succeeds depends only on the seed and on the search itself, so the same
person searched twice gets the same answer.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
import uuid
from collections.abc import Mapping
from typing import Any

import attrs
import orjson

__all__ = [
    "Person",
    "find_person",
    "normalise_domain",
    "phone_result",
    "unit",
    "uuid_from",
    "verify_qualification",
]

_TLDS = {"US": "com", "GB": "co.uk"}
_DIALING = {"US": "1", "CA": "1", "FR": "33", "GB": "44", "DE": "49", "ES": "34", "IT": "39"}
_NOT_SLUG = re.compile(r"[^a-z0-9-]+")


def _digest(seed: int, parts: tuple[object, ...]) -> bytes:
    data = orjson.dumps([seed, *parts], option=orjson.OPT_SORT_KEYS)
    return hashlib.blake2b(data, digest_size=16).digest()


def unit(seed: int, *parts: object) -> float:
    """A number in [0, 1) fixed by the seed and the (JSON-serialisable) parts."""
    return int.from_bytes(_digest(seed, parts)[:8]) / 2**64


def uuid_from(seed: int, *parts: object) -> str:
    """A version-4 shaped UUID string fixed by the seed and the parts."""
    return str(uuid.UUID(bytes=_digest(seed, parts), version=4))


def _slug(text: str) -> str:
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return _NOT_SLUG.sub("", ascii_text.lower())


def _capitalise(word: str) -> str:
    return "-".join(part[:1].upper() + part[1:].lower() for part in word.split("-"))


def normalise_domain(raw: str) -> str | None:
    """``https://www.DunderMifflin.com/about`` -> ``dundermifflin.com``; None if no domain."""
    host = raw.strip().lower()
    host = host.split("://", 1)[-1]
    host = re.split(r"[/?#]", host, maxsplit=1)[0].rsplit("@", 1)[-1].split(":", 1)[0]
    host = host.strip(".").removeprefix("www.")
    return host if "." in host and " " not in host else None


@attrs.frozen
class Person:
    """Who an email search found."""

    firstname: str
    lastname: str
    domain: str
    company: str
    email: str
    gender: str

    @property
    def fullname(self) -> str:
        return f"{self.firstname} {self.lastname}".strip()


def _text(value: Any) -> str:
    return value if isinstance(value, str) else ""


def find_person(
    search: Mapping[str, Any], country_code: str, seed: int, valid_rate: float
) -> Person | None:
    """The person an email search finds, or None (not found) with odds ``1 - valid_rate``."""
    if unit(seed, "email", search) >= valid_rate:
        return None
    words = _text(search.get("fullname")).split()
    company_name = _text(search.get("company_name")).strip()
    domain = normalise_domain(_text(search.get("company_domain")))
    if domain is None and _slug(company_name):
        domain = f"{_slug(company_name)}.{_TLDS.get(country_code, country_code.lower())}"
    if not words or domain is None or not _slug(words[0]):
        return None
    firstname, lastname = _capitalise(words[0]), " ".join(map(_capitalise, words[1:]))
    local = ".".join(part for part in (_slug(firstname), _slug(lastname)) if part)
    gender = "female" if unit(seed, "gender", firstname) < 0.5 else "male"
    company = company_name or _capitalise(domain.split(".", 1)[0])
    return Person(firstname, lastname, domain, company, f"{local}@{domain}", gender)


def verify_qualification(email: str, seed: int, valid_rate: float) -> str:
    """``valid`` or ``invalid`` for an address; one without ``@`` is always invalid."""
    if "@" in email and unit(seed, "verify", email.lower()) < valid_rate:
        return "valid"
    return "invalid"


def phone_result(
    search: Mapping[str, Any], country_code: str, seed: int, valid_rate: float
) -> dict[str, Any]:
    """``{number, country, qualification}`` of a phone search, found with ``valid_rate``."""
    if unit(seed, "phone", search) >= valid_rate:
        return {"number": None, "country": None, "qualification": "not_found"}
    digits = f"{int(unit(seed, 'digits', search) * 10**9):09d}"
    number = f"+{_DIALING.get(country_code, '1')}6{digits}"
    return {"number": number, "country": country_code, "qualification": "found"}
