"""The API key, blanked wherever a server's answer puts it.

A server may echo the key it was sent: an error message quoting the request, a proxy
echoing headers, any field of an answer. ``scrub`` blanks it in an answer (body and header
values) before anything reads it, so no model, error, note, log record or command-line
output built from an answer can hold it, whole or cut short; ``redact`` does the same for a
text that did not come through ``scrub`` (a transport's error). Every spelling counts: the
key as is, percent-encoded (hex in either case), and in any JSON spelling (``\\/``,
``\\u0041``, surrogate pairs; escaped once or twice over), so a body that spells it with
escapes is caught before it is decoded.

The raw key costs one substring search of a body; the escaped and percent-encoded spellings
are looked for (one regular expression) only in a body that holds a ``\\`` or a ``%``. Keys
shorter than ``KEY_MIN`` (a test's ``"k"``) are left alone: blanking them would blank
letters of words.
"""

from __future__ import annotations

import functools
import re

import attrs

from .http import Request, Response

__all__ = ["KEY_MIN", "REDACTED", "redact", "scrub"]

REDACTED = "<redacted>"
KEY_MIN = 4
"""Shorter keys are not blanked."""

_BLANK = REDACTED.encode()


def _any_case(hex_digits: str) -> bytes:
    return "".join(f"[{d}{d.upper()}]" if d.isalpha() else d for d in hex_digits).encode()


def _char(char: str) -> bytes:
    """A pattern for ``char`` written as is, percent-encoded or JSON-escaped, once or more
    (a JSON string of a JSON text doubles each backslash)."""
    utf8 = char.encode()
    code = ord(char)
    units = [code] if code < 0x10000 else [0xD800 + (code - 0x10000 >> 10), 0xDC00 + (code & 0x3FF)]
    escapes = rb"\\+" if char == "\\" else rb"\\*" + re.escape(utf8)
    forms = [
        escapes if char in '"\\/' else re.escape(utf8),
        b"".join(rb"\\+u" + _any_case(f"{unit:04x}") for unit in units),
        b"".join(b"%" + _any_case(f"{byte:02x}") for byte in utf8),
    ]
    return b"(?:" + b"|".join(forms) + b")"


@attrs.frozen
class _Key:
    """The key (``text``, and ``raw`` in UTF-8) and ``spelled``, which matches any of its
    spellings."""

    text: str
    raw: bytes
    spelled: re.Pattern[bytes]

    def blank(self, data: bytes) -> bytes:
        if self.raw in data:
            data = data.replace(self.raw, _BLANK)
        if b"\\" in data or b"%" in data:
            data = self.spelled.sub(_BLANK, data)
        return data

    def blank_text(self, text: str) -> str:
        if self.text not in text and "\\" not in text and "%" not in text:
            return text
        return self.blank(text.encode(errors="surrogatepass")).decode(errors="surrogatepass")


@functools.lru_cache(maxsize=16)
def _key_of(key: str) -> _Key:
    return _Key(key, key.encode(), re.compile(b"".join(_char(char) for char in key)))


def _key(request: Request) -> _Key | None:
    key = request.headers.get("x-api-key")
    return _key_of(key) if key and len(key) >= KEY_MIN else None


def redact(text: str, request: Request) -> str:
    """``text`` with the request's API key blanked, in any spelling."""
    key = _key(request)
    return text if key is None else key.blank_text(text)


def scrub(response: Response, request: Request) -> Response:
    """``response`` with the request's API key blanked in its body and header values, in
    any spelling; the same object when it holds none."""
    key = _key(request)
    if key is None:
        return response
    body = key.blank(response.body)
    headers = response.headers
    if any(key.blank_text(value) != value for value in headers.values()):
        headers = {name.lower(): key.blank_text(value) for name, value in headers.items()}
    if body is response.body and headers is response.headers:
        return response
    return Response(response.status, headers, body)
