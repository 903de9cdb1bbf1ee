"""Input files built to make a reader's memory grow, and a fresh process to read them in.

Each is small on disk (or sparse): what makes it a bomb is what it declares or inflates to.
An xlsx part is deflated once per distinct piece and repeated, never built whole.
"""

from __future__ import annotations

import struct
import subprocess
import sys
import zlib
from pathlib import Path

import attrs

MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
MB = 1024 * 1024


@attrs.frozen
class Deflated:
    """A part as it sits in a zip: its raw deflate stream, and the size and CRC it inflates
    to (``size`` may be declared otherwise: a lie)."""

    data: bytes
    size: int
    crc: int


def deflated(head: bytes, block: bytes = b"", times: int = 0, tail: bytes = b"") -> Deflated:
    """``head + block * times + tail`` deflated without building it: after a full flush the
    compressor refers to nothing before, so the block's compressed bytes can be repeated."""
    squeeze = zlib.compressobj(9, zlib.DEFLATED, -15)
    start = squeeze.compress(head) + squeeze.flush(zlib.Z_FULL_FLUSH)
    middle = squeeze.compress(block) + squeeze.flush(zlib.Z_FULL_FLUSH)
    end = squeeze.compress(tail) + squeeze.flush()
    crc = zlib.crc32(tail, repeated_crc32(block, times, zlib.crc32(head)))
    return Deflated(start + middle * times + end, len(head) + len(block) * times + len(tail), crc)


def repeated_crc32(block: bytes, times: int, crc: int) -> int:
    """``zlib.crc32(block * times, crc)``, hashing ``block`` 33 times whatever ``times`` (a
    bomb's gigabytes took a second): one more ``block`` maps a CRC ``c`` to ``M c ^ k``,
    affine over GF(2), and that map is raised to the power ``times`` by squaring."""
    k = zlib.crc32(block)
    matrix = [zlib.crc32(block, 1 << bit) ^ k for bit in range(32)]  # M's columns
    while times:
        if times & 1:
            crc = _times(matrix, crc) ^ k
        k = _times(matrix, k) ^ k  # the map applied twice: M M c ^ (M k ^ k)
        matrix = [_times(matrix, column) for column in matrix]
        times >>= 1
    return crc


def _times(matrix: list[int], vector: int) -> int:
    """``matrix`` (its 32 columns) times ``vector``, over GF(2)."""
    product = 0
    for column in matrix:
        if vector & 1:
            product ^= column
        vector >>= 1
    return product


def zip_bytes(parts: dict[str, bytes | Deflated], declared: dict[str, int] | None = None) -> bytes:
    """A zip of ``parts`` (bytes are deflated here); ``declared`` overrides sizes in its
    directory. Sizes stay under 4 GiB: no ZIP64."""
    body = directory = b""
    for name, part in parts.items():
        packed = part if isinstance(part, Deflated) else deflated(part)
        size = (declared or {}).get(name, packed.size)
        encoded = name.encode()
        fields = (20, 0, 8, 0, 0, packed.crc, len(packed.data), size, len(encoded), 0)
        directory += struct.pack("<4s2H", b"PK\x01\x02", 20, 20)
        directory += struct.pack("<4H3L2H", *fields[1:]) + struct.pack(
            "<3H2L", 0, 0, 0, 0, len(body)
        )
        directory += encoded
        body += struct.pack("<4s5H3L2H", b"PK\x03\x04", *fields) + encoded + packed.data
    end = struct.pack(
        "<4s4H2LH", b"PK\x05\x06", 0, 0, len(parts), len(parts), len(directory), len(body), 0
    )
    return body + directory + end


def workbook(
    sheet: bytes | Deflated,
    strings: bytes | Deflated | None = None,
    styles: bytes | None = None,
    book: str = "",
) -> dict[str, bytes | Deflated]:
    """The parts of an xlsx workbook with one sheet (and shared strings, styles, and
    ``book`` inside the ``workbook`` element), as Excel names them."""
    rels = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
    package = "http://schemas.openxmlformats.org/package/2006"
    sml = "application/vnd.openxmlformats-officedocument.spreadsheetml"
    xl: dict[str, tuple[str, bytes | Deflated | None]] = {
        "worksheet": ("worksheets/sheet1.xml", sheet),
        "sharedStrings": ("sharedStrings.xml", strings),
        "styles": ("styles.xml", styles),
    }
    present = {kind: (name, part) for kind, (name, part) in xl.items() if part is not None}

    def relations(*targets: tuple[str, str]) -> bytes:
        items = "".join(
            f'<Relationship Id="rId{n}" Type="{rels}/{kind}" Target="{target}"/>'
            for n, (kind, target) in enumerate(targets, 1)
        )
        return f'<Relationships xmlns="{package}/relationships">{items}</Relationships>'.encode()

    types = "".join(
        f'<Override PartName="/xl/{name}" ContentType="{sml}.{kind}+xml"/>'
        for kind, (name, _) in {"sheet.main": ("workbook.xml", b""), **present}.items()
    )
    parts: dict[str, bytes | Deflated] = {
        "[Content_Types].xml": (
            f'<Types xmlns="{package}/content-types"><Default Extension="rels"'
            ' ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
            f"{types}</Types>"
        ).encode(),
        "_rels/.rels": relations(("officeDocument", "xl/workbook.xml")),
        "xl/workbook.xml": (
            f'<workbook xmlns="{MAIN}" xmlns:r="{rels}">{book}'
            '<sheets><sheet name="leads" sheetId="1" r:id="rId1"/></sheets></workbook>'
        ).encode(),
        "xl/_rels/workbook.xml.rels": relations(*((k, n) for k, (n, _) in present.items())),
    }
    parts.update({f"xl/{name}": part for name, part in present.values()})
    return parts


SHEET_HEAD = f'<worksheet xmlns="{MAIN}"><sheetData>'.encode()
SHEET_TAIL = b"</sheetData></worksheet>"


def cells(*texts: str) -> bytes:
    """One row of inline strings."""
    inline = "".join(f'<c t="inlineStr"><is><t>{text}</t></is></c>' for text in texts)
    return f"<row>{inline}</row>".encode()


@attrs.frozen
class Read:
    """What a fresh process made of a file: refused (TableError) or read, the message, peak
    memory (bytes)."""

    refused: bool
    message: str
    peak: int


_CHILD = """
import sys
from pathlib import Path
from enrow_async import TableError
from enrow_async.tables import read_table
try:
    table = read_table(Path(sys.argv[1]))
    print(0, f"{len(table.rows)} rows")
except TableError as error:
    print(1, error)
with open("/proc/self/status") as status:
    print(next(int(line.split()[1]) * 1024 for line in status if line.startswith("VmHWM:")))
"""


PEAK = 300 * 1024 * 1024
"""The most a process refusing a bomb may hold at its peak."""


def refused_in_child(path: Path) -> str:
    """What ``read_table(path)`` in a fresh interpreter says refusing the file; it must
    refuse it (TableError) with its peak memory under :data:`PEAK`."""
    read = read_in_child(path)
    assert read.refused, read.message
    assert read.peak < PEAK
    return read.message


def read_in_child(path: Path) -> Read:
    """``read_table(path)`` in a fresh interpreter, with its peak resident memory."""
    done = subprocess.run(
        [sys.executable, "-c", _CHILD, str(path)],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    outcome, peak = done.stdout.splitlines()
    code, message = outcome.split(" ", 1)
    return Read(code == "1", message, int(peak))
