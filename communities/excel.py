"""Excel in and out (openpyxl). Reading checks the file before trusting it and reports each refused
row in Chinese; writing never lets a cell start with a formula character.

An .xlsx is a zip of XML: 2 MB on the wire can unpack to gigabytes (one huge shared string, or a
hundred million empty rows), so the archive's own table of contents is checked before openpyxl sees
it, the sheet is streamed (read-only mode), and every row read counts against the row limit, blank or
not. bench/import_bomb.py measures the peak memory of both attacks (docs/communities.md)."""

import zipfile
from io import BytesIO
from pathlib import PurePath
from xml.etree.ElementTree import ParseError, iterparse

from openpyxl import Workbook, load_workbook
from openpyxl.styles import Alignment, Font

from core.errors import DomainError

from .forms import RENOVATION_BY_LABEL
from .models import FORMULA_PREFIXES, Renovation
from .services import ImportRow

MB = 1024 * 1024
IMPORT_MAX_BYTES = 2 * MB
IMPORT_MAX_ROWS = 5000  # data rows, blank ones included
# What the archive may unpack to. A full 5000-row ledger unpacks to about 2 MB of XML in all (about
# 1 MB of shared strings); the limits leave several times that and still bound memory.
IMPORT_MAX_UNPACKED = 25 * MB
IMPORT_MAX_PART = 10 * MB  # any one part: a sheet, the shared strings, the styles
IMPORT_MAX_MEMBERS = 200
# A 5000-row ledger sheet is about 65,000 XML elements (a row, then a cell and its value per column);
# openpyxl builds an object for each element of the styles and strings parts.
PART_MAX_ELEMENTS = 200_000
IMPORT_MAX_COLUMNS = 50  # header cells looked at
CELL_MAX_CHARS = 200  # the longest ledger field (老旧小区) holds 200
ROW_MAX_CELLS = 1000  # openpyxl holds a whole row in memory: a row of millions of cells is refused
SHEET_NS = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
# header text → field; the first two are required
HEADERS = {
    "市州": "reporting_unit",
    "社区名称": "name",
    "县（市、区）": "county",
    "社区居民委员会": "residents_committee",
    "老旧小区": "old_estates",
    "老旧小区改造": "renovation",
}
REQUIRED = ("市州", "社区名称")


def _header_key(text) -> str:
    return str(text or "").strip().replace("(", "（").replace(")", "）")


def _archive_check(data: bytes) -> None:
    """Refuse an archive that would unpack to more than a ledger can need, before openpyxl opens it.
    The sizes are the ones the archive declares; Python's zipfile never unpacks more than the declared
    size, so a lying entry ends in a read error, not in memory."""
    try:
        archive = zipfile.ZipFile(BytesIO(data))
    except (zipfile.BadZipFile, ValueError, OSError):
        raise DomainError("无法读取该 Excel 文件，请确认文件未损坏。", code="file_unreadable", field="file") from None
    with archive:
        members = archive.infolist()
        if len(members) > IMPORT_MAX_MEMBERS:
            raise DomainError(
                "文件结构异常（包含的部件过多），不是普通的台账表格。", code="file_unpacked", field="file"
            )
        total = sum(m.file_size for m in members)
        if total > IMPORT_MAX_UNPACKED:
            raise DomainError(
                f"文件解压后过大（约 {total / MB:.0f} MB，上限 {IMPORT_MAX_UNPACKED // MB} MB）。"
                "表格中可能有大量空行或超长内容，请只保留台账数据，另存后再导入。",
                code="file_unpacked",
                field="file",
            )
        largest = max(members, key=lambda m: m.file_size, default=None)
        if largest is not None and largest.file_size > IMPORT_MAX_PART:
            raise DomainError(
                f"表格内容过大（其中一部分解压后约 {largest.file_size / MB:.0f} MB，上限 "
                f"{IMPORT_MAX_PART // MB} MB），请检查是否有超长单元格或大量空行。",
                code="file_unpacked",
                field="file",
            )
        for member in members:
            if member.filename.lower().endswith((".xml", ".rels")):
                _xml_scan(archive, member)


