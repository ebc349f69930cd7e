"""Spreadsheets for people outside the system, safe to open in Excel/WPS.

A value a user typed must never become a formula: a text that starts with = + - @ (or a tab/CR,
which some spreadsheet programs strip before evaluating) is stored as a string cell and prefixed
with a single quote, so that a person re-saving the file cannot turn it back into a formula
(OWASP's CSV-injection guidance)."""

from datetime import date, datetime
from io import BytesIO

from openpyxl import Workbook
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import get_column_letter

FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def safe_cell(value):
    """The value to write for a cell: numbers and dates as they are, text defused."""
    if value is None:
        return ""
    if isinstance(value, (bool, int, float, date, datetime)):
        return value
    text = str(value)
    if text.startswith(FORMULA_TRIGGERS):
        return "'" + text
    return text


def xlsx_bytes(*, title: str, headers: list[str], rows, subtitle: str = "", widths: list[int] | None = None) -> bytes:
    """One sheet: a bold centred title row, an optional subtitle row, a header row, then the data."""
    wb = Workbook()
    ws = wb.active
    ws.title = title[:31]
    thin = Side(style="thin", color="999999")
    border = Border(left=thin, right=thin, top=thin, bottom=thin)
    ncols = len(headers)
    ws.append([safe_cell(title)])
    ws.merge_cells(start_row=1, start_column=1, end_row=1, end_column=ncols)
    ws["A1"].font = Font(size=14, bold=True)
    ws["A1"].alignment = Alignment(horizontal="center")
    header_row = 2
    if subtitle:
        ws.append([safe_cell(subtitle)])
        ws.merge_cells(start_row=2, start_column=1, end_row=2, end_column=ncols)
        header_row = 3
    ws.append([safe_cell(h) for h in headers])
    for cell in ws[header_row]:
        cell.font = Font(bold=True)
        cell.fill = PatternFill("solid", fgColor="E8EEF7")
        cell.border = border
        cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
    for row in rows:
        ws.append([safe_cell(v) for v in row])
        for cell in ws[ws.max_row]:
            cell.border = border
            cell.alignment = Alignment(vertical="top", wrap_text=True)
            if isinstance(cell.value, str):
                cell.data_type = "s"
            elif isinstance(cell.value, date):
                cell.number_format = "yyyy-mm-dd"
    for i, width in enumerate(widths or [16] * ncols, start=1):
        ws.column_dimensions[get_column_letter(i)].width = width
    ws.freeze_panes = ws.cell(row=header_row + 1, column=1)
    out = BytesIO()
    wb.save(out)
    return out.getvalue()
