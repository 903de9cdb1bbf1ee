"""The names a column goes by: each role's usual spellings and the headers of common
exports, compared whatever their case, accents, spacing and punctuation (``First Name``,
``first_name`` and ``FIRSTNAME`` are one name; so are ``Prénom`` and ``prenom``).

``columns`` maps a header by them; ``read`` finds the header row by them when title rows
stand above it.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable, Mapping

__all__ = ["known_names"]


def key(name: str) -> str:
    """``"Prénom"`` -> ``"prenom"``, ``"First_Name"`` -> ``"firstname"``."""
    text = unicodedata.normalize("NFKD", name).casefold()
    return "".join(c for c in text if c.isalnum() and not unicodedata.combining(c))


ALIASES: Mapping[str, frozenset[str]] = {
    role: frozenset(key(name) for name in names)
    for role, names in {
        "fullname": (
            "fullname",
            "full name",
            "name",
            "contact name",
            "contact",
            "person",
            "person name",
            "person - name",  # Pipedrive
            "lead name",
            "nom complet",
            "vollständiger name",
        ),
        "first": ("first name", "first", "given name", "forename", "prénom", "vorname", "nombre"),
        "last": (
            "last name",
            "last",
            "surname",
            "family name",
            "nom",
            "nom de famille",
            "nachname",
            "apellido",
            "apellidos",
        ),
        "domain": (
            "company domain",
            "company domain name",  # HubSpot
            "domain",
            "website",
            "website url",  # HubSpot
            "company website",  # Apollo, Sales Navigator
            "organization - website",  # Pipedrive
            "organization website",
            "account website",
            "web",
            "site",
            "url",
            "company url",
            "domain name",
            "homepage",
            "webseite",
            "internetseite",
            "site web",
            "site internet",
            "sitio web",
        ),
        "company": (
            "company name",
            "company",
            "organization - name",  # Pipedrive
            "organization name",
            "company name for emails",  # Apollo
            "organization",
            "organisation",
            "employer",
            "account name",
            "entreprise",
            "société",
            "firma",
            "firmenname",
            "unternehmen",
            "empresa",
        ),
        "custom": ("custom",),
        "email": (
            "email",
            "e-mail",
            "email address",
            "mail",
            "courriel",
            "work email",
            "person - email",  # Pipedrive
            "business email",
            "e-mail-adresse",
        ),
    }.items()
}

_ALL = frozenset().union(*ALIASES.values())


def known_names(cells: Iterable[str]) -> int:
    """How many of ``cells`` are the name of a known column (of any role)."""
    return sum(key(cell) in _ALL for cell in cells if cell.strip())
