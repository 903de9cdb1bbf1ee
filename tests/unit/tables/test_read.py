"""Tables in: CSV read in its own dialect, encodings by BOM or by name, blank lines kept,
and a file over a limit refused before memory grows (the bombs are read in a fresh process
whose peak memory is measured)."""

from __future__ import annotations

import codecs
import csv
import io
import subprocess
import sys
from pathlib import Path

import exports
import pytest
from bombs import refused_in_child
from hypothesis import given, settings
from hypothesis import strategies as st

from enrow_async import TableError
from enrow_async.tables import (
    TableLimits,
    describe,
    describe_table,
    find_columns,
    parse_table,
    read_table,
    read_text,
)


def test_short_rows_are_padded(tmp_path: Path) -> None:
    (tmp_path / "in.csv").write_text("a,b\n1\n1,2,3\n")
    table = read_table(tmp_path / "in.csv")
    assert table.header == ["a", "b", ""]
    assert table.rows == [["1", "", ""], ["1", "2", "3"]]


CELL = st.text(
    alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"),
    max_size=12,
)


@settings(max_examples=200)
@given(st.text(alphabet='ab,"\r\n\x0b\x1c\u2028', min_size=1, max_size=40))
def test_rows_are_what_csv_reader_makes_of_the_text(text: str) -> None:
    """Lines end where ``io.StringIO(text, newline="")`` ends them (CR, LF, CRLF; not the
    other breaks ``str.splitlines`` knows), whatever the quoting."""
    try:
        expected = list(csv.reader(io.StringIO(text.lstrip("\r\n"), newline="")))
    except csv.Error:
        with pytest.raises(TableError, match="not a readable CSV file"):
            parse_table(Path("in.csv"), text, False)
        return
    if not expected or not any(expected[0]):
        with pytest.raises(TableError, match="the file is empty"):
            parse_table(Path("in.csv"), text, False)
        return
    table = parse_table(Path("in.csv"), text, False)
    width = len(table.header)
    assert [row + [""] * (width - len(row)) for row in expected[1:]] == list(table.rows)


@settings(max_examples=40, deadline=None)
@given(
    cells=st.lists(
        st.text(alphabet="abcéèçàüöß€ Œœ\u2018\u2019\u201c\u201d\u2013", min_size=1, max_size=8),
        min_size=2,
        max_size=2,
    ),
    encoding=st.sampled_from(["utf-16-le", "utf-16-be", "utf-8", "cp1252"]),
)
def test_encodings_by_bom_or_by_option(cells: list[str], encoding: str) -> None:
    text = f"fullname,notes\r\n{cells[0]},{cells[1]}\r\n"
    boms = {
        "utf-16-le": codecs.BOM_UTF16_LE,
        "utf-16-be": codecs.BOM_UTF16_BE,
        "utf-8": codecs.BOM_UTF8,
    }
    raw = boms.get(encoding, b"") + text.encode(encoding)
    chosen = "cp1252" if encoding == "cp1252" else None
    read, bom = read_text(Path("-"), chosen, io.BytesIO(raw))
    assert read == text
    assert bom  # written back as UTF-8 with a BOM, which Excel reads


def test_non_utf8_input_suggests_cp1252() -> None:
    raw = "fullname,company\r\nZoë,Société\r\n".encode("cp1252")
    with pytest.raises(TableError, match=r"not UTF-8 text .*try --encoding cp1252"):
        read_text(Path("-"), None, io.BytesIO(raw))


def test_blank_lines_stay_rows_in_place(tmp_path: Path) -> None:
    (tmp_path / "in.csv").write_bytes(b"\nfullname,company\n\nAda,x\n\n\nJim,y\n")
    table = read_table(tmp_path / "in.csv")
    assert table.header == ["fullname", "company"]
    assert table.rows == [["", ""], ["Ada", "x"], ["", ""], ["", ""], ["Jim", "y"]]


