"""A report as CSV (UTF-8 with BOM, so Excel shows Vietnamese) or as an XLSX workbook."""

from __future__ import annotations

import io
import re
from collections.abc import Iterator
from datetime import date

import xlsxwriter
from xlsxwriter.format import Format
from xlsxwriter.worksheet import Worksheet

from pos.csv_export import csv_writer
from pos.reports.table import DATE, INT, SHARE, VND, Report, cell_text, export_value


def to_csv(report: Report) -> bytes:
    """Header row, one row per report row, then the totals row; numbers bare so they add up in Excel."""
    return b"".join(iter_csv(report))


def iter_csv(report: Report, chunk_rows: int = 1_000) -> Iterator[bytes]:
    """The CSV of ``to_csv`` in chunks of ``chunk_rows`` rows, for a streamed download of a long table."""
    out = io.StringIO()
    writer = csv_writer(out)
    writer.writerow([c.header for c in report.columns])
    for n, row in enumerate(report.rows, start=1):
        writer.writerow([export_value(row.get(c.key), c.kind) for c in report.columns])
        if n % chunk_rows == 0:
            yield out.getvalue().encode("utf-8")
            out.seek(0)
            out.truncate()
    if report.totals:
        writer.writerow([_total_cell(report, c.key, c.kind) for c in report.columns])
    yield out.getvalue().encode("utf-8")


def _total_cell(report: Report, key: str, kind: str) -> object:
    value = (report.totals or {}).get(key)
    if isinstance(value, str):
        return value
    return export_value(value, kind) if value is not None else ""


WIDTH_SAMPLE = 1000  # columns are as wide as their first rows need (a year's table has tens of thousands)


def to_xlsx(report: Report, showroom_name: str = "") -> bytes:
    """One sheet: title, period, what is counted, then the table with Vietnamese headers and totals."""
    buffer = io.BytesIO()
    book = xlsxwriter.Workbook(buffer, {"in_memory": True})
    # Excel refuses []:*?/\ in a sheet's name ("tỉnh/thành"), and more than 31 characters.
    sheet = book.add_worksheet(re.sub(r"[\[\]:*?/\\]", "-", report.title)[:31])
    bold = book.add_format({"bold": True})
    title = book.add_format({"bold": True, "font_size": 14})
    note = book.add_format({"italic": True, "font_color": "#555555", "text_wrap": True, "valign": "top"})
    header = book.add_format({"bold": True, "bg_color": "#E4EBE6", "border": 1, "text_wrap": True, "valign": "top"})
    formats = {
        VND: book.add_format({"num_format": '#,##0 "₫"'}),
        INT: book.add_format({"num_format": "#,##0"}),
        SHARE: book.add_format({"num_format": "0.0%"}),
        DATE: book.add_format({"num_format": "dd/mm/yyyy"}),
    }
    total_formats = {
        k: book.add_format({"num_format": f.num_format, "bold": True, "top": 1}) for k, f in formats.items()
    }
    total_text = book.add_format({"bold": True, "top": 1})

    width = len(report.columns)
    sheet.write(0, 0, report.title, title)
    if showroom_name:
        sheet.write(1, 0, showroom_name, bold)
    sheet.write(2, 0, report.subtitle())
    sheet.merge_range(3, 0, 3, max(width - 1, 1), report.counted, note)
    sheet.set_row(3, 48)
    top = 5
    for col, column in enumerate(report.columns):
        sheet.write(top, col, column.header, header)
    widths = [max(10, min(40, len(c.header) + 2)) for c in report.columns]
    r = top
    for r, row in enumerate(report.rows, start=top + 1):
        for col, column in enumerate(report.columns):
            _write(sheet, r, col, row.get(column.key), column.kind, formats)
            if r <= top + WIDTH_SAMPLE:
                widths[col] = max(widths[col], min(45, len(cell_text(row.get(column.key), column.kind)) + 2))
    if report.totals:
        r += 1
        for col, column in enumerate(report.columns):
            value = report.totals.get(column.key)
            if isinstance(value, str) or value is None:
                sheet.write(r, col, value or "", total_text)
            else:
                _write(sheet, r, col, value, column.kind, total_formats)
    for col, w in enumerate(widths):
        sheet.set_column(col, col, w)
    sheet.freeze_panes(top + 1, 0)
    book.close()
    return buffer.getvalue()


def _write(sheet: Worksheet, r: int, c: int, value: object, kind: str, formats: dict[str, Format]) -> None:
    """A cell typed for Excel: money and counts as numbers, shares as fractions, dates as dates."""
    if value is None or value == "":
        sheet.write_blank(r, c, None)
    elif kind in (VND, INT) and isinstance(value, int):
        sheet.write_number(r, c, value, formats[kind])
    elif kind == SHARE and isinstance(value, int):
        sheet.write_number(r, c, value / 10_000, formats[SHARE])
    elif kind == DATE and isinstance(value, date):
        sheet.write_datetime(r, c, value, formats[DATE])
    else:
        sheet.write_string(r, c, cell_text(value, kind))
