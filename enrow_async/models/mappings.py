"""The searches and addresses as plain mappings: typed, so that a key typo is a type error.

The calls that take searches accept these as well as the models (``EmailSearch``,
``PhoneSearch``); unknown keys are refused at run time too. No ``from __future__ import
annotations`` here: ``__required_keys__`` must be right at run time.
"""

from typing import Required, TypedDict

from .common import Custom

__all__ = ["EmailSearchDict", "PhoneSearchDict", "VerificationItemDict"]


class EmailSearchDict(TypedDict, total=False):
    """An email search: ``fullname`` and a company domain and/or name (the fields of
    ``EmailSearch``)."""

    fullname: Required[str]
    company_domain: str | None
    company_name: str | None
    custom: Custom


class VerificationItemDict(TypedDict, total=False):
    """An address to verify in a bulk, with its own ``custom``."""

    email: Required[str]
    custom: Custom


class PhoneSearchDict(TypedDict, total=False):
    """A phone search: ``linkedin_url``, or ``firstname`` + ``lastname`` + a company domain
    or name (the fields of ``PhoneSearch``)."""

    linkedin_url: str | None
    firstname: str | None
    lastname: str | None
    company_domain: str | None
    company_name: str | None
    custom: Custom