SMALL = TableLimits(rows=3, columns=4, cell=10, row=40, size=200)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("a,b\n1,2\n1,2\n\n1,2\n", r"line 5: too many rows \(the limit is 3 rows\)"),
        ("a,b\n1,2,3,4,5\n", r"line 2: 5 columns \(the limit is 4 columns\)"),
        ("a;b\n12345678901;x\n", r"line 2: a cell too long \(the limit is 10 characters\)"),
        (
            'a,b\n"' + "x\n" * 30 + '",y\n',
            r"line 21: a row too long \(the limit is 40 characters\)",
        ),
        ("a," * 30 + "\n", r"line 1: a row too long \(the limit is 40 characters\)"),
    ],
)
def test_a_table_is_refused_past_each_limit(text: str, message: str) -> None:
    field_size_limit = csv.field_size_limit()
    with pytest.raises(TableError, match=f"^in.csv: {message}$"):
        parse_table(Path("in.csv"), text, False, SMALL)
    assert csv.field_size_limit() == field_size_limit  # the process's limit is left alone


def test_within_the_limits_a_table_is_read() -> None:
    text = "a,b,c,d\n" + "1234567890,,,\n" * 3
    table = parse_table(Path("in.csv"), text, False, SMALL)
    assert table.rows == [["1234567890", "", "", ""]] * 3


def test_a_file_or_input_over_the_size_limit(tmp_path: Path) -> None:
    (tmp_path / "in.csv").write_bytes(b"a\n" + b"x" * 199)
    with pytest.raises(TableError, match=r"in.csv: 201 bytes \(the limit is 200 bytes\)$"):
        read_text(tmp_path / "in.csv", limits=SMALL)
    with pytest.raises(TableError, match=r"^-: too many bytes \(the limit is 200 bytes\)$"):
        read_text(Path("-"), stdin=io.BytesIO(b"x" * 201), limits=SMALL)
    assert read_text(Path("-"), stdin=io.BytesIO(b"x" * 200), limits=SMALL) == ("x" * 200, False)


def test_a_million_and_one_rows(tmp_path: Path) -> None:
    (tmp_path / "in.csv").write_bytes(b"fullname\n" + b"\n" * 1_000_001)
    with pytest.raises(TableError, match=r"line 1,000,002: too many rows \(the limit is 1,000,000"):
        read_table(tmp_path / "in.csv")


# -- bombs, read in a fresh process ------------------------------------------------------------


def test_one_giant_field(tmp_path: Path) -> None:
    """2 GiB (a sparse file): refused by its size before a byte is read; 50 MB: refused
    once 128 KiB of its row is read, before the csv module holds the field."""
    path = tmp_path / "field.csv"
    with path.open("wb") as stream:
        stream.write(b'fullname,notes\nAda,"')
        stream.seek(2 * 1024**3)
        stream.write(b'"\n')
    message = refused_in_child(path)
    assert message == f"{path}: 2,147,483,650 bytes (the limit is 1,073,741,824 bytes)"

    path.write_bytes(b'fullname,notes\nAda,"' + b"x" * 50_000_000 + b'"\n')
    message = refused_in_child(path)
    assert message == f"{path}: line 2: a row too long (the limit is 131,072 characters)"


def test_millions_of_columns(tmp_path: Path) -> None:
    path = tmp_path / "columns.csv"
    path.write_bytes(b"fullname" + b"," * 3_000_000 + b"\nAda\n")
    message = refused_in_child(path)
    assert message == f"{path}: line 1: a row too long (the limit is 131,072 characters)"


# -- layouts: sep= lines, title rows above the header, old workbooks -------------------------


@pytest.mark.parametrize("name", sorted(exports.FILES))
def test_the_export_fixtures_are_what_their_code_makes(name: str) -> None:
    """``python tests/unit/tables/exports.py`` writes them again, byte for byte."""
    assert (exports.EXPORTS / name).read_bytes() == exports.FILES[name]()


def test_excel_sep_line_cp1252_german_headers() -> None:
    table = read_table(exports.EXPORTS / "excel_sep_de.csv", "cp1252")
    assert (table.delimiter, table.sep, table.header_row) == (";", True, 1)
    assert table.header == exports.EXCEL_DE[0]
    assert list(table.rows) == exports.EXCEL_DE[1:]
    assert describe_table(table) == "table: delimiter ';' from its sep= line, header on row 1"
    columns = find_columns(table)
    assert describe(table, columns)[0] == (
        "columns: name <- 'Vorname' + 'Nachname'; domain <- 'Webseite'; company <- 'Firma'"
    )
    assert table.header[columns.email or 0] == "E-Mail"


