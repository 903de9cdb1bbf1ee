"""A workbook written again with columns added: every other part as it was, the sheet's
own cells as they were (types, styles, formulas), the new cells where the table's rows are,
and the result read back by openpyxl (Excel's rules) and by this package's reader."""

from __future__ import annotations

import datetime
import io
import warnings
import zipfile
from pathlib import Path

import exports
import pytest
from bombs import MAIN, workbook, zip_bytes
from hypothesis import given, settings
from hypothesis import strategies as st

from enrow_async import TableError
from enrow_async.tables import Table, TableLimits, extend_workbook, read_table

openpyxl = pytest.importorskip("openpyxl")

STYLES = f"""<styleSheet xmlns="{MAIN}"><fonts count="1"><font/></fonts>
<fills count="1"><fill><patternFill/></fill></fills><borders count="1"><border/></borders>
<cellStyleXfs count="1"><xf numFmtId="0"/></cellStyleXfs>
<cellXfs count="2"><xf numFmtId="0"/><xf numFmtId="0"/></cellXfs>
<cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles>
</styleSheet>""".encode()


def extended(table: Table, header: list[str], rows: list[list[str]]) -> bytes:
    out = io.BytesIO()
    extend_workbook(table, header, rows, out)
    return out.getvalue()


def values(data: bytes, sheet: str | None = None) -> list[list[object]]:
    """The sheet's values as openpyxl reads them (no warning allowed)."""
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        book = openpyxl.load_workbook(io.BytesIO(data))
    found = book[sheet] if sheet else book.worksheets[0]
    return [list(row) for row in found.iter_rows(values_only=True)]


def test_the_campaign_workbook_keeps_every_other_part_byte_for_byte(tmp_path: Path) -> None:
    table = read_table(exports.EXPORTS / "campaign.xlsx")
    rows = [["a", "found"], ["", "not found"], ["c", "found"], ["", "skipped"]]
    data = extended(table, ["enrow_email", "enrow_status"], rows)
    with (
        zipfile.ZipFile(exports.EXPORTS / "campaign.xlsx") as source,
        zipfile.ZipFile(io.BytesIO(data)) as written,
    ):
        assert written.namelist() == source.namelist()
        changed = [n for n in source.namelist() if source.read(n) != written.read(n)]
    assert changed == ["xl/worksheets/sheet2.xml"]
    leads = values(data, "Leads")
    assert leads[3] == [*exports.XLSX_HEADER, "enrow_email", "enrow_status"]
    assert leads[4] == [*exports.XLSX_ROWS[0], "a", "found"]
    assert leads[5][-2:] == [None, "not found"]
    assert leads[7][0] == "Total"
    assert leads[7][4] == "=SUM(E5:E7)"
    assert values(data, "Campaign summary") == [
        ["Campaign", "Sent", "Replies"],
        ["Q3 Outbound", 120, 14],
    ]
    # and this package reads it back: the same table, with the columns added
    (tmp_path / "out.xlsx").write_bytes(data)
    again = read_table(tmp_path / "out.xlsx")
    assert (again.sheet, again.header_row) == ("Leads", 4)
    assert [row[6:] for row in again.rows] == rows


PREFIXED = f"""<x:worksheet xmlns:x="{MAIN}"><x:dimension ref="A1:B5"/><x:sheetData>
<x:row r="1" spans="1:2"><x:c r="A1" t="inlineStr"><x:is><x:t>fullname</x:t></x:is></x:c>
<x:c r="B1" t="inlineStr"><x:is><x:t>company</x:t></x:is></x:c><x:c r="C1" s="1"/>
<x:c r="XFD1" s="1"/></x:row>
<x:row spans="1:2"><x:c t="inlineStr"><x:is><x:t>Jim &amp; co</x:t></x:is></x:c>
<x:c><x:v>42</x:v></x:c></x:row>
<x:row r="4" spans="1:2"/>
<x:row r="5"><x:c r="A5"><x:f>1+1</x:f><x:v>2</x:v></x:c><x:c r="B5"><x:v>3.5</x:v></x:c></x:row>
</x:sheetData><x:rowBreaks count="1"><x:brk id="3"/></x:rowBreaks></x:worksheet>""".encode()


