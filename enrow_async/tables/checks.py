"""The pre-flight check of a list's rows: what is worth paying for, and what is sent.

Pure code, shared by every front-end (the CLI, the DataFrame helpers, the MCP server, a
service's own code): each row gets a [RowCheck][enrow_async.RowCheck], the search to send (cleaned)
or the reason not to send it, and the changes made on the way. Nothing here reads or
writes anything; the original cells stay as they were, only what is sent is cleaned.

What is skipped (``SkipReason``): a blank row, a row without a name, a one-word name, a
name too long to be one, a row without a usable company, a totals or notes row (by its name
cell; at the end of a table, by its first cell too: ``is_trailer``), a row that already has
an email. What is cleaned (``Change``): titles and suffixes out of the name (``Dr. Jane Doe,
PhD`` -> ``Jane Doe``), the domain reduced to its host by the rule of de-duplication
(``https://www.Acme.com/pricing?utm=x`` -> ``acme.com``; ``jane@acme.com`` -> ``acme.com``),
and a domain that is not a company's (a social network, free mail, a link shortener)
dropped in favour of the company name, or the row skipped when there is none.
"""

from __future__ import annotations

import enum
import re

import attrs

from ..models import Custom, EmailSearch, normalize_domain

__all__ = ["Change", "RowCheck", "SkipReason", "check_row", "is_email", "is_trailer"]

MAX_NAME = 100
"""Characters above which a name is not a person's name."""


def _set(words: str) -> frozenset[str]:
    """Lists of words, kept as text to read at a glance."""
    return frozenset(words.split())


_TITLES = _set(
    "mr mrs ms miss mx dr prof professor sir dame madam mme mlle herr frau sra srta rev hon"
)
# Only suffixes that are not also common surnames (``Ma``, ``Ba`` are).
_SUFFIXES = _set("jr sr ii iii iv phd md mba cpa esq dds dvm pmp cfa llm msc bsc mphil dphil")
_NOT_COMPANY = _set(
    # social networks and sites that host people, not employers
    "linkedin.com facebook.com fb.com twitter.com x.com instagram.com youtube.com tiktok.com"
    " pinterest.com reddit.com medium.com github.com wikipedia.org crunchbase.com"
    " angel.co wellfound.com"
    # free mail
    " gmail.com googlemail.com yahoo.com yahoo.fr yahoo.co.uk hotmail.com hotmail.fr"
    " outlook.com live.com msn.com aol.com icloud.com me.com mac.com proton.me"
    " protonmail.com gmx.com gmx.de gmx.net web.de yandex.ru yandex.com mail.ru orange.fr"
    " free.fr laposte.net wanadoo.fr sfr.fr libero.it qq.com 163.com zoho.com"
    # link shorteners
    " bit.ly t.co goo.gl tinyurl.com ow.ly lnkd.in buff.ly rebrand.ly is.gd cutt.ly"
    " shorturl.at"
)
_TOTALS = re.compile(
    r"(grand\s+|sub\s*)?(total|totals|sum|count|summe|gesamt|insgesamt)\b\W*", re.IGNORECASE
)
_NOTES = re.compile(r"(notes?|comments?|source|generated|exported)\s*:", re.IGNORECASE)
_TRAILER = re.compile(
    r"\W*(?:(?:grand\s+|sub\s*)?totals?\b|(?:summe|gesamt|insgesamt|copyright|confidential)\b"
    r"|(?:sum|count|average|notes?|comments?|source|generated|exported|created|report)\b"
    r"\W*(?:$|:|\d|by\b|on\b)|©|\(c\))",
    re.IGNORECASE,
)
_LABEL = r"[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?"
_HOST = re.compile(rf"{_LABEL}(?:\.{_LABEL})+")
_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")


def is_email(text: str) -> bool:
    """``text`` has the shape of an address (something@host.tld, no spaces)."""
    return bool(_EMAIL.fullmatch(text))