def test_a_report_with_title_rows_above_its_header() -> None:
    table = read_table(exports.EXPORTS / "sheets_report.csv")
    assert table.header == exports.SHEETS_HEADER
    assert table.header_row == 3
    assert [row[0] for row in table.above] == [
        "Q3 Outbound \u2013 Target Accounts",
        "Owner: Kim · updated 2024-07-01",
    ]
    assert list(table.rows) == exports.SHEETS_ROWS
    assert describe_table(table) == (
        "table: header on row 3 (guessed: the first of rows 1-10 to name two known columns;"
        " rows 1-2 above it kept as titles; --header-row N to choose)"
    )
    # said outright: no guess
    said = read_table(exports.EXPORTS / "sheets_report.csv", header_row=3)
    assert (said.header, said.header_guess, list(said.rows)) == (table.header, "", list(table.rows))
    # a header row named wrongly is taken as said: the columns then say what is missing
    second = read_table(exports.EXPORTS / "sheets_report.csv", header_row=2)
    assert second.header[0] == "Owner: Kim · updated 2024-07-01"
    with pytest.raises(TableError, match="missing column"):
        find_columns(second)


@pytest.mark.parametrize(
    ("text", "header_row", "header", "rows"),
    [
        # the first row names known columns: it is the header, whatever follows
        ("name,company\nfullname,company_domain\n", None, ["name", "company"], 1),
        # none of the first rows names two known columns: the first is the header
        ("Report\nwho,org\nJim,dm\n", None, ["Report", ""], 2),
        # a title without delimiters: the header line's delimiter is found
        (
            "Leads of the week\nName;Company;Website\nJim;DM;dm.com\n",
            None,
            ["Name", "Company", "Website"],
            1,
        ),
        # blank lines on top are counted: row 3 is the third line
        ("\n\nwho;org\nJim;dm\n", 3, ["who", "org"], 1),
        # a title row beyond the ten rows looked at is not guessed
        ("t\n" * 10 + "name,company\nJim,dm\n", None, ["t", ""], 11),
        # "sep=" in any case, quoted, as some tools write it
        ('"SEP=|"\r\nname|company\r\nJim|dm\r\n', None, ["name", "company"], 1),
    ],
)
def test_the_header_row_found_or_said(
    text: str, header_row: int | None, header: list[str], rows: int
) -> None:
    table = parse_table(Path("in.csv"), text, False, header_row=header_row)
    assert table.header == header
    assert len(table.rows) == len(list(table.rows)) == rows


@pytest.mark.parametrize(
    ("header_row", "message"),
    [(5, "--header-row 5: the table ends before it"), (2, "--header-row 2: that row is empty")],
)
def test_a_header_row_that_cannot_be_one_is_refused(header_row: int, message: str) -> None:
    with pytest.raises(TableError, match=f"^in.csv: {message}$"):
        parse_table(Path("in.csv"), "a,b\n\n1,2\n", False, header_row=header_row)


def test_an_old_excel_workbook_is_named_as_such(tmp_path: Path) -> None:
    """An .xls is an OLE2 compound file: the hint is to save it again, not an encoding."""
    path = tmp_path / "leads.xls"
    path.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(500))
    for read in (lambda: read_table(path), lambda: read_text(path)):
        with pytest.raises(TableError) as caught:
            read()
        assert "an old Excel workbook (.xls" in str(caught.value)
        assert "save it as .xlsx or as CSV" in str(caught.value)
        assert "--encoding" not in str(caught.value)


def test_sheet_is_refused_for_a_csv_file(tmp_path: Path) -> None:
    (tmp_path / "in.csv").write_text("name,company\n")
    with pytest.raises(TableError, match="--sheet Leads: a CSV file has no sheets"):
        read_table(tmp_path / "in.csv", sheet="Leads")


def test_the_package_imports_without_openpyxl() -> None:
    """openpyxl is the xlsx extra: ``import enrow_async`` (and its tables) must not need it."""
    code = (
        "import sys; sys.modules['openpyxl'] = None\n"
        "import enrow_async, enrow_async.tables, enrow_async.lists\n"
        "print('ok')"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False)
    assert done.stdout.strip() == "ok", done.stderr
