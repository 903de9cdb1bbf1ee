"""Tables of people and addresses, as people export them: read (CSV, ``.xlsx``) within
limits, their columns found by name, their rows checked, and the cells a result becomes,
shared by every front-end that reads or writes tables (the CLI, the DataFrame helpers, the
MCP server).

``read_table`` reads a file into a ``Table`` (the sheet and the header row found below
title rows, or chosen: ``sheet=``, ``header_row=``; ``describe_table`` says which);
``find_columns`` finds which column holds the name, the company's domain and name, a
custom value and an email (``describe`` says so in words); ``check_rows`` gives each row
its pre-flight verdict (the cleaned search to send, or why not); ``searches_of`` turns the
rows into searches as typed; ``read_emails`` reads addresses to verify. ``added_cells``
and ``ADDED_COLUMNS`` are what a list job appends to each row; ``write_table`` writes a
table back with them (CSV in its dialect, JSON, or an xlsx input's workbook kept whole:
``extend_workbook``), ``write_results`` batches' results one row each, atomically, after
``check_writable`` and ``check_new`` refused what cannot or should not be replaced. A file
that cannot be read or written, is over one of ``LIMITS`` or lacks a column raises
[TableError][enrow_async.TableError].
"""

from .cells import *
from .checks import *
from .columns import *
from .limits import *
from .names import *
from .read import *
from .workbook import *
from .write import *

__all__ = [
    "ADDED_COLUMNS",
    "Change",
    "Columns",
    "CsvRows",
    "EmailList",
    "FORMULA_STARTS",
    "FOUND",
    "FOUND_COLUMNS",
    "HEADER_SEARCH",
    "LIMITS",
    "NOT_FOUND",
    "RESULT_COLUMNS",
    "ROLES",
    "RowCells",
    "RowCheck",
    "SKIPPED",
    "SkipReason",
    "Table",
    "TableLimits",
    "VERIFIED_COLUMNS",
    "added_cells",
    "added_columns",
    "added_header",
    "addresses_to_send",
    "check_new",
    "check_row",
    "check_rows",
    "check_writable",
    "describe",
    "describe_checks",
    "describe_table",
    "extend_workbook",
    "find_columns",
    "find_email_column",
    "found_cells",
    "is_email",
    "is_trailer",
    "known_names",
    "neutralise",
    "output_format",
    "parse_table",
    "read_emails",
    "read_table",
    "read_text",
    "read_xlsx",
    "record_cells",
    "require_openpyxl",
    "result_record",
    "same_file",
    "searches_of",
    "searches_to_send",
    "write_bytes",
    "write_results",
    "write_rows",
    "write_table",
]
