"""CSV files in and out: the dialect is kept, ``-`` is the standard output, bad paths fail
early with exit status 2, and a file over a limit is refused before memory grows (the bombs
are read in a fresh process whose peak memory is measured)."""

from __future__ import annotations

import codecs
import csv
import io
import sys
from pathlib import Path

import pytest
from bombs import read_in_child
from hypothesis import given, settings
from hypothesis import strategies as st

from enrow_async.cli.csvio import (
    FORMULA_STARTS,
    check_writable,
    neutralise,
    output_format,
    parse_table,
    read_table,
    read_text,
    same_file,
    write_bytes,
    write_rows,
    write_xlsx,
)
from enrow_async.cli.errors import CliError
from enrow_async.cli.limits import TableLimits


@pytest.mark.parametrize(
    ("raw", "delimiter", "ending"),
    [
        (b"a,b\r\n1,2\r\n", ",", "\r\n"),
        (b"a;b\n1;2\n", ";", "\n"),
        (b"a\tb\n1\t2\n", "\t", "\n"),
        (b"a|b\n1|2\n", "|", "\n"),
    ],
)
def test_the_dialect_is_read_and_written_back(
    tmp_path: Path, raw: bytes, delimiter: str, ending: str
) -> None:
    for bom in (b"", codecs.BOM_UTF8):
        (tmp_path / "in.csv").write_bytes(bom + raw)
        table = read_table(tmp_path / "in.csv")
        assert (table.delimiter, table.lineterminator, table.bom) == (delimiter, ending, bool(bom))
        assert table.header == ["a", "b"]
        assert table.rows == [["1", "2"]]
        write_rows(tmp_path / "out.csv", table.header, table.rows, stdout=io.StringIO(), like=table)
        assert (tmp_path / "out.csv").read_bytes() == bom + raw
        assert not list(tmp_path.glob(".*.partial"))


def test_short_rows_are_padded(tmp_path: Path) -> None:
    (tmp_path / "in.csv").write_text("a,b\n1\n1,2,3\n")
    table = read_table(tmp_path / "in.csv")
    assert table.header == ["a", "b", ""]
    assert table.rows == [["1", "", ""], ["1", "2", "3"]]


def test_a_dash_writes_to_the_standard_output() -> None:
    raw = io.BytesIO()
    out = io.TextIOWrapper(raw, encoding="utf-8", newline="")
    write_rows(Path("-"), ["a", "b"], [["1", "2,3"]], stdout=out)
    write_bytes(Path("-"), b'{"x":"\xc3\xa9"}\n', stdout=out)
    assert raw.getvalue() == b'a,b\n1,"2,3"\n{"x":"\xc3\xa9"}\n'


def test_outputs_that_cannot_be_written_are_refused_early(tmp_path: Path) -> None:
    check_writable(Path("-"))
    check_writable(tmp_path / "new.csv")
    for path, message in (
        (tmp_path, "is a directory"),
        (tmp_path / "missing" / "out.csv", "does not exist"),
    ):
        with pytest.raises(CliError, match=message) as caught:
            check_writable(path)
        assert caught.value.code == 2
    (tmp_path / "in.csv").write_text("a\n")
    same_file(tmp_path / "in.csv", Path("-"))
    with pytest.raises(CliError, match="would replace the input"):
        same_file(tmp_path / "in.csv", tmp_path / "." / "in.csv")


CELL = st.text(
    alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"),
    max_size=12,
)


@settings(max_examples=60, deadline=None)
@given(
    rows=st.lists(st.lists(CELL, min_size=3, max_size=3), min_size=1, max_size=6),
    delimiter=st.sampled_from([",", ";", "\t"]),
    bom=st.booleans(),
)
def test_input_cells_round_trip_unchanged(rows: list[list[str]], delimiter: str, bom: bool) -> None:
    """Whatever the cells (quotes, newlines, formulas, any script), what is written back is
    what was read: input cells are never neutralised or altered."""
    header = ["fullname", "company", "notes"]
    text = io.StringIO(newline="")
    csv.writer(text, delimiter=delimiter, lineterminator="\r\n").writerows([header, *rows])
    table = parse_table(Path("in.csv"), text.getvalue(), bom)
    assert table.delimiter == delimiter
    out = io.StringIO(newline="")
    write_rows(Path("-"), table.header, table.rows, stdout=out, like=table)
    again = parse_table(Path("out.csv"), out.getvalue(), bom)
    assert again.header == header
    assert again.rows == table.rows
    # a row of empty cells is written as delimiters only; any other row is kept whole
    assert [row for row in table.rows if any(row)] == [row for row in rows if any(row)]


@settings(max_examples=200)
@given(st.text(alphabet='ab,"\r\n\x0b\x1c\u2028', min_size=1, max_size=40))
def test_rows_are_what_csv_reader_makes_of_the_text(text: str) -> None:
    """Lines end where ``io.StringIO(text, newline="")`` ends them (CR, LF, CRLF; not the
    other breaks ``str.splitlines`` knows), whatever the quoting."""
    try:
        expected = list(csv.reader(io.StringIO(text.lstrip("\r\n"), newline="")))
    except csv.Error:
        with pytest.raises(CliError, match="not a readable CSV file"):
            parse_table(Path("in.csv"), text, False)
        return
    if not expected or not any(expected[0]):
        with pytest.raises(CliError, match="the file is empty"):
            parse_table(Path("in.csv"), text, False)
        return
    table = parse_table(Path("in.csv"), text, False)
    width = len(table.header)
    assert [row + [""] * (width - len(row)) for row in expected[1:]] == list(table.rows)


