"""The .docx documents open in an office suite: LibreOffice (headless) lays them out as PDF pages."""

import re
import shutil
import subprocess

import pytest

from core.documents import OfficialDocument

SOFFICE = shutil.which("soffice") or shutil.which("libreoffice")


def test_an_official_document_converts_to_pdf(tmp_path):
    if not SOFFICE:
        pytest.skip("LibreOffice is not installed (apt-get install libreoffice-writer-nogui)")
    doc = OfficialDocument(
        issuer="贵州省绿色社区创建行动联席会议办公室",
        doc_number="〔2026〕　号",
        title="关于2026年第三季度督办工作情况的通报",
    )
    doc.heading("一、总体情况")
    for n in range(40):  # long enough for a second page, so the page numbers are laid out twice
        doc.paragraph(f"第{n + 1}段：各成员单位按照工作方案分工，逐项抓好落实，按时反馈办理情况。")
    doc.table(["序号", "单位", "应办结"], [[1, "省民政厅", 3], [2, "省公安厅", 2]])
    doc.signature("贵州省绿色社区创建行动联席会议办公室", "2026年10月8日")
    source = tmp_path / "通报.docx"
    source.write_bytes(doc.to_bytes())
    subprocess.run(
        [
            SOFFICE,
            "--headless",
            "--norestore",
            f"-env:UserInstallation=file://{tmp_path}/profile",
            "--convert-to",
            "pdf",
            "--outdir",
            str(tmp_path),
            str(source),
        ],
        check=True,
        capture_output=True,
        timeout=120,
    )
    pdf = (tmp_path / "通报.pdf").read_bytes()
    assert pdf.startswith(b"%PDF")
    assert len(re.findall(rb"/Type\s*/Page[^s]", pdf)) >= 2
