"""会议纪要 as a Word document in the official layout (core.documents): the same text as the printable
page, for the office to finish and issue in Word or WPS."""

from core.documents import OfficialDocument


def minutes_docx(minutes) -> tuple[bytes, str]:
    meeting = minutes.meeting
    organ = meeting.mechanism.name
    doc = OfficialDocument(
        issuer=organ, kind="会议纪要", doc_number=minutes.doc_number or "（文号待定）", title=minutes.title
    )
    if minutes.status != "issued":
        doc.paragraph("（征求意见稿，未印发）", indent=False)
    opening = f"{meeting.starts_at:%Y年%-m月%-d日}，{meeting.chair}在{meeting.place}主持召开{meeting.title}。"
    doc.paragraph(opening + (minutes.summary or "").replace("\r\n", "\n").split("\n")[0])
    for line in (minutes.summary or "").replace("\r\n", "\n").split("\n")[1:]:
        if line.strip():
            doc.paragraph(line.strip())
    doc.paragraph("会议议定事项如下：")
    for m in minutes.matters.prefetch_related("unit_roles__unit"):
        units = "、".join(u.name for u in m.lead_units) + "牵头"
        if m.participating_units:
            units += "，" + "、".join(u.name for u in m.participating_units) + "参与"
        doc.paragraph(
            f"{m.number_cn}、{m.content}由{units}，{m.due_date:%Y年%-m月%-d日}前完成（完成标准：{m.done_criteria}）。"
        )
    attended = meeting.meeting_units.filter(attended=True).select_related("unit")
    names = "、".join(mu.unit.name + (f"（{mu.attendees}）" if mu.attendees else "") for mu in attended)
    doc.paragraph(f"出席单位：{names}", indent=False)
    guests = list(meeting.guests.filter(attended=True))
    if guests:
        doc.paragraph("列席：" + "、".join(str(g) for g in guests), indent=False)
    issued = minutes.issued_at
    doc.signature(f"{organ}办公室", f"{issued:%Y年%-m月%-d日}" if issued else "")
    return doc.to_bytes(), f"{minutes.doc_number or '会议纪要'}-{minutes.title}.docx"
