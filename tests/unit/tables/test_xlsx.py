"""Reading an ``.xlsx`` sheet: the values openpyxl gives, and every limit refused before
memory grows (the bombs are read in a fresh process whose peak memory is measured)."""

from __future__ import annotations

import datetime
import io
import struct
import zlib
from pathlib import Path

import exports
import pytest
from bombs import (
    MAIN,
    SHEET_HEAD,
    SHEET_TAIL,
    cells,
    deflated,
    refused_in_child,
    workbook,
    zip_bytes,
)
from hypothesis import given, settings
from hypothesis import strategies as st

from enrow_async import TableError
from enrow_async.tables import LIMITS, Table, describe_table, read_table, read_xlsx

openpyxl = pytest.importorskip("openpyxl")

"""The most a process refusing a bomb may hold at its peak."""


def openpyxl_rows(path: Path) -> list[list[str]]:
    """The sheet as openpyxl reads it (read-only, cached values) and as this reader's
    tables had it (a float that is whole without its ``.0``), leading blank rows left out,
    each row without its trailing empty cells."""
    book = openpyxl.load_workbook(path, read_only=True, data_only=True)
    try:
        rows = [
            ["" if v is None else str(int(v) if _whole(v) else v) for v in row]
            for row in book.worksheets[0].iter_rows(values_only=True)
        ]
    finally:
        book.close()
    while rows and not any(rows[0]):
        rows.pop(0)
    return [_trimmed(row) for row in rows]


def _whole(value: object) -> bool:
    return isinstance(value, float) and value.is_integer()


def _trimmed(row: list[str]) -> list[str]:
    while row and not row[-1]:
        row = row[:-1]
    return row


def our_rows(table: Table) -> list[list[str]]:
    return [_trimmed(table.header), *(_trimmed(row) for row in table.rows)]


TEXT = st.text(
    st.characters(codec="utf-8", exclude_categories=("Cs", "Cc"), include_characters="\t\n"),
    max_size=10,
)
VALUES = st.one_of(
    st.none(),
    TEXT,
    st.integers(-(10**15), 10**15),
    st.floats(allow_nan=False, allow_infinity=False),
    st.booleans(),
    st.dates(min_value=datetime.date(1900, 3, 1)),
    st.datetimes(min_value=datetime.datetime(1900, 3, 1)),
    st.times(),
    st.timedeltas(min_value=datetime.timedelta(0), max_value=datetime.timedelta(days=999)),
)


@settings(max_examples=40, deadline=None)
@given(
    rows=st.lists(st.lists(VALUES, max_size=5), min_size=1, max_size=6),
    skip=st.integers(0, 2),
)
def test_values_are_what_openpyxl_reads(
    tmp_path_factory: pytest.TempPathFactory, rows: list[list[object]], skip: int
) -> None:
    """Strings, numbers, booleans, dates, times, durations, blanks: as openpyxl reads them."""
    book = openpyxl.Workbook()
    sheet = book.active
    for number, row in enumerate([["fullname", "notes"], *rows], start=1 + skip):
        for column, value in enumerate(row, start=1):
            sheet.cell(number, column, value)
    path = tmp_path_factory.mktemp("xlsx") / "leads.xlsx"
    book.save(path)
    assert our_rows(read_table(path)) == openpyxl_rows(path)


STYLES = f"""<styleSheet xmlns="{MAIN}">
<numFmts count="1"><numFmt numFmtId="164" formatCode="yyyy-mm-dd"/></numFmts>
<fonts count="1"><font><sz val="11"/></font></fonts>
<fills count="1"><fill><patternFill/></fill></fills><borders count="1"><border/></borders>
<cellStyleXfs count="1"><xf numFmtId="14"/></cellStyleXfs>
<cellXfs count="4">
<xf numFmtId="0"/><xf numFmtId="164"/><xf numFmtId="22"/><xf numFmtId="46"/>
</cellXfs>
<cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles>
</styleSheet>""".encode()

STRINGS = f"""<sst xmlns="{MAIN}"><si><t>Zoë</t></si>
<si><r><t>Ram</t></r><r><rPr><b/></rPr><t xml:space="preserve">írez </t></r>
<rPh sb="0" eb="1"><t>ラ</t></rPh></si>
<si><t>a_x005F_x000D_b</t></si><si><t/></si></sst>""".encode()

