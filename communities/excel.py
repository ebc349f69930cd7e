"""Excel in and out (openpyxl). Reading checks the file before trusting it and reports each refused
row in Chinese; writing never lets a cell start with a formula character."""

from io import BytesIO
from pathlib import PurePath

from openpyxl import Workbook, load_workbook
from openpyxl.styles import Alignment, Font

from core.errors import DomainError

from .forms import RENOVATION_BY_LABEL
from .models import FORMULA_PREFIXES, Renovation
from .services import ImportRow

IMPORT_MAX_BYTES = 2 * 1024 * 1024
IMPORT_MAX_ROWS = 5000
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


def import_rows_read(upload) -> list[ImportRow]:
    """Parse an uploaded ledger. Raises DomainError for a file that cannot be taken at all;
    otherwise every data row comes back, with `errors` filled for the ones to refuse."""
    name = PurePath(upload.name or "").name
    if PurePath(name).suffix.lower() != ".xlsx":
        raise DomainError("请上传 .xlsx 格式的 Excel 文件（可先下载模板）。", code="file_type", field="file")
    if upload.size > IMPORT_MAX_BYTES:
        raise DomainError("文件不能超过 2 MB。", code="file_size", field="file")
    head = upload.read(4)
    upload.seek(0)
    if head != b"PK\x03\x04":
        raise DomainError("文件不是有效的 .xlsx 文件。", code="file_type", field="file")
    try:
        wb = load_workbook(BytesIO(upload.read()), read_only=True, data_only=False)
    except Exception:  # openpyxl raises many kinds on a damaged file
        raise DomainError("无法读取该 Excel 文件，请确认文件未损坏。", code="file_unreadable", field="file") from None
    try:
        ws = wb.worksheets[0]
        rows = ws.iter_rows()
        header_row = next(rows, None)
        if header_row is None:
            raise DomainError("表格是空的。", code="empty", field="file")
        columns = {}
        for idx, cell in enumerate(header_row):
            key = _header_key(cell.value)
            if key in HEADERS:
                columns[idx] = key
        missing = [h for h in REQUIRED if h not in columns.values()]
        if missing:
            raise DomainError(f"第1行缺少表头：{'、'.join(missing)}（可下载模板对照）。", code="headers", field="file")
        out = []
        for line, row in enumerate(rows, start=2):
            values, errors = {}, []
            for idx, header in columns.items():
                cell = row[idx] if idx < len(row) else None
                raw = getattr(cell, "value", None)
                if raw is None:
                    text = ""
                elif getattr(cell, "data_type", None) == "f" or (isinstance(raw, str) and raw.startswith(FORMULA_PREFIXES)):
                    errors.append(f"“{header}”以公式符号（=、+、-、@）开头")
                    text = ""
                elif isinstance(raw, float) and raw.is_integer():
                    text = str(int(raw))
                else:
                    text = str(raw).strip()
                values[HEADERS[header]] = text
            if not any(values.values()) and not errors:
                continue  # a blank line
            if len(out) >= IMPORT_MAX_ROWS:
                raise DomainError(f"一次最多导入 {IMPORT_MAX_ROWS} 行，请分批导入。", code="too_many", field="file")
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
    finally:
        wb.close()


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