def _xml_scan(archive, member) -> None:
    """Stream one XML part, holding only the path to the current element, and refuse what openpyxl
    would hold whole: too many elements in a part (styles, strings, rows), or one row of countless
    cells. Takes about a second for the largest part allowed."""
    row_tag, cell_tag = SHEET_NS + "row", SHEET_NS + "c"
    open_elements, elements, cells = [], 0, 0
    try:
        with archive.open(member) as source:
            # expat ≥ 2.4 refuses entity-expansion bombs and etree fetches no external entity; sizes are capped above
            for event, element in iterparse(source, events=("start", "end")):  # noqa: S314
                if event == "start":
                    open_elements.append(element)
                    elements += 1
                    if element.tag == row_tag:
                        cells = 0
                    elif element.tag == cell_tag:
                        cells += 1
                    if elements > PART_MAX_ELEMENTS or cells > ROW_MAX_CELLS:
                        raise DomainError(
                            "表格结构异常（单元格或格式数量远超台账所需），请只保留台账数据，另存后再导入。",
                            code="file_unpacked",
                            field="file",
                        )
                else:
                    open_elements.pop()
                    if open_elements:
                        open_elements[-1].clear()  # forget what has been counted
    except (ParseError, zipfile.BadZipFile, OSError, EOFError, ValueError, UnicodeDecodeError):
        raise DomainError("无法读取该 Excel 文件，请确认文件未损坏。", code="file_unreadable", field="file") from None


def _cell_text(cell, header, errors) -> str:
    raw = getattr(cell, "value", None)
    if raw is None:
        return ""
    if getattr(cell, "data_type", None) == "f" or (isinstance(raw, str) and raw.startswith(FORMULA_PREFIXES)):
        errors.append(f"“{header}”以公式符号（=、+、-、@）开头")
        return ""
    if isinstance(raw, float) and raw.is_integer():
        return str(int(raw))
    text = str(raw).strip()
    if len(text) > CELL_MAX_CHARS:
        errors.append(f"“{header}”超过 {CELL_MAX_CHARS} 字（当前 {len(text)} 字）")
        return text[:CELL_MAX_CHARS]
    if "\x00" in text:
        errors.append(f"“{header}”含有无效字符（空字符）")
        return text.replace("\x00", "")
    return text


def import_rows_read(upload) -> list[ImportRow]:
    """Parse an uploaded ledger. Raises DomainError for a file that cannot be taken at all;
    otherwise every data row comes back, with `errors` filled for the ones to refuse."""
    name = PurePath(upload.name or "").name
    if PurePath(name).suffix.lower() != ".xlsx":
        raise DomainError("请上传 .xlsx 格式的 Excel 文件（可先下载模板）。", code="file_type", field="file")
    if upload.size > IMPORT_MAX_BYTES:
        raise DomainError(f"文件不能超过 {IMPORT_MAX_BYTES // MB} MB。", code="file_size", field="file")
    head = upload.read(4)
    upload.seek(0)
    if head != b"PK\x03\x04":
        raise DomainError("文件不是有效的 .xlsx 文件。", code="file_type", field="file")
    data = upload.read(IMPORT_MAX_BYTES + 1)
    upload.seek(0)
    _archive_check(data)
    try:
        wb = load_workbook(BytesIO(data), read_only=True, data_only=False)
    except Exception:  # openpyxl raises many kinds on a damaged file
        raise DomainError("无法读取该 Excel 文件，请确认文件未损坏。", code="file_unreadable", field="file") from None
    try:
        return _rows_read(wb)
    except DomainError:
        raise
    except Exception:  # a damaged sheet found while streaming (bad XML, a lying zip entry)
        raise DomainError("无法读取该 Excel 文件，请确认文件未损坏。", code="file_unreadable", field="file") from None
    finally:
        wb.close()


