"""The ways a server may write the API key back: hypothesis strategies for the key tests."""

from __future__ import annotations

import json
import string

from hypothesis import strategies as st

PLAIN = frozenset(string.ascii_letters + string.digits + "-._~")
"""Characters every JSON and URL encoder writes as they are."""


def spellings(char: str) -> list[str]:
    """``char`` as an encoder may write it: as is, JSON-escaped (``\\u00e9`` in either case,
    a surrogate pair, ``\\/``) or percent-encoded (hex in either case)."""
    if char in PLAIN:
        return [char]
    code = ord(char)
    units = [code] if code < 0x10000 else [0xD800 + (code - 0x10000 >> 10), 0xDC00 + (code & 0x3FF)]
    escaped = "".join(f"\\u{unit:04x}" for unit in units)
    percent = "".join(f"%{byte:02x}" for byte in char.encode())
    forms = [char, escaped, escaped.upper().replace("\\U", "\\u"), percent, percent.upper()]
    return [*forms, "\\" + char] if char in '"\\/' else forms


@st.composite
def spelled(draw: st.DrawFn, key: str) -> str:
    """``key``, each character in any of its spellings, the whole maybe JSON-escaped again
    (a JSON text inside a JSON string)."""
    spelling = "".join(draw(st.sampled_from(spellings(char))) for char in key)
    return json.dumps(spelling)[1:-1] if draw(st.booleans()) else spelling