SHEET = f"""<worksheet xmlns="{MAIN}"><dimension ref="A1:XFD1048576"/><sheetData>
<row r="2"><c r="A2" t="s"><v>0</v></c><c r="B2" t="s"><v>1</v></c><c t="s"><v>2</v></c></row>
<row><c t="inlineStr"><is><r><t>in</t></r><r><t>line</t></r>
  <rPh sb="0" eb="1"><t>x</t></rPh></is></c>
  <c r="C3" t="b"><v>1</v></c><c r="D3" t="e"><v>#N/A</v></c>
  <c r="E3" t="str"><f>A1</f><v>cached</v></c></row>
<row r="5"><c r="A5" s="1"><v>45000</v></c><c r="B5" s="2"><v>45000.5</v></c>
  <c r="C5" s="3"><v>1.25</v></c>
  <c r="D5"><v>1E3</v></c><c r="E5"><v>007</v></c><c r="F5" t="d"><v>2024-01-05T10:30:00</v></c>
  <c r="G5" s="1"><v>1e300</v></c><c r="H5" t="s"><v>3</v></c><c r="XFD5" s="1"/></row>
<row r="6" s="1" customFormat="1"/>
</sheetData><mergeCells count="1"><mergeCell ref="A9:B9"/></mergeCells></worksheet>""".encode()


@pytest.mark.parametrize("epoch", ["", '<workbookPr date1904="1"/>'])
def test_written_by_hand_as_openpyxl_reads_it(tmp_path: Path, epoch: str) -> None:
    """Rich and phonetic runs, inline strings, cells and rows without numbers, skipped
    rows, booleans, errors, cached formula values, date and duration styles, both epochs,
    ISO dates, and a declared dimension that is not believed."""
    path = tmp_path / "hand.xlsx"
    path.write_bytes(zip_bytes(workbook(SHEET, STRINGS, STYLES, book=epoch)))
    table = read_table(path)
    with pytest.warns(UserWarning, match="G5 is marked as a date but"):  # #VALUE!, as here
        assert our_rows(table) == openpyxl_rows(path)
    assert table.header == ["Zoë", "Ramírez ", "a_x000D_b", "", "", "", ""]  # to G5
    assert len(table.rows) == 4  # rows 3 to 6: a skipped row is a blank row
    assert table.rows[0][:2] == ["inline", ""]


def test_the_rows_are_all_read_whatever_dimension_the_sheet_declares() -> None:
    """openpyxl's read-only mode stops at the declared dimension's last row."""
    head = f'<worksheet xmlns="{MAIN}"><dimension ref="A1:A2"/><sheetData>'.encode()
    data = zip_bytes(workbook(head + cells("h") + cells("1") + cells("2") + SHEET_TAIL))
    assert list(read_xlsx(Path("-"), io.BytesIO(data)).rows) == [["1"], ["2"]]


def _refused(data: bytes, tmp_path: Path, match: str) -> TableError:
    path = tmp_path / "in.xlsx"
    path.write_bytes(data)
    with pytest.raises(TableError, match=match) as caught:
        read_table(path)
    return caught.value


def test_a_sheet_is_refused_past_each_limit(tmp_path: Path) -> None:
    def sheet(*rows: bytes) -> bytes:
        return zip_bytes(workbook(SHEET_HEAD + b"".join(rows) + SHEET_TAIL))

    header = cells("fullname", "company")
    long = "x" * (LIMITS.cell + 1)
    _refused(
        sheet(header, cells("Ada", long)),
        tmp_path,
        r"in.xlsx: row 2: a cell too long \(the limit is 32,768 characters\)$",
    )
    far = b'<row><c r="ALM2" t="inlineStr"><is><t>x</t></is></c></row>'
    _refused(
        sheet(header, far), tmp_path, r"cell ALM2: 1,001 columns \(the limit is 1,000 columns\)"
    )
    jump = f'<row r="{LIMITS.rows + 2}"/>'.encode()
    _refused(
        sheet(header, jump),
        tmp_path,
        r"row 1,000,002: too many rows \(the limit is 1,000,000 rows\)",
    )
    # an empty cell far away holds nothing: it is not a column
    path = tmp_path / "far.xlsx"
    path.write_bytes(sheet(header, b'<row><c r="XFD2" s="1"/></row>'))
    assert read_table(path).header == ["fullname", "company"]