def _rows_read(wb) -> list[ImportRow]:
    if not wb.worksheets:
        raise DomainError("表格是空的。", code="empty", field="file")
    ws = wb.worksheets[0]
    header_row = next(ws.iter_rows(min_row=1, max_row=1, max_col=IMPORT_MAX_COLUMNS), None)
    if header_row is None:
        raise DomainError("表格是空的。", code="empty", field="file")
    columns = {}
    for idx, cell in enumerate(header_row):
        key = _header_key(cell.value)[:20]
        if key in HEADERS:
            columns[idx] = key
    missing = [h for h in REQUIRED if h not in columns.values()]
    if missing:
        raise DomainError(f"第1行缺少表头：{'、'.join(missing)}（可下载模板对照）。", code="headers", field="file")
    # One row past the limit is read only to learn that there is one; openpyxl stops there, and the
    # rows a sheet skips (row r=170000000 right after row 2) are counted as the blank rows they are.
    last = IMPORT_MAX_ROWS + 1
    out = []
    rows = ws.iter_rows(min_row=2, max_row=last + 1, max_col=max(columns) + 1)
    for line, row in enumerate(rows, start=2):
        if line > last:
            raise DomainError(
                f"一次最多导入 {IMPORT_MAX_ROWS} 行（空行也计入），请删除多余的空行或分批导入。",
                code="too_many",
                field="file",
            )
        values, errors = {}, []
        for idx, header in columns.items():
            cell = row[idx] if idx < len(row) else None
            values[HEADERS[header]] = _cell_text(cell, header, errors)
        if not any(values.values()) and not errors:
            continue  # a blank line
        if not values.get("name") and not any("社区名称" in e for e in errors):
            errors.append("社区名称为空")
        label = values.get("renovation", "")
        if label:
            if label not in RENOVATION_BY_LABEL:
                errors.append(f"老旧小区改造应为：{'、'.join(RENOVATION_BY_LABEL)}")
            else:
                values["renovation"] = RENOVATION_BY_LABEL[label]
        else:
            values["renovation"] = Renovation.NONE
        out.append(ImportRow(line=line, values=values, errors=errors))
    return out


def safe_cell(value):
    """Text a spreadsheet would run as a formula gets a leading apostrophe, so it stays text."""
    if isinstance(value, str) and value.startswith(FORMULA_PREFIXES):
        return "'" + value
    return value


def _save(wb) -> bytes:
    buf = BytesIO()
    wb.save(buf)
    return buf.getvalue()


def import_template(unit_name: str = "贵阳市", county: str = "云岩区") -> bytes:
    """The import workbook with one example row, naming a reporting unit of the user's own province."""
    wb = Workbook()
    ws = wb.active
    ws.title = "社区台账"
    ws.append(list(HEADERS))
    ws.append([unit_name, "示例社区", county, "示例社区居民委员会", "示例小区", "正在改造"])
    for col in "ABCDEF":
        ws.column_dimensions[col].width = 18
    return _save(wb)


def annex2_workbook(table: dict, *, title: str, note: str) -> bytes:
    """附件2 绿色社区建设任务完成情况汇总表, one sheet, laid out as in the seed."""
    wb = Workbook()
    ws = wb.active
    ws.title = "附件2"
    years = table["years"]
    ws.append([safe_cell(title)])
    ws["A1"].font = Font(bold=True, size=14)
    ws.append([safe_cell(f"填报单位：{table['unit'].name}")])
    header = ["县（市、区）"]
    for y in years:
        header += [f"{y}年绿色社区名单", f"{y}年完成数量", f"{y}年完成比例"]
    header.append("合计完成比例")
    ws.append(header)
    for row in table["rows"]:
        line = [safe_cell(row["county"])]
        for cell in row["cells"]:
            line += [safe_cell("、".join(cell["names"])), cell["count"], cell["ratio"]]
        line.append(row["overall"])
        ws.append(line)
    total = ["地区合计"]
    for t in table["totals"]:
        total += ["/", t["count"], t["ratio"]]
    total.append(table["overall"])
    ws.append(total)
    ws.append([safe_cell(note)])
    for r in ws.iter_rows(min_row=4, max_row=ws.max_row - 1):
        for c in r:
            if isinstance(c.value, float):
                c.number_format = "0.0%"
            c.alignment = Alignment(wrap_text=True, vertical="top")
    ws.column_dimensions["A"].width = 16
    for i in range(len(years)):
        ws.column_dimensions[chr(ord("B") + 3 * i)].width = 40
    return _save(wb)
