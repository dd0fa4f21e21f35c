"""A report as CSV (UTF-8 with BOM, so Excel shows Vietnamese) or as an XLSX workbook.

Both are written as they go, a chunk of rows at a time, so a long table's export (a year of shifts, 73,000 rows)
streams from the database cursor to the browser: the CSV in chunks of rows, the XLSX as a ZIP whose sheet is
deflated as it is written (inline strings rather than a shared-string table, which would need every row before
the first; a shared table measured no faster on the shifts, whose times are all different). Within a chunk both
writers work a column at a time, with one comprehension per column for the common cells.
"""

from __future__ import annotations

import io
import re
import zipfile
from collections.abc import Iterator, Sequence
from datetime import date, datetime
from itertools import chain, islice, repeat
from operator import itemgetter
from typing import Any
from xml.sax.saxutils import escape

from pos.csv_export import csv_writer
from pos.quantity import Quantity
from pos.reports.table import DATE, INT, KG, QTY, SHARE, TEXT, VND, Column, Report, cell_text, export_value


def to_csv(report: Report) -> bytes:
    """Header row, one row per report row, then the totals row; numbers bare so they add up in Excel."""
    return b"".join(iter_csv(report))


def iter_csv(report: Report, chunk_rows: int = 1_000) -> Iterator[bytes]:
    """The CSV of ``to_csv`` in chunks of ``chunk_rows`` rows, for a streamed download of a long table."""
    out = io.StringIO()
    writer = csv_writer(out)
    writer.writerow([c.header for c in report.columns])
    for chunk in _batches(iter(report.rows), chunk_rows):
        columns = _columns(chunk, report.columns)
        writer.writecolumns([_csv_column(values, c) for values, c in zip(columns, report.columns, strict=True)])
        if len(chunk) == chunk_rows:
            yield out.getvalue().encode("utf-8")
            out.seek(0)
            out.truncate()
    if report.totals:
        writer.writerow([_total_cell(report, c.key, c.kind) for c in report.columns])
    yield out.getvalue().encode("utf-8")


def _columns(rows: list[dict[str, Any]], columns: list[Column]) -> list[Any]:
    """The values of a chunk of rows a column at a time (a row without a column's key reads None). Both writers
    work a column at a time: a year's export (a million cells) is then a few list comprehensions per chunk rather
    than a call per cell."""
    keys = [c.key for c in columns]
    if len(keys) < 2:  # itemgetter of one key gives the value, not a 1-tuple
        return [[row.get(key) for row in rows] for key in keys]
    try:
        return list(zip(*map(itemgetter(*keys), rows), strict=True))  # every row's values at once, in C
    except KeyError:
        return [[row.get(key) for row in rows] for key in keys]


def _csv_column(values: Sequence[Any], column: Column) -> Sequence[Any]:
    """One column of a chunk of rows as export_value() writes its cells: text, money and counts that are already
    str or int (or None, which the csv module writes as empty) are kept as they are, the whole column at once
    where it holds nothing else."""
    kind = column.kind
    if kind in (INT, VND):
        if set(map(type, values)) <= _INT_OR_NONE:
            return values
        return [v if v.__class__ is int or v is None else export_value(v, kind) for v in values]
    if kind == TEXT:
        if set(map(type, values)) <= _STR_OR_NONE:
            return values
        return [v if v.__class__ is str or v is None else export_value(v, kind) for v in values]
    return [export_value(v, kind) for v in values]  # an unrated STARS cell (None) reads "Chưa xếp hạng"


_INT_OR_NONE = frozenset((int, type(None)))
_STR_OR_NONE = frozenset((str, type(None)))


def _total_cell(report: Report, key: str, kind: str) -> object:
    value = (report.totals or {}).get(key)
    if isinstance(value, str):
        return value
    return export_value(value, kind) if value is not None else ""


WIDTH_SAMPLE = 1000  # columns are as wide as their first rows need (a year's table has tens of thousands)
XLSX_CHUNK_ROWS = 2_000  # rows deflated between two chunks of a streamed XLSX
EXCEL_EPOCH = date(1899, 12, 30)

# Cell styles (styles.xml's cellXfs, in this order): plain, title, bold, note, header, then the number kinds
# plain and in the totals row.
S_TITLE, S_BOLD, S_NOTE, S_HEADER, S_TOTAL_TEXT = 1, 2, 3, 4, 9
S_KIND = {VND: 5, INT: 6, SHARE: 7, DATE: 8, KG: 14}
S_TOTAL_KIND = {VND: 10, INT: 11, SHARE: 12, DATE: 13, KG: 15}