@given(st.text(max_size=20))
def test_neutralise(cell: str) -> None:
    safe = neutralise(cell)
    assert not safe.startswith(FORMULA_STARTS)
    assert safe == cell or (safe == "'" + cell and cell.startswith(FORMULA_STARTS))


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
    with pytest.raises(CliError, match=r"not UTF-8 text .*try --encoding cp1252") as caught:
        read_text(Path("-"), None, io.BytesIO(raw))
    assert caught.value.code == 2


def test_blank_lines_stay_rows_in_place(tmp_path: Path) -> None:
    (tmp_path / "in.csv").write_bytes(b"\nfullname,company\n\nAda,x\n\n\nJim,y\n")
    table = read_table(tmp_path / "in.csv")
    assert table.header == ["fullname", "company"]
    assert table.rows == [["", ""], ["Ada", "x"], ["", ""], ["", ""], ["Jim", "y"]]


def test_xlsx_needs_its_extra_or_reads_and_writes(tmp_path: Path) -> None:
    pytest.importorskip("openpyxl")
    write_xlsx(
        tmp_path / "t.xlsx",
        ["fullname", "notes"],
        [["Ada", "=1+1"], ["", ""]],
        stdout=io.StringIO(),
    )
    table = read_table(tmp_path / "t.xlsx")
    assert table.header == ["fullname", "notes"]
    assert table.rows == [["Ada", "=1+1"], ["", ""]]  # a string, never a formula


def test_output_format_from_the_suffix() -> None:
    assert output_format(Path("a.xlsx"), None) == "xlsx"
    assert output_format(Path("a.JSONL"), None) == "jsonl"
    assert output_format(Path("-"), None) == "csv"
    assert output_format(Path("a.xlsx"), "csv") == "csv"


def test_without_openpyxl_the_error_names_the_extra(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "openpyxl", None)  # what a missing package looks like
    (tmp_path / "in.xlsx").write_bytes(b"PK")
    with pytest.raises(
        CliError, match=r"need openpyxl \(the xlsx extra\): pip install openpyxl"
    ) as caught:
        read_table(tmp_path / "in.xlsx")
    assert caught.value.code == 2
    with pytest.raises(CliError, match=r"pip install openpyxl"):
        write_xlsx(tmp_path / "out.xlsx", ["a"], [["b"]], stdout=io.StringIO())
    assert not (tmp_path / "out.xlsx").exists()


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
    with pytest.raises(CliError, match=f"^in.csv: {message}$") as caught:
        parse_table(Path("in.csv"), text, False, SMALL)
    assert caught.value.code == 2
    assert csv.field_size_limit() == field_size_limit  # the process's limit is left alone


def test_within_the_limits_a_table_is_read() -> None:
    text = "a,b,c,d\n" + "1234567890,,,\n" * 3
    table = parse_table(Path("in.csv"), text, False, SMALL)
    assert table.rows == [["1234567890", "", "", ""]] * 3


def test_a_file_or_input_over_the_size_limit(tmp_path: Path) -> None:
    (tmp_path / "in.csv").write_bytes(b"a\n" + b"x" * 199)
    with pytest.raises(CliError, match=r"in.csv: 201 bytes \(the limit is 200 bytes\)$"):
        read_text(tmp_path / "in.csv", limits=SMALL)
    with pytest.raises(CliError, match=r"^-: too many bytes \(the limit is 200 bytes\)$"):
        read_text(Path("-"), stdin=io.BytesIO(b"x" * 201), limits=SMALL)
    assert read_text(Path("-"), stdin=io.BytesIO(b"x" * 200), limits=SMALL) == ("x" * 200, False)


def test_a_million_and_one_rows(tmp_path: Path) -> None:
    (tmp_path / "in.csv").write_bytes(b"fullname\n" + b"\n" * 1_000_001)
    with pytest.raises(CliError, match=r"line 1,000,002: too many rows \(the limit is 1,000,000"):
        read_table(tmp_path / "in.csv")


# -- bombs, read in a fresh process ------------------------------------------------------------

PEAK = 300 * 1024 * 1024
"""The most a process refusing a bomb may hold at its peak."""


def test_one_giant_field(tmp_path: Path) -> None:
    """2 GiB (a sparse file): refused by its size before a byte is read; 50 MB: refused
    once 128 KiB of its row is read, before the csv module holds the field."""
    path = tmp_path / "field.csv"
    with path.open("wb") as stream:
        stream.write(b'fullname,notes\nAda,"')
        stream.seek(2 * 1024**3)
        stream.write(b'"\n')
    read = read_in_child(path)
    assert (read.code, read.message) == (
        2,
        f"{path}: 2,147,483,650 bytes (the limit is 1,073,741,824 bytes)",
    )
    assert read.peak < PEAK

    path.write_bytes(b'fullname,notes\nAda,"' + b"x" * 50_000_000 + b'"\n')
    read = read_in_child(path)
    assert (read.code, read.message) == (
        2,
        f"{path}: line 2: a row too long (the limit is 131,072 characters)",
    )
    assert read.peak < PEAK


def test_millions_of_columns(tmp_path: Path) -> None:
    path = tmp_path / "columns.csv"
    path.write_bytes(b"fullname" + b"," * 3_000_000 + b"\nAda\n")
    read = read_in_child(path)
    assert (read.code, read.message) == (
        2,
        f"{path}: line 1: a row too long (the limit is 131,072 characters)",
    )
    assert read.peak < PEAK
