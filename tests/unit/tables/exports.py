"""The layouts people export, as files in ``tests/data/exports``, made by this code.

Run ``python tests/unit/tables/exports.py`` to write them again; ``test_layouts`` checks
that the files there are what this code makes.

- ``excel_sep_de.csv``: saved by Excel (German): a ``sep=;`` first line, cp1252, German
  headers, a ``Summe`` row at the end.
- ``sheets_report.csv``: a Google Sheets report: two title rows above the header (padded
  with commas, as Sheets writes them), then a row for every verdict of the row check, a
  totals row and a notes row at the end.
- ``campaign.xlsx``: the leads on the second sheet, under merged title cells, with numbers,
  dates and a formula; the first sheet is a campaign summary.
"""

from __future__ import annotations

import csv
import datetime
import io
import re
import sys
import zipfile
from pathlib import Path

EXPORTS = Path(__file__).parents[2] / "data/exports"

LONG_NAME = "Jane " + "x" * 4_995
"""A 5,000-character name (a pasted paragraph)."""

EXCEL_DE = [
    ["Vorname", "Nachname", "Firma", "Webseite", "E-Mail", "Notiz"],
    [
        "Jürgen",
        "Müller",
        "Bäckerei Schulz GmbH",
        "www.baeckerei-schulz.de",
        "",
        "Rückruf \u2013 5 €",
    ],
    ["Prof. Dr. Anna", "Schmidt", "Straßenbau AG", "https://strassenbau.de/", "", ""],
    ["Lena", "Weiß", "Weiß & Söhne", "", "lena@weiss-soehne.de", "schon bekannt"],
    ["Summe", "", "", "", "", "3 Kontakte"],
]

SHEETS_HEADER = ["Name", "Company", "Website", "Email", "Owner", "Deal size"]
SHEETS_ROWS = [
    ["Dr. Jane Doe, PhD", "Acme", "https://www.Acme.com/pricing?utm_source=x", "", "Kim", "250"],
    ["Sam Poe", "Acme", "linkedin.com/company/acme", "", "Kim", ""],
    ["Ann Lee", "", "ann@initech.com", "", "Kim", ""],
    ["Bob Ray", "", "bit.ly/3xyz", "", "Kim", ""],
    ["Madonna", "Universal", "universal.com", "", "Kim", ""],
    [LONG_NAME, "Acme", "acme.com", "", "Kim", ""],
    ["Tom Fox", "", "", "", "Kim", ""],
    ["", "Hooli", "hooli.com", "", "Kim", ""],
    ["Leo Park", "Globex", "globex.com", "leo@globex.com", "Kim", ""],
    ["", "", "", "", "", ""],
    ["Mia Chen", "Initech", "", "", "Kim", "1,200"],
    ["Total", "3 leads", "", "", "", "1,450"],
    ["Notes: exported from Google Sheets", "", "", "", "", ""],
]
"""Sent (titles removed, domain reduced), sent (domain dropped, company used), sent
(domain from an address), no usable company, one word, too long, no company, no name,
email present, blank, sent (company only), totals, notes."""

XLSX_SUMMARY = [["Campaign", "Sent", "Replies"], ["Q3 Outbound", 120, 14]]
XLSX_HEADER = ["First Name", "Last Name", "Company", "Website", "Deal size", "Created"]
XLSX_ROWS = [
    ["Jim", "Halpert", "Dunder Mifflin", "dundermifflin.com", 250, datetime.datetime(2024, 1, 5)],
    ["Pam", "Beesly", "Dunder Mifflin", "https://dundermifflin.com/", 99.5, None],
    ["Oscar", "Martinez", "Dunder Mifflin", "", 0, datetime.datetime(2024, 2, 1)],
]
XLSX_HEADER_ROW = 4
"""Two merged title rows, a blank row, then the header."""


def excel_sep_de() -> bytes:
    out = io.StringIO(newline="")
    csv.writer(out, delimiter=";", lineterminator="\r\n").writerows(EXCEL_DE)
    return ("sep=;\r\n" + out.getvalue()).encode("cp1252")


def sheets_report() -> bytes:
    out = io.StringIO(newline="")
    writer = csv.writer(out, lineterminator="\r\n")
    width = len(SHEETS_HEADER)
    writer.writerow(["Q3 Outbound \u2013 Target Accounts"] + [""] * (width - 1))
    writer.writerow(["Owner: Kim · updated 2024-07-01"] + [""] * (width - 1))
    writer.writerows([SHEETS_HEADER, *SHEETS_ROWS])
    return out.getvalue().encode()


def campaign_xlsx() -> bytes:
    import openpyxl

    book = openpyxl.Workbook()
    summary = book.active
    summary.title = "Campaign summary"
    for row in XLSX_SUMMARY:
        summary.append(row)
    leads = book.create_sheet("Leads")
    leads["A1"] = "Q3 Outbound \u2013 Leads"
    leads.merge_cells("A1:F1")
    leads["A2"] = "Owner: Kim"
    leads.merge_cells("A2:F2")
    for column, name in enumerate(XLSX_HEADER, start=1):
        leads.cell(XLSX_HEADER_ROW, column, name)
    for number, row in enumerate(XLSX_ROWS, start=XLSX_HEADER_ROW + 1):
        for column, value in enumerate(row, start=1):
            leads.cell(number, column, value)
    total = XLSX_HEADER_ROW + len(XLSX_ROWS) + 1
    leads.cell(total, 1, "Total")
    leads.cell(total, 5, f"=SUM(E{XLSX_HEADER_ROW + 1}:E{total - 1})")
    raw = io.BytesIO()
    book.save(raw)
    return _fixed(raw.getvalue())


def _fixed(data: bytes) -> bytes:
    """The zip with fixed times (its entries' and the workbook's own), so that it is made
    the same each time."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as source, zipfile.ZipFile(out, "w") as target:
        for info in source.infolist():
            part = source.read(info)
            if info.filename == "docProps/core.xml":
                stamp = rb"(<dcterms:(?:created|modified)[^>]*>)[^<]*"
                part = re.sub(stamp, rb"\g<1>2024-07-01T00:00:00Z", part)
            fixed = zipfile.ZipInfo(info.filename, (2024, 7, 1, 0, 0, 0))
            fixed.compress_type = zipfile.ZIP_DEFLATED
            target.writestr(fixed, part)
    return out.getvalue()


FILES = {
    "excel_sep_de.csv": excel_sep_de,
    "sheets_report.csv": sheets_report,
    "campaign.xlsx": campaign_xlsx,
}


def main() -> None:
    for name, make in FILES.items():
        (EXPORTS / name).write_bytes(make())
        print(EXPORTS / name, file=sys.stderr)


if __name__ == "__main__":
    main()
