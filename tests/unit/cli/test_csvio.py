"""CSV files in and out: the dialect is kept, ``-`` is the standard output, bad paths fail
early with exit status 2."""

from __future__ import annotations

import codecs
import io
from pathlib import Path

import pytest

from enrow_async.cli.csvio import check_writable, read_table, same_file, write_bytes, write_rows
from enrow_async.cli.errors import CliError


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