STYLES = """<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<styleSheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">
<numFmts count="4"><numFmt numFmtId="164" formatCode="#,##0 &quot;₫&quot;"/><numFmt numFmtId="165" formatCode="0.0%"/>\
<numFmt numFmtId="166" formatCode="dd/mm/yyyy"/><numFmt numFmtId="167" formatCode="#,##0.000"/></numFmts>
<fonts count="4"><font><sz val="11"/><name val="Calibri"/></font><font><b/><sz val="11"/><name val="Calibri"/></font>\
<font><b/><sz val="14"/><name val="Calibri"/></font>\
<font><i/><sz val="11"/><color rgb="FF555555"/><name val="Calibri"/></font></fonts>
<fills count="3"><fill><patternFill patternType="none"/></fill><fill><patternFill patternType="gray125"/></fill>\
<fill><patternFill patternType="solid"><fgColor rgb="FFE4EBE6"/><bgColor indexed="64"/></patternFill></fill></fills>
<borders count="3"><border><left/><right/><top/><bottom/><diagonal/></border>\
<border><left style="thin"/><right style="thin"/><top style="thin"/><bottom style="thin"/><diagonal/></border>\
<border><left/><right/><top style="thin"/><bottom/><diagonal/></border></borders>
<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>
<cellXfs count="16">
<xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/>
<xf numFmtId="0" fontId="2" fillId="0" borderId="0" xfId="0" applyFont="1"/>
<xf numFmtId="0" fontId="1" fillId="0" borderId="0" xfId="0" applyFont="1"/>
<xf numFmtId="0" fontId="3" fillId="0" borderId="0" xfId="0" applyFont="1" applyAlignment="1">\
<alignment vertical="top" wrapText="1"/></xf>
<xf numFmtId="0" fontId="1" fillId="2" borderId="1" xfId="0" applyFont="1" applyFill="1" applyBorder="1" \
applyAlignment="1"><alignment vertical="top" wrapText="1"/></xf>
<xf numFmtId="164" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>
<xf numFmtId="3" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>
<xf numFmtId="165" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>
<xf numFmtId="166" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>
<xf numFmtId="0" fontId="1" fillId="0" borderId="2" xfId="0" applyFont="1" applyBorder="1"/>
<xf numFmtId="164" fontId="1" fillId="0" borderId="2" xfId="0" applyNumberFormat="1" applyFont="1" applyBorder="1"/>
<xf numFmtId="3" fontId="1" fillId="0" borderId="2" xfId="0" applyNumberFormat="1" applyFont="1" applyBorder="1"/>
<xf numFmtId="165" fontId="1" fillId="0" borderId="2" xfId="0" applyNumberFormat="1" applyFont="1" applyBorder="1"/>
<xf numFmtId="166" fontId="1" fillId="0" borderId="2" xfId="0" applyNumberFormat="1" applyFont="1" applyBorder="1"/>
<xf numFmtId="167" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>
<xf numFmtId="167" fontId="1" fillId="0" borderId="2" xfId="0" applyNumberFormat="1" applyFont="1" applyBorder="1"/>
</cellXfs>
<cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles>
</styleSheet>"""

CONTENT_TYPES = """<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">\
<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>\
<Default Extension="xml" ContentType="application/xml"/>\
<Override PartName="/xl/workbook.xml" \
ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>\
<Override PartName="/xl/worksheets/sheet1.xml" \
ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>\
<Override PartName="/xl/styles.xml" \
ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"/></Types>"""

ROOT_RELS = """<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">\
<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" \
Target="xl/workbook.xml"/></Relationships>"""

WORKBOOK = """<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" \
xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">\
<sheets><sheet name="{name}" sheetId="1" r:id="rId1"/></sheets></workbook>"""

WORKBOOK_RELS = """<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">\
<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" \
Target="worksheets/sheet1.xml"/>\
<Relationship Id="rId2" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/styles" \
Target="styles.xml"/></Relationships>"""

_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def to_xlsx(report: Report, showroom_name: str = "") -> bytes:
    """One sheet: title, period, what is counted, then the table with Vietnamese headers and totals."""
    return b"".join(iter_xlsx(report, showroom_name))


class _Sink:
    """Where the ZIP is written (not seekable, so zipfile writes each entry's sizes after its data)."""

    def __init__(self) -> None:
        self.parts: list[bytes] = []

    def write(self, data: bytes) -> int:
        self.parts.append(bytes(data))
        return len(data)

    def flush(self) -> None:
        pass

    def take(self) -> bytes:
        out = b"".join(self.parts)
        self.parts.clear()
        return out


