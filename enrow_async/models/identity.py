"""When two searches are the same search: the keys used to send each one only once.

Enrow charges per search, so a list that names the same person twice (another case, extra
spaces, ``https://www.acme.com/about`` beside ``acme.com``) would pay twice. These keys
say what counts as the same: names and company names compared without case or repeated
spaces, domains reduced to their host without scheme, ``www.``, port, path or final dot,
and email addresses compared without case or surrounding spaces.
"""

from __future__ import annotations

from .email import EmailSearch

__all__ = ["email_identity", "normalize_domain", "search_identity"]


def _words(text: str | None) -> str:
    return " ".join((text or "").split()).casefold()


def normalize_domain(value: str | None) -> str:
    """The bare host of a domain or URL: ``https://WWW.Acme.com:443/about`` → ``acme.com``."""
    host = (value or "").strip().casefold()
    if "://" in host:
        host = host.split("://", 1)[1]
    elif host.startswith("//"):
        host = host[2:]
    for mark in "/?#":
        host = host.split(mark, 1)[0]
    host = host.rsplit("@", 1)[-1].split(":", 1)[0]
    while True:  # spaces, final dots and ``www.`` in any order, until none is left
        trimmed = host.strip().rstrip(".").removeprefix("www.")
        if trimmed == host:
            return host
        host = trimmed


def search_identity(search: EmailSearch) -> tuple[str, str, str]:
    """What makes two email searches the same search (``custom`` plays no part)."""
    return (
        _words(search.fullname),
        normalize_domain(search.company_domain),
        _words(search.company_name),
    )


def email_identity(email: str) -> str:
    """What makes two addresses to verify the same address: case and outer spaces aside."""
    return email.strip().casefold()
