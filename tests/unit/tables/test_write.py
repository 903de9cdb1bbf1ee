"""Tables out: the dialect of the input is kept, ``-`` is the standard output, bad output
paths are refused early (TableError), and cells from API data are neutralised."""

from __future__ import annotations

import codecs
import csv
import io
import sys
from pathlib import Path

import exports
import orjson
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from enrow_async import (
    BatchStats,
    BatchStatus,
    BulkResults,
    EmailResult,
    Qualification,
    TableError,
)
from enrow_async.tables import (
    FORMULA_STARTS,
    RESULT_COLUMNS,
    Table,
    check_new,
    check_writable,
    neutralise,
    output_format,
    parse_table,
    read_table,
    same_file,
    write_bytes,
    write_results,
    write_rows,
    write_table,
)

CELL = st.text(
    alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"),
    max_size=12,
)


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
        with pytest.raises(TableError, match=message):
            check_writable(path)
    (tmp_path / "in.csv").write_text("a\n")
    same_file(tmp_path / "in.csv", Path("-"))
    with pytest.raises(TableError, match="would replace the input"):
        same_file(tmp_path / "in.csv", tmp_path / "." / "in.csv")


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


@given(st.text(max_size=20))
def test_neutralise(cell: str) -> None:
    safe = neutralise(cell)
    assert not safe.startswith(FORMULA_STARTS)
    assert safe == cell or (safe == "'" + cell and cell.startswith(FORMULA_STARTS))


def test_a_csv_table_as_xlsx_is_a_sheet_of_text(tmp_path: Path) -> None:
    pytest.importorskip("openpyxl")
    table = Table(Path("in.csv"), ["fullname"], [["Ada"], [""]])
    header = ["fullname", "notes"]
    note = write_table(tmp_path / "t.xlsx", table, header, [["=1+1"], [""]], format="xlsx")
    assert note is None
    again = read_table(tmp_path / "t.xlsx")
    assert again.header == header
    assert again.rows == [["Ada", "'=1+1"], ["", ""]]  # a string, never a formula


def test_a_workbook_that_changed_is_written_as_a_sheet_of_text(tmp_path: Path) -> None:
    """The xlsx input cannot be read again (gone since it was read): the results first, as
    a sheet of text, and a note saying so."""
    pytest.importorskip("openpyxl")
    table = Table(tmp_path / "gone.xlsx", ["fullname"], [["Ada"]], sheet="Leads")
    header = ["fullname", "enrow_email"]
    note = write_table(tmp_path / "out.xlsx", table, header, [["ada@x.io"]], format="xlsx")
    assert note is not None
    assert note.startswith(f"{tmp_path / 'gone.xlsx'}: cannot read the workbook again")
    assert note.endswith("; written as a sheet of text instead")
    assert read_table(tmp_path / "out.xlsx").rows == [["Ada", "ada@x.io"]]


def test_output_format_from_the_suffix() -> None:
    assert output_format(Path("a.xlsx"), None) == "xlsx"
    assert output_format(Path("a.JSONL"), None) == "jsonl"
    assert output_format(Path("a.json"), None) == "json"
    assert output_format(Path("-"), None) == "csv"
    assert output_format(Path("a.xlsx"), "csv") == "csv"


def test_without_openpyxl_the_error_names_the_extra(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "openpyxl", None)  # what a missing package looks like
    (tmp_path / "in.xlsx").write_bytes(b"PK")
    with pytest.raises(TableError, match=r"need openpyxl \(the xlsx extra\): pip install openpyxl"):
        read_table(tmp_path / "in.xlsx")
    with pytest.raises(TableError, match=r"pip install openpyxl"):
        write_table(
            tmp_path / "out.xlsx", Table(Path("in.csv"), ["a"], [[]]), ["a"], [["b"]], format="xlsx"
        )
    assert not (tmp_path / "out.xlsx").exists()


@pytest.mark.parametrize(
    ("name", "encoding"), [("sheets_report.csv", None), ("excel_sep_de.csv", "cp1252")]
)
def test_title_rows_and_the_sep_line_are_written_back(
    tmp_path: Path, name: str, encoding: str | None
) -> None:
    """The output is the input with columns added: its title rows above the header and
    its ``sep=`` line stay (a cp1252 input is written in UTF-8, with a BOM)."""
    table = read_table(exports.EXPORTS / name, encoding)
    write_rows(tmp_path / "out.csv", table.header, table.rows, stdout=io.StringIO(), like=table)
    written = (tmp_path / "out.csv").read_bytes()
    source = (exports.EXPORTS / name).read_bytes()
    if encoding is not None:
        source = codecs.BOM_UTF8 + source.decode(encoding).encode()
    assert written == source


def test_an_existing_output_is_kept_unless_asked(tmp_path: Path) -> None:
    path = tmp_path / "out.csv"
    check_new(path, force=False, resuming=False)  # no file yet
    path.write_text("paid for\n")
    with pytest.raises(TableError, match=r"already exists .* --force to replace it"):
        check_new(path, force=False, resuming=False)
    check_new(path, force=True, resuming=False)
    check_new(path, force=False, resuming=True)
    check_new(Path("-"), force=False, resuming=False)


def test_json_is_one_array_and_json_lines_one_object_a_line() -> None:
    raw = io.BytesIO()
    out = io.TextIOWrapper(raw, encoding="utf-8", newline="")
    table = Table(Path("in.csv"), ["a"], [["=1"], [""]])
    write_table(Path("-"), table, ["a", "b"], [["=2"], [""]], format="json", stdout=out)
    assert raw.getvalue() == b'[\n{"a":"=1","b":"=2"},\n{"a":"","b":""}\n]\n'  # raw
    write_table(Path("-"), Table(Path("in.csv"), ["a"], []), ["a"], [], format="json", stdout=out)
    assert raw.getvalue().endswith(b"[\n]\n")
    lines = io.BytesIO()
    out = io.TextIOWrapper(lines, encoding="utf-8", newline="")
    write_table(Path("-"), table, ["a", "b"], [["=2"], [""]], format="jsonl", stdout=out)
    assert lines.getvalue() == b'{"a":"=1","b":"=2"}\n{"a":"","b":""}\n'


def test_results_are_a_row_each_or_the_batches_themselves() -> None:
    found = EmailResult(
        0, Qualification.VALID, "=x@y.io", raw_params={"fullname": "Ada"}, custom="c1"
    )
    batch = BulkResults("b1", BatchStatus.COMPLETED, BatchStats(1, 1, 1), (found,))

    def written(format: str) -> bytes:
        raw = io.BytesIO()
        out = io.TextIOWrapper(raw, encoding="utf-8", newline="", write_through=True)
        assert write_results(Path("-"), [batch], format=format, stdout=out) == 1
        return raw.getvalue()

    rows = list(csv.reader(io.StringIO(written("csv").decode())))
    assert rows[0] == list(RESULT_COLUMNS)
    assert rows[1][:6] == ["b1", "0", "Ada", "", "", "c1"]
    assert rows[1][6:8] == ["'=x@y.io", "valid"]  # neutralised in CSV
    assert orjson.loads(written("jsonl"))["email"] == "=x@y.io"  # raw in JSON Lines
    assert orjson.loads(written("json"))["id"] == "b1"  # one batch: one object