def iter_xlsx(report: Report, showroom_name: str = "") -> Iterator[bytes]:
    """The workbook of ``to_xlsx`` in chunks, its rows read from ``report.rows`` as they come."""
    sink = _Sink()
    with zipfile.ZipFile(sink, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as book:  # type: ignore[arg-type]
        book.writestr("[Content_Types].xml", CONTENT_TYPES)
        book.writestr("_rels/.rels", ROOT_RELS)
        # Excel refuses []:*?/\ in a sheet's name ("tỉnh/thành"), and more than 31 characters.
        name = re.sub(r"[\[\]:*?/\\]", "-", report.title)[:31]
        book.writestr("xl/workbook.xml", WORKBOOK.format(name=escape(name, {'"': "&quot;"})))
        book.writestr("xl/_rels/workbook.xml.rels", WORKBOOK_RELS)
        book.writestr("xl/styles.xml", STYLES)
        with book.open("xl/worksheets/sheet1.xml", "w") as sheet:
            for text in _sheet_xml(report, showroom_name):
                sheet.write(text.encode("utf-8"))
                yield sink.take()
    yield sink.take()


def _sheet_xml(report: Report, showroom_name: str) -> Iterator[str]:
    columns = report.columns
    width = len(columns)
    top = 6  # the header's row (1-based); the table's rows follow it
    rows = iter(report.rows)
    sample = list(islice(rows, WIDTH_SAMPLE))  # the column widths are written before the rows
    widths = [max(10, min(40, len(c.header) + 2)) for c in columns]
    for row in sample:
        for i, column in enumerate(columns):
            widths[i] = max(widths[i], min(45, len(cell_text(row.get(column.key), column.kind)) + 2))
    last = _column_letter(max(width - 1, 1))
    cols = "".join(f'<col min="{i}" max="{i}" width="{w}" customWidth="1"/>' for i, w in enumerate(widths, 1))
    letters = [_column_letter(i) for i in range(max(width, 2))]
    yield (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
        'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">'
        f'<sheetViews><sheetView workbookViewId="0"><pane ySplit="{top}" topLeftCell="A{top + 1}" '
        'activePane="bottomLeft" state="frozen"/></sheetView></sheetViews>'
        f"<cols>{cols}</cols><sheetData>"
        f'<row r="1">{_text_cell("A1", report.title, S_TITLE)}</row>'
        + (f'<row r="2">{_text_cell("A2", showroom_name, S_BOLD)}</row>' if showroom_name else "")
        + f'<row r="3">{_text_cell("A3", report.subtitle(), 0)}</row>'
        f'<row r="4" ht="48" customHeight="1">{_text_cell("A4", report.counted, S_NOTE)}'
        + "".join(f'<c r="{letters[i]}4" s="{S_NOTE}"/>' for i in range(1, max(width, 2)))
        + f'</row><row r="{top}">'
        + "".join(_text_cell(f"{letters[i]}{top}", c.header, S_HEADER) for i, c in enumerate(columns))
        + "</row>"
    )
    r = top
    # The rows are written a chunk at a time and, within a chunk, a column at a time: a year's export has close
    # to a million cells, and a comprehension per column is far cheaper than a Python loop per row and cell.
    for block in _batches(chain(sample, rows), XLSX_CHUNK_ROWS):
        ats = [str(n) for n in range(r + 1, r + 1 + len(block))]
        r += len(block)
        cells: list[list[str]] = []
        for i, (values, column) in enumerate(zip(_columns(block, columns), columns, strict=True)):
            # A cell's reference (r="F123") is optional: without one, a cell is the column after the previous cell
            # of its row (the first, column A). It is written only where the cell to the left may be left out
            # (empty) in this chunk: a fifth of the sheet's XML and half its deflate time on a year's shifts.
            placed = i > 0 and "" in cells[-1]
            cells.append(_column_cells(values, letters[i], ats, column, placed))
        starts = [f'<row r="{at}">' for at in ats]
        # One join over the chunk, row by row: its start, its cells (an empty one is ""), its end.
        yield "".join(chain.from_iterable(zip(starts, *cells, repeat("</row>"))))
    tail: list[str] = []  # the totals row, then the sheet's end
    if report.totals:
        r += 1
        totals = []
        for i, c in enumerate(columns):
            value = report.totals.get(c.key)
            if isinstance(value, str) or value is None:
                totals.append(_text_cell(f"{letters[i]}{r}", value or "", S_TOTAL_TEXT))
            else:
                totals.append(_cell(f"{letters[i]}{r}", value, c, S_TOTAL_KIND))
        tail.append(f'<row r="{r}">{"".join(totals)}</row>')
    tail.append(f'</sheetData><mergeCells count="1"><mergeCell ref="A4:{last}4"/></mergeCells></worksheet>')
    yield "".join(tail)


def _batches(rows: Iterator[dict[str, Any]], size: int) -> Iterator[list[dict[str, Any]]]:
    """``rows`` in lists of ``size`` (the last one shorter), as both writers take them."""
    while block := list(islice(rows, size)):
        yield block


def _column_cells(values: Sequence[Any], letter: str, ats: list[str], column: Column, placed: bool) -> list[str]:
    """The cells of one column of a chunk of rows (row numbers ``ats``), each as _cell() writes it (without its
    reference unless ``placed``), "" for an empty one (left out). The common columns, ints in a money or count
    column and texts with nothing to escape, are written by one comprehension each, without a call per cell; the
    constant parts of a cell are made once per column (an int style formatted in every cell doubled its cost)."""
    kind = column.kind
    if kind in (VND, INT):
        number = f' s="{S_KIND[kind]}"><v>'
        if set(map(type, values)) == {int}:  # the usual column: every cell an int (a bool is written as 0 or 1)
            if not placed:
                return [f"<c{number}{v}</v></c>" for v in values]
            return [f'<c r="{letter}{at}"{number}{v}</v></c>' for v, at in zip(values, ats, strict=True)]
        return [
            f'<c r="{letter}{at}"{number}{v}</v></c>'
            if v.__class__ is int
            else ("" if v is None or v == "" else _cell(letter + at, v, column, S_KIND))
            for v, at in zip(values, ats, strict=True)
        ]
    if kind == TEXT and _plain_texts(values):
        text = ' t="inlineStr"><is><t>'
        if not placed:
            return [f"<c{text}{v}</t></is></c>" for v in values]
        return [f'<c r="{letter}{at}"{text}{v}</t></is></c>' for v, at in zip(values, ats, strict=True)]
    return [
        "" if v is None or v == "" else _cell(letter + at, v, column, S_KIND) for v, at in zip(values, ats, strict=True)
    ]


def _plain_texts(values: Sequence[Any]) -> bool:
    """Whether every value is a non-empty str that is written as it is: printable, nothing to escape, no space at
    either end (which would need xml:space). Checked on the whole column at once, by searches in C."""
    try:
        flat = "".join(values)  # TypeError where a value is not a str (None, a number)
    except TypeError:
        return False
    if "" in values or not flat.isprintable() or "&" in flat or "<" in flat or ">" in flat:
        return False
    # Printable, so no value holds a newline: each one's ends are where the newlines are. The only printable
    # whitespace is the ASCII space.
    edges = "\n".join(values)
    return not (edges[:1] == " " or edges[-1:] == " " or " \n" in edges or "\n " in edges)


def _column_letter(index: int) -> str:
    """0 -> A, 25 -> Z, 26 -> AA."""
    letters = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


def _text_cell(ref: str, text: str, style: int) -> str:
    styled = f' s="{style}"' if style else ""
    if not text:
        return f'<c r="{ref}"{styled}/>'
    if not text.isprintable():  # what XML forbids is never printable; most text is, and skips the search
        text = _NOT_XML.sub("", text)
    space = ' xml:space="preserve"' if text[:1].isspace() or text[-1:].isspace() else ""
    if "&" in text or "<" in text or ">" in text:
        text = escape(text)
    return f'<c r="{ref}"{styled} t="inlineStr"><is><t{space}>{text}</t></is></c>'


def _cell(ref: str, value: object, column: Column, styles: dict[str, int]) -> str:
    """A cell typed for Excel: money and counts as numbers, shares as fractions, dates as dates."""
    kind = column.kind
    if value is None or value == "":
        return f'<c r="{ref}"/>'
    if kind in (VND, INT) and isinstance(value, int):
        return f'<c r="{ref}" s="{styles[kind]}"><v>{int(value)}</v></c>'  # int(): True is 1, not "True"
    if kind == KG and isinstance(value, int):  # grams, written as kg (exact: three decimals at most)
        return f'<c r="{ref}" s="{styles[KG]}"><v>{export_value(value, KG)}</v></c>'
    if kind == QTY and isinstance(value, Quantity):  # one product's: kg with three decimals, or pieces
        return f'<c r="{ref}" s="{styles[KG if value.is_weighed else INT]}"><v>{value.decimal}</v></c>'
    if kind == QTY and isinstance(value, int):
        return f'<c r="{ref}" s="{styles[INT]}"><v>{value}</v></c>'
    if kind == SHARE and isinstance(value, int):
        return f'<c r="{ref}" s="{styles[SHARE]}"><v>{value / 10_000}</v></c>'
    if kind == DATE and isinstance(value, datetime):
        serial = (value.replace(tzinfo=None) - datetime(1899, 12, 30)).total_seconds() / 86_400
        return f'<c r="{ref}" s="{styles[DATE]}"><v>{serial}</v></c>'
    if kind == DATE and isinstance(value, date):
        return f'<c r="{ref}" s="{styles[DATE]}"><v>{(value - EXCEL_EPOCH).days}</v></c>'
    return _text_cell(ref, cell_text(value, kind), 0)
