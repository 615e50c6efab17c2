"""Spreadsheets people open in Excel: formula-safe cells and streamed CSV / XLSX downloads, for every export."""
import csv
import io
import re
import tempfile
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime

import xlsxwriter
from flask import Response, send_file, stream_with_context

from eventapp.core.time import local

# A cell starting with one of these is read as a formula by Excel, LibreOffice and Sheets (OWASP "CSV injection",
# CWE-1236); "+86 138…" phones start with one too.
FORMULA_STARTS = frozenset("=+-@\t\r\0")
CSV_ROWS_PER_CHUNK = 500
XLSX_MIMETYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
# XlsxWriter's defaults would turn "=…" strings into live formulas and "http…" strings into links.
XLSX_OPTIONS = {"constant_memory": True, "strings_to_formulas": False, "strings_to_urls": False,
                "strings_to_numbers": False}


@dataclass
class Table:
    """A header and rows of plain values, read lazily (the rows are usually a generator over a query)."""

    sheet: str
    header: Sequence[str]
    rows: Iterable[Sequence]


class Verbatim(str):
    """Text an exporter has checked cannot run (a valid E.164 phone number, +8613800138000): written as it is, so a
    CRM import reads the phone number rather than '+86…."""


def safe_cell(value) -> str:
    """A value as text that a spreadsheet shows and never runs: a leading formula character gets a ' before it.
    Numbers (a negative score) and Verbatim text are no formula and stay as they are."""
    if isinstance(value, (Verbatim, int, float)):
        return str(value)
    text = value if isinstance(value, str) else "" if value is None else str(value)
    return f"'{text}" if text[:1] in FORMULA_STARTS else text


def iso_time(value: datetime | None, zone: str) -> str:
    """ISO 8601 in the event's time zone, with its offset: 2026-12-03T09:00:00+01:00."""
    return local(value, zone).isoformat(timespec="seconds") if value is not None else ""


def yes_no(flag) -> str:
    return "yes" if flag else "no"


def csv_chunks(header: Sequence, rows: Iterable[Sequence]) -> Iterator[bytes]:
    """RFC 4180 CSV (CRLF, quoting by the csv module) in UTF-8 with one BOM at the start, so Excel shows Chinese."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    buffer.write("\ufeff")
    writer.writerow(_safe_row(header))
    for number, row in enumerate(rows, 1):
        writer.writerow(_safe_row(row))
        if number % CSV_ROWS_PER_CHUNK == 0:
            yield buffer.getvalue().encode()
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue().encode()


def _safe_row(values) -> list[str]:
    # safe_cell, with the common case (harmless text) inline: a large export spends its time here
    return [value if isinstance(value, str) and value[:1] not in FORMULA_STARTS else safe_cell(value)
            for value in values]


def xlsx_file(table: Table):
    """The table as an .xlsx in an anonymous temporary file (rewound): constant memory; numbers as number cells (a
    score sorts and sums), everything else a string.

    Text cells cannot run, so values are kept as typed (a +86 phone stays readable); only CSV needs the ' prefix."""
    target = tempfile.TemporaryFile()
    try:
        workbook = xlsxwriter.Workbook(target, XLSX_OPTIONS)
        sheet = workbook.add_worksheet(table.sheet[:31])
        bold = workbook.add_format({"bold": True})
        for column, value in enumerate(table.header):
            sheet.write_string(0, column, str(value), bold)
        sheet.freeze_panes(1, 0)
        for row_number, row in enumerate(table.rows, 1):  # constant_memory: rows strictly in order
            for column, value in enumerate(row):
                if isinstance(value, (int, float)) and not isinstance(value, bool):
                    sheet.write_number(row_number, column, value)
                elif value is not None and value != "":
                    sheet.write_string(row_number, column, str(value))
        workbook.close()
    except BaseException:
        target.close()
        raise
    target.seek(0)
    return target


def download(table: Table, filename: str, file_format: str) -> Response:
    """The table as an attachment: CSV streams row by row as it is read; XLSX is built first, then streamed."""
    if file_format == "csv":
        response = Response(stream_with_context(csv_chunks(table.header, table.rows)), mimetype="text/csv")
    elif file_format == "xlsx":
        response = send_file(xlsx_file(table), mimetype=XLSX_MIMETYPE, etag=False, conditional=False)
    else:
        raise ValueError(f"no such format: {file_format}")
    safe_name = re.sub(r"[^A-Za-z0-9._-]", "_", filename)
    response.headers["Content-Disposition"] = f'attachment; filename="{safe_name}.{file_format}"'
    response.headers["Cache-Control"] = "private, no-store"  # personal data: no shared caches
    return response