def test_shared_strings_and_small_parts_are_refused_past_their_limits(tmp_path: Path) -> None:
    sheet = SHEET_HEAD + b'<row><c t="s"><v>0</v></c></row>' + SHEET_TAIL
    long = f'<sst xmlns="{MAIN}"><si><t>ok</t></si><si><t>{"x" * (LIMITS.cell + 1)}</t></si></sst>'
    _refused(
        zip_bytes(workbook(sheet, long.encode())),
        tmp_path,
        r"shared string 2 too long \(the limit is 32,768 characters\)",
    )
    styles = b'<styleSheet xmlns="' + MAIN.encode() + b'"/>'
    _refused(
        zip_bytes(workbook(sheet, STRINGS, styles), declared={"xl/styles.xml": 17 * 1024**2}),
        tmp_path,
        r"xl/styles.xml is 17,825,792 bytes uncompressed \(the limit is 16,777,216 bytes\)",
    )


@pytest.mark.parametrize(
    ("data", "why"),
    [
        (b"fullname,company\nAda,x\n", "File is not a zip file"),
        (zip_bytes({"a.txt": b"a"}), "no workbook part"),
        (
            zip_bytes(workbook(SHEET_HEAD + b'<row r="3"/><row r="2"/>' + SHEET_TAIL)),
            "row number 2 out of order",
        ),
        (
            zip_bytes(workbook(SHEET_HEAD + b'<row><c t="s"><v>9</v></c></row>' + SHEET_TAIL)),
            "list index out of range",
        ),
        (
            zip_bytes(
                workbook(
                    b'<!DOCTYPE x [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;">]>'
                    + SHEET_HEAD
                    + cells("&b;")
                    + SHEET_TAIL
                )
            ),
            "a DTD, which xlsx parts never have",
        ),
    ],
)
def test_what_is_not_an_xlsx_sheet_is_refused(tmp_path: Path, data: bytes, why: str) -> None:
    error = _refused(data, tmp_path, "not a readable xlsx workbook")
    assert why in str(error)


def test_from_the_standard_input() -> None:
    data = zip_bytes(workbook(SHEET_HEAD + cells("fullname") + cells("Ada") + SHEET_TAIL))
    table = read_xlsx(Path("-"), io.BytesIO(data))
    assert (table.header, list(table.rows)) == (["fullname"], [["Ada"]])


# -- bombs, read in a fresh process ------------------------------------------------------------


def test_a_part_built_of_repeats_says_the_size_and_crc_of_its_bytes() -> None:
    """A bomb's part is never built whole: one small enough to build inflates to the bytes
    its size and CRC-32 are of."""
    whole = b"head" + b"row, " * 5001 + b"tail"
    part = deflated(b"head", b"row, ", 5001, b"tail")
    assert zlib.decompress(part.data, -15) == whole
    assert (part.size, part.crc) == (len(whole), zlib.crc32(whole))


def test_a_zip_bombed_sheet_of_millions_of_rows(tmp_path: Path) -> None:
    """9 MB on disk, 3 million rows and 3 GB inflated: refused by its declared size; with
    a smaller size declared (5 MB: any size under the real one is a lie), zipfile stops
    there and the part fails its CRC."""
    row = cells("Jim Halpert " * 80)
    sheet = deflated(SHEET_HEAD + cells("fullname"), row * 1000, 3000, SHEET_TAIL)
    assert sheet.size > 3 * 1000**3
    path = tmp_path / "bomb.xlsx"
    path.write_bytes(zip_bytes(workbook(sheet)))
    assert path.stat().st_size < 12 * 1024**2
    message = refused_in_child(path)
    assert "xl/worksheets/sheet1.xml is 3," in message
    assert "bytes uncompressed (the limit is 1,073,741,824 bytes)" in message

    path.write_bytes(zip_bytes(workbook(sheet), declared={"xl/worksheets/sheet1.xml": 5_000_000}))
    message = refused_in_child(path)
    assert "not a readable xlsx workbook" in message


def test_a_sheet_of_too_many_rows(tmp_path: Path) -> None:
    sheet = deflated(SHEET_HEAD + cells("fullname"), b"<row/>" * 1000, 1001, SHEET_TAIL)
    path = tmp_path / "rows.xlsx"
    path.write_bytes(zip_bytes(workbook(sheet)))
    message = refused_in_child(path)
    assert message.endswith("row 1,000,002: too many rows (the limit is 1,000,000 rows)")