class SkipReason(enum.Enum):
    """Why a row is not sent (nothing is paid for it)."""

    BLANK = "blank row"
    NO_NAME = "no name"
    ONE_WORD = "one-word name"
    TOO_LONG = "name too long"
    NO_COMPANY = "no company"
    NOT_A_COMPANY = "domain not a company's"
    TOTALS = "totals or notes row"
    HAS_EMAIL = "email already present"


class Change(enum.Enum):
    """What was cleaned in what is sent (the row's own cells stay as they were)."""

    TITLE_REMOVED = "title or suffix removed"
    DOMAIN_CLEANED = "domain reduced to its host"
    DOMAIN_FROM_EMAIL = "domain taken from an email address"
    DOMAIN_DROPPED = "domain not a company's: company name used"


@attrs.frozen
class RowCheck:
    """One row's verdict: the ``search`` to send, or ``skipped`` with the reason, and the
    ``changes`` made to what is sent."""

    search: EmailSearch | None
    skipped: SkipReason | None = None
    changes: tuple[Change, ...] = ()

    @property
    def sent(self) -> bool:
        return self.search is not None


def _words(text: str | None) -> str:
    return " ".join((text or "").split())


def _name(text: str) -> tuple[str, bool]:
    """The name without titles before it and suffixes after it (or after a comma)."""
    head, _, tail = text.partition(",")
    tail_words = tail.replace(".", " ").split()
    words = head.split()
    cleaned = bool(tail) and all(word.casefold() in _SUFFIXES for word in tail_words)
    if not cleaned:
        words = text.split()
    while len(words) > 1 and words[0].rstrip(".").casefold() in _TITLES:
        words, cleaned = words[1:], True
    while len(words) > 1 and words[-1].rstrip(".,").casefold() in _SUFFIXES:
        words, cleaned = words[:-1], True
    return " ".join(words).strip(" ,"), cleaned


def _domain(text: str) -> tuple[str | None, tuple[Change, ...]]:
    """The company's host in a domain, URL or address cell, and what was done to it;
    ``None`` when it is no company's (or no host at all)."""
    changes: list[Change] = []
    given = text.strip()
    if "@" in given and is_email(given) and "://" not in given:
        changes.append(Change.DOMAIN_FROM_EMAIL)
    host = normalize_domain(given)
    if host != given and not changes:
        changes.append(Change.DOMAIN_CLEANED)
    if not _HOST.fullmatch(host) or host in _NOT_COMPANY:
        return None, (*changes, Change.DOMAIN_DROPPED)
    return host, tuple(changes)


def is_trailer(cell: str) -> bool:
    """Whether ``cell``, the first filled cell of a row at the end of a table, opens a totals
    or notes row (``Total leads``, ``Sum: 12``, ``Generated by ... on 2024-07-01``,
    ``Copyright ...``)."""
    return bool(_TRAILER.match(cell))


def check_row(
    fullname: str | None,
    company_domain: str | None = None,
    company_name: str | None = None,
    *,
    custom: Custom = None,
    email: str | None = None,
) -> RowCheck:
    """The verdict on one row: its cells as read (a name, a domain or URL, a company name,
    and an ``email`` the row already holds, if any)."""
    name = _words(fullname)
    if _TOTALS.fullmatch(name) or _NOTES.match(name):
        return RowCheck(None, SkipReason.TOTALS)
    if email is not None and is_email(email.strip()):
        return RowCheck(None, SkipReason.HAS_EMAIL)
    if not name:
        return RowCheck(None, SkipReason.NO_NAME)
    if len(name) > MAX_NAME:
        return RowCheck(None, SkipReason.TOO_LONG)
    name, cleaned = _name(name)
    changes = [Change.TITLE_REMOVED] if cleaned else []
    if len(name.split()) < 2:
        return RowCheck(None, SkipReason.ONE_WORD)
    company = _words(company_name) or None
    domain = None
    if _words(company_domain):
        domain, done = _domain(_words(company_domain))
        changes += done
        if domain is None and company is None:
            return RowCheck(None, SkipReason.NOT_A_COMPANY, tuple(changes))
    if domain is None and company is None:
        return RowCheck(None, SkipReason.NO_COMPANY)
    return RowCheck(EmailSearch(name, domain, company, custom), None, tuple(changes))
