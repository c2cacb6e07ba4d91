"""CSV and XLSX writers that stream: rows come from an iterator and leave in chunks.

Every file starts with header rows naming what it is and the ledger checkpoint (size and root
hash) its rows were read at, so a figure can be traced to the signed log; then a blank row, the
column names and the rows. CSV is UTF-8 with a byte order mark (Excel then reads Vietnamese
correctly). XLSX is written by ``xlsxwriter`` in constant-memory mode to a temporary file (a
zip needs its directory at the end), then sent in chunks and deleted: memory stays flat
whatever the number of rows.
"""

from __future__ import annotations

import csv
import io
import os
import tempfile
from collections.abc import Iterable, Iterator, Sequence
from datetime import date, datetime
from decimal import Decimal

import xlsxwriter

BOM = "\ufeff"
CHUNK = 64 * 1024
CSV_TYPE = "text/csv; charset=utf-8"
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
FORMATS = ("csv", "xlsx")

Cell = str | int | float | Decimal | date | datetime | None


def _text(value: Cell) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime | date):
        return value.isoformat()
    return str(value)


def safe_cell(value: Cell) -> Cell:
    """A text cell a spreadsheet would run as a formula gets a leading apostrophe (OWASP CSV
    injection)."""
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return value


def csv_chunks(
    header: Sequence[Sequence[Cell]], columns: Sequence[str], rows: Iterable[Sequence[Cell]]
) -> Iterator[bytes]:
    """The CSV file in chunks of about CHUNK bytes, the BOM first."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    buffer.write(BOM)
    for line in header:  # ours: written as they are (a root hash is no formula)
        writer.writerow([_text(c) for c in line])
    writer.writerow([])
    writer.writerow(columns)
    for row in rows:
        writer.writerow([_text(safe_cell(c)) for c in row])
        if buffer.tell() >= CHUNK:
            yield buffer.getvalue().encode("utf-8")
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue().encode("utf-8")


def xlsx_chunks(
    header: Sequence[Sequence[Cell]],
    columns: Sequence[str],
    rows: Iterable[Sequence[Cell]],
    *,
    sheet: str = "data",
) -> Iterator[bytes]:
    """The XLSX file in chunks; its temporary file is removed when the iterator ends or closes."""
    handle, path = tempfile.mkstemp(suffix=".xlsx")
    os.close(handle)
    try:
        workbook = xlsxwriter.Workbook(
            path,
            {"constant_memory": True, "strings_to_numbers": False, "strings_to_formulas": False},
        )
        worksheet = workbook.add_worksheet(sheet[:31])
        bold = workbook.add_format({"bold": True})
        day = workbook.add_format({"num_format": "yyyy-mm-dd"})
        at = 0
        for line in header:
            worksheet.write_row(at, 0, [_text(c) for c in line])
            at += 1
        at += 1
        worksheet.write_row(at, 0, list(columns), bold)
        at += 1
        for row in rows:
            for col, value in enumerate(row):
                if isinstance(value, datetime):
                    worksheet.write_string(at, col, value.isoformat())
                elif isinstance(value, date):
                    worksheet.write_datetime(
                        at, col, datetime(value.year, value.month, value.day), day
                    )
                elif isinstance(value, bool) or value is None:
                    worksheet.write_string(at, col, _text(value))
                elif isinstance(value, int | float | Decimal):
                    worksheet.write_number(at, col, float(value))
                else:
                    worksheet.write_string(at, col, str(value))
            at += 1
        workbook.close()
        with open(path, "rb") as stream:
            while chunk := stream.read(CHUNK):
                yield chunk
    finally:
        os.unlink(path)
