"""The inspection's report (督导检查情况报告) as a Word document in the official layout (core.documents)."""

from django.utils import timezone

from core.documents import OfficialDocument


def inspection_docx(inspection, findings) -> tuple[bytes, str]:
    organ = inspection.mechanism.name
    doc = OfficialDocument(issuer=organ, kind="督导检查情况报告", doc_number="", title=f"{inspection.title}情况报告")
    when = (
        f"{inspection.starts_on:%Y年%-m月%-d日}"
        if inspection.starts_on == inspection.ends_on
        else f"{inspection.starts_on:%Y年%-m月%-d日}至{inspection.ends_on:%Y年%-m月%-d日}"
    )
    team = "、".join(str(u) for u in inspection.team.all())
    doc.paragraph(
        f"{when}，联席会议督导检查组（组长：{inspection.leader}；成员：{team}）赴{inspection.place}开展督导检查。"
        + (inspection.purpose or "")
    )
    doc.heading("一、发现的问题及整改情况")
    total, closed = inspection.findings_count, inspection.closed_count
    rate = f"{closed / total:.0%}" if total else "—"
    doc.paragraph(
        f"本次检查共发现问题 {total} 个，已整改销号 {closed} 个，整改完成率 {rate}"
        f"（截至{timezone.localdate():%Y年%-m月%-d日}）。"
    )
    doc.table(
        ["序号", "问题", "整改牵头单位", "整改时限", "状态"],
        [
            [
                f.number,
                f.description,
                f.lead_unit.name if f.lead_unit_id else "—",
                f"{f.due_date:%Y-%m-%d}" if f.due_date else "—",
                f.get_status_display(),
            ]
            for f in findings
        ],
    )
    doc.heading("二、检查结论")
    doc.paragraph(inspection.conclusion or "（检查尚未结束）")
    doc.signature(f"{organ}办公室", f"{timezone.localdate():%Y年%-m月%-d日}")
    return doc.to_bytes(), f"{inspection.title}情况报告.docx"