def test_a_hand_written_sheet_prefixes_gaps_and_cells_that_hold_only_a_style(
    tmp_path: Path,
) -> None:
    """A namespace prefix, rows and cells without numbers, a row the sheet skips (3), a
    self-closing row (4), a style-only cell where the new column goes (C1, given way) and
    one far away (XFD1, kept after the new cells), text that needs escaping."""
    path = tmp_path / "hand.xlsx"
    path.write_bytes(zip_bytes(workbook(PREFIXED, styles=STYLES)))
    table = read_table(path)
    assert table.header == ["fullname", "company"]
    assert len(table.rows) == 4
    rows = [["<a & b>", " x "], ["blank", "row"], ["self", "closing"], ["=1+1", ""]]
    data = extended(table, ["new", "other"], rows)
    with zipfile.ZipFile(io.BytesIO(data)) as written:
        sheet = written.read("xl/worksheets/sheet1.xml")
    assert b'<x:dimension ref="A1:D5"/>' in sheet
    assert b"spans" not in sheet.split(b'<x:row r="5"')[0].split(b"</x:row>", 1)[1]
    assert b'<x:c r="XFD1" s="1"/>' in sheet
    assert b'r="C1" s="1"' not in sheet
    assert sheet.index(b'r="D1"') < sheet.index(b'r="XFD1"')
    assert b"<x:rowBreaks" in sheet
    got = values(data)
    assert got[0][:4] == ["fullname", "company", "new", "other"]
    assert got[1][:4] == ["Jim & co", 42, "<a & b>", " x "]
    assert got[2][:4] == [None, None, "blank", "row"]
    assert got[3][:4] == [None, None, "self", "closing"]
    assert got[4][:4] == ["=1+1", 3.5, "=1+1", None]  # the formula stays one; the text, text
    with zipfile.ZipFile(io.BytesIO(data)) as written:
        assert written.read("xl/worksheets/sheet1.xml").count(b"<x:f>") == 1


@settings(max_examples=25, deadline=None)
@given(
    rows=st.lists(
        st.lists(
            st.one_of(
                st.none(),
                st.text("ab <&>\"'", min_size=1, max_size=4),
                st.integers(-1000, 1000),
                st.floats(allow_nan=False, allow_infinity=False, width=32),
                st.booleans(),
                st.datetimes(datetime.datetime(1990, 1, 1), datetime.datetime(2030, 1, 1)),
            ),
            max_size=4,
        ),
        max_size=8,
    ),
    titles=st.integers(0, 2),
    added=st.lists(st.text("xy &<", max_size=3), min_size=1, max_size=3),
)
def test_every_cell_is_kept_and_every_new_cell_is_where_its_row_is(
    tmp_path_factory: pytest.TempPathFactory,
    rows: list[list[object]],
    titles: int,
    added: list[str],
) -> None:
    book = openpyxl.Workbook()
    sheet = book.active
    for number in range(1, titles + 1):
        sheet.cell(number, 1, f"Title {number}")
    header = titles + 1
    sheet.cell(header, 1, "fullname")
    sheet.cell(header, 2, "company")
    for number, row in enumerate(rows, start=header + 1):
        for column, value in enumerate(row, start=1):
            sheet.cell(number, column, value)
    book.create_sheet("Other")["A1"] = "kept"
    path = tmp_path_factory.mktemp("xlsx") / "in.xlsx"
    book.save(path)
    table = read_table(path, header_row=header)
    width = len(table.header)
    new = [[f"{cell}{i}" for cell in added] for i in range(len(table.rows))]
    data = extended(table, [f"h{i}" for i in range(len(added))], new)
    span = width + len(added)

    def padded(found: list[list[object]], count: int) -> list[list[object]]:
        rows = [(row + [None] * span)[:span] for row in found]
        return rows + [[None] * span] * (count - len(rows))

    count = max(len(values(path.read_bytes())), header + len(table.rows))
    before = padded(values(path.read_bytes()), count)
    after = padded(values(data), count)
    assert len(after) == count
    for number, (old, row) in enumerate(zip(before, after, strict=True), start=1):
        assert row[:width] == old[:width]  # the sheet's own cells, types and all
        if number == header:
            assert row[width:] == [f"h{i}" for i in range(len(added))]
        elif number > header:
            assert row[width:] == [cell or None for cell in new[number - header - 1]]
        else:
            assert row[width:] == [None] * len(added)
    assert values(data, "Other") == [["kept"]]


def test_a_workbook_that_is_not_one_any_more_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "in.xlsx"
    path.write_bytes((exports.EXPORTS / "campaign.xlsx").read_bytes())
    table = read_table(path)
    path.write_bytes(b"not a zip")
    with pytest.raises(TableError, match="cannot read the workbook again"):
        extend_workbook(table, ["x"], [], io.BytesIO())
    path.write_bytes((exports.EXPORTS / "campaign.xlsx").read_bytes())
    with pytest.raises(TableError, match=r"its parts are [\d,]+ bytes uncompressed"):
        extend_workbook(table, ["x"], [], io.BytesIO(), TableLimits(size=100))
    csv_table = Table(Path("in.csv"), ["a"], [])
    with pytest.raises(TableError, match="not a table read from an xlsx workbook"):
        extend_workbook(csv_table, ["x"], [], io.BytesIO())
