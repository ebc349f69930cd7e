from datetime import date
from io import BytesIO

from openpyxl import load_workbook

from core.exports import safe_cell, xlsx_bytes


def test_typed_formulas_are_defused():
    for text in ('=HYPERLINK("http://x")', "+1+1", "-2", "@SUM(A1)", "\t=1"):
        assert safe_cell(text) == "'" + text
    assert safe_cell("正常文字") == "正常文字" and safe_cell(3) == 3 and safe_cell(None) == ""


def test_workbook_has_no_formula_and_keeps_values():
    data = xlsx_bytes(
        title="台账",
        headers=["名称", "数量", "日期"],
        rows=[["=1+1", 2, date(2026, 1, 5)], ["@cmd", -3, None]],
        subtitle="截至 2026-11-23",
    )
    ws = load_workbook(BytesIO(data)).active
    assert ws["A1"].value == "台账" and ws["A3"].value == "名称"
    assert ws["A4"].value == "'=1+1" and ws["A4"].data_type == "s"
    assert ws["B4"].value == 2 and ws["B5"].value == -3
    assert ws["C4"].value.date() == date(2026, 1, 5)
    for row in ws.iter_rows():
        for cell in row:
            assert cell.data_type != "f"


def test_one_upload_check_for_every_app():
    import pytest
    from django.core.files.uploadedfile import SimpleUploadedFile

    from core.errors import DomainError
    from core.uploads import upload_check

    assert upload_check(SimpleUploadedFile("报告.pdf", b"%PDF-1.7 ...")) == "报告.pdf"
    for upload, fragment in [
        (SimpleUploadedFile("x.exe", b"MZ"), "不支持的文件类型"),
        (SimpleUploadedFile("x.pdf", b""), "是空的"),
        (SimpleUploadedFile("x.pdf", b"<html>"), "内容与扩展名"),
        (SimpleUploadedFile("x.pdf", b"%PDF" + b"0" * (20 * 1024 * 1024)), "不能超过 20 MB"),
        (SimpleUploadedFile("名" * 118 + ".pdf", b"%PDF"), "文件名不能超过"),
    ]:
        with pytest.raises(DomainError, match=fragment):
            upload_check(upload)