def test_one_huge_shared_string(tmp_path: Path) -> None:
    """2 MB on disk, one 2 GB shared string: refused by its declared size; and one of 600
    MB declared as such, refused once 32 KiB of it is read."""
    sheet = SHEET_HEAD + cells("fullname") + b'<row><c t="s"><v>0</v></c></row>' + SHEET_TAIL
    path = tmp_path / "string.xlsx"
    for count, said in (
        (2000, "xl/sharedStrings.xml is 2,"),
        (600, "shared string 1 too long (the limit is 32,768 characters)"),
    ):
        strings = deflated(
            f'<sst xmlns="{MAIN}"><si><t>'.encode(), b"x" * 10**6, count, b"</t></si></sst>"
        )
        path.write_bytes(zip_bytes(workbook(sheet, strings)))
        assert said in refused_in_child(path)


@pytest.mark.parametrize("zip64", [False, True])
def test_a_zip_directory_of_a_million_entries(tmp_path: Path, zip64: bool) -> None:
    """zipfile would make an object of each entry of the directory (425 MB here) before
    anything else; the directory's size is declared at the end, or in a ZIP64 record."""
    entry = struct.pack("<4s6H3L5H2L", b"PK\x01\x02", *[20, 20], *[0] * 7, 1, *[0] * 6) + b"a"
    directory = entry * 1_000_000
    size = len(directory)
    end = struct.pack("<4s4H2LH", b"PK\x05\x06", 0, 0, 0xFFFF, 0xFFFF, size, 0, 0)
    if zip64:
        record = struct.pack("<4sQ2H2L4Q", b"PK\x06\x06", 44, 45, 45, 0, 0, 1, 1, size, 0)
        locator = struct.pack("<4sLQL", b"PK\x06\x07", 0, size, 1)
        end = record + locator + end.replace(struct.pack("<L", size), b"\xff" * 4)
    path = tmp_path / "entries.xlsx"
    path.write_bytes(directory + end)
    message = refused_in_child(path)
    assert message.endswith("a zip directory of 47,000,000 bytes (the limit is 16,777,216 bytes)")


# -- which sheet, which header row -------------------------------------------------------------

CAMPAIGN = exports.EXPORTS / "campaign.xlsx"


def test_the_leads_on_a_second_sheet_under_merged_title_cells() -> None:
    """The first sheet names no known column: the second does, under two merged title
    rows and a blank one; both guesses are said."""
    table = read_table(CAMPAIGN)
    assert (table.sheet, table.header_row) == ("Leads", exports.XLSX_HEADER_ROW)
    assert table.header == exports.XLSX_HEADER
    assert [row[:1] for row in table.above] == [("Q3 Outbound \u2013 Leads",), ("Owner: Kim",), ()]
    assert [row[:4] for row in table.rows] == [
        [("" if cell is None else str(cell)) for cell in row[:4]] for row in exports.XLSX_ROWS
    ] + [["Total", "", "", ""]]
    assert table.rows[0][4:] == ["250", "2024-01-05 00:00:00"]
    assert describe_table(table) == (
        "table: sheet 'Leads' (guessed: sheet 2 of 2, the first whose first rows name known"
        " columns; --sheet NAME to choose), header on row 4 (guessed: the first of rows 1-10"
        " to name two known columns; rows 1-3 above it kept as titles; --header-row N to"
        " choose)"
    )


@pytest.mark.parametrize("sheet", ["Leads", "leads", "2", 2])
def test_a_sheet_chosen_by_name_or_number(sheet: str | int) -> None:
    table = read_table(CAMPAIGN, sheet=sheet, header_row=exports.XLSX_HEADER_ROW)
    assert (table.sheet, table.header, table.sheet_guess) == ("Leads", exports.XLSX_HEADER, "")


def test_the_first_sheet_when_asked_and_no_such_sheet() -> None:
    table = read_table(CAMPAIGN, sheet=1)
    assert (table.sheet, table.header) == ("Campaign summary", ["Campaign", "Sent", "Replies"])
    assert list(table.rows) == [["Q3 Outbound", "120", "14"]]
    with pytest.raises(TableError, match=r"--sheet 3: no such sheet \(the sheets: 'Campaign"):
        read_table(CAMPAIGN, sheet="3")


def test_a_workbook_on_the_standard_input_is_known_by_its_bytes() -> None:
    table = read_table(Path("-"), stdin=io.BytesIO(CAMPAIGN.read_bytes()))
    assert (table.sheet, table.header_row) == ("Leads", exports.XLSX_HEADER_ROW)
