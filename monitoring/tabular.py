"""Tables as downloadable CSV and XLSX bytes, safe against spreadsheet formulas.

A text cell starting with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return could be run as a
formula by a spreadsheet program (OWASP "CSV injection"). In CSV such text gets a leading
apostrophe; in XLSX it is stored as plain text with Excel's "quote prefix" (never as a formula).
Numbers and dates pass through unchanged.
"""

from __future__ import annotations

import io
from datetime import date, datetime
from typing import Any

import pandas as pd
from openpyxl import Workbook
from openpyxl.utils import get_column_letter

from monitoring.exports.safe import is_risky, neutralise

# One rule for every export (CSV, Excel, meeting pack): cells a spreadsheet could run as formulas.
neutralise_cell = neutralise


def _plain(value: Any) -> Any:
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return None
    if isinstance(value, pd.Timestamp):
        return value.date()
    if hasattr(value, "item") and not isinstance(value, (str, date, datetime)):
        return value.item()  # numpy scalars
    return value


def to_csv_bytes(frame: pd.DataFrame) -> bytes:
    """``frame`` as UTF-8 CSV with a byte-order mark (Excel reads accents), header row first,
    dates ISO, risky text neutralised (:func:`neutralise_cell`)."""
    safe = frame.copy()
    for column in safe.columns:
        safe[column] = [neutralise_cell(_plain(v)) for v in safe[column]]
    return safe.to_csv(index=False).encode("utf-8-sig")


def to_xlsx_bytes(frame: pd.DataFrame, sheet_title: str = "Actions") -> bytes:
    """``frame`` as an XLSX workbook of one sheet with a bold header row; risky text is stored
    as text with the quote prefix (shown as typed, never evaluated); dates as Excel dates."""
    from openpyxl.styles import Font

    workbook = Workbook()
    sheet = workbook.active
    sheet.title = sheet_title[:31]
    sheet.append([str(c) for c in frame.columns])
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for row_number, row in enumerate(frame.itertuples(index=False), start=2):
        for column_number, raw in enumerate(row, start=1):
            value = _plain(raw)
            cell = sheet.cell(row=row_number, column=column_number)
            cell.value = value
            if is_risky(value):
                cell.data_type = "s"
                cell.quotePrefix = True
            elif isinstance(value, date):
                cell.number_format = "d mmm yyyy"
    for column_number, name in enumerate(frame.columns, start=1):
        sheet.column_dimensions[get_column_letter(column_number)].width = min(
            60, max(10, len(str(name)) + 2)
        )
    sheet.freeze_panes = "A2"
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()
