"""The API key, blanked wherever a server's answer puts it.

A server may echo the key it was sent: an error message quoting the request, a proxy
echoing headers, any field of an answer. ``scrub`` blanks it in an answer (body and header
values) before anything reads it, so no model, error, note, log record or command-line
output built from an answer can hold it, whole or cut short; ``redact`` does the same for a
text that did not come through ``scrub`` (a transport's error).

Every spelling an encoder writes counts: the key as is, JSON-escaped (``\\/``,
``\\u00e9``, surrogate pairs; escaped once or twice over) and percent-encoded (hex in
either case). Encoders write letters, digits and ``-._~`` as they are, so a spelling always
holds the key's longest run of those: the escaped spellings are looked for (one regular
expression) only in a text that holds that run, and a key made of such characters alone
(the usual kind) costs one substring search. Keys shorter than ``KEY_MIN`` (a test's
``"k"``) are left alone: blanking them would blank letters of words.
"""

from __future__ import annotations

import functools
import re
import string

import attrs

from .http import Request, Response

__all__ = ["KEY_MIN", "REDACTED", "redact", "scrub"]

REDACTED = "<redacted>"
KEY_MIN = 4
"""Shorter keys are not blanked."""

_BLANK = REDACTED.encode()
_PLAIN = frozenset(string.ascii_letters + string.digits + "-._~")
"""Characters every JSON and URL encoder writes as they are."""


def _any_case(hex_digits: str) -> bytes:
    return "".join(f"[{d}{d.upper()}]" if d.isalpha() else d for d in hex_digits).encode()


def _char(char: str) -> bytes:
    """A pattern for ``char`` as an encoder may write it: as is, percent-encoded, or
    JSON-escaped once or more (a JSON string of a JSON text doubles each backslash)."""
    utf8 = char.encode()
    if char in _PLAIN:
        return re.escape(utf8)
    code = ord(char)
    units = [code] if code < 0x10000 else [0xD800 + (code - 0x10000 >> 10), 0xDC00 + (code & 0x3FF)]
    forms = [
        rb"\\+" if char == "\\" else rb"\\*" + re.escape(utf8),
        b"".join(rb"\\+u" + _any_case(f"{unit:04x}") for unit in units),
        b"".join(b"%" + _any_case(f"{byte:02x}") for byte in utf8),
    ]
    return b"(?:" + b"|".join(forms) + b")"


@attrs.frozen
class _Key:
    """The key (``text``, and ``raw`` in UTF-8); ``spelled`` matches any of its spellings
    and is looked for where ``run``, its longest run of plain characters, is (``None`` for
    a key whose only spelling is itself)."""

    text: str
    raw: bytes
    run: str
    spelled: re.Pattern[bytes] | None
    run_raw: bytes = attrs.field(init=False)

    @run_raw.default
    def _run_raw(self) -> bytes:
        return self.run.encode()

    def holds(self, text: str) -> bool:
        """Whether ``text`` may hold the key, in some spelling."""
        return self.text in text or (self.spelled is not None and self.run in text)

    def blank(self, data: bytes) -> bytes:
        # Spellings first: a JSON escape before the key (``\/``) goes with it, where
        # blanking the plain key first would leave a dangling backslash and unreadable JSON.
        if self.spelled is not None and self.run_raw in data:
            data = self.spelled.sub(_BLANK, data)
        if self.raw in data:
            data = data.replace(self.raw, _BLANK)
        return data

    def blank_text(self, text: str) -> str:
        if not self.holds(text):
            return text
        return self.blank(text.encode(errors="surrogatepass")).decode(errors="surrogatepass")


@functools.lru_cache(maxsize=16)
def _key_of(key: str) -> _Key:
    runs = re.findall(rf"[{re.escape(''.join(sorted(_PLAIN)))}]+", key)
    run = max(runs, key=len, default="")
    spelled = None if run == key else re.compile(b"".join(_char(char) for char in key))
    return _Key(key, key.encode(), run, spelled)


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
    if key.holds("\n".join(headers.values())):
        headers = {name.lower(): key.blank_text(value) for name, value in headers.items()}
    if body is response.body and headers is response.headers:
        return response
    return Response(response.status, headers, body)
