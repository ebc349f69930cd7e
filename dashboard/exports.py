"""Documents for people who never log in: the ledger (台账) as Excel and the quarterly 情况通报.
Every spreadsheet goes through core.exports (no cell a user typed can start a formula)."""

from datetime import date

from core.exports import xlsx_bytes
from evaluation.selectors import practices_between

from .selectors import Filters, Quarter, dashboard, drill

LEDGER_HEADERS = ["序号", "类别", "事项", "责任单位", "分工", "时限", "状态", "预警", "完成时间", "是否逾期"]


def ledger_xlsx(filters: Filters, *, today: date | None = None) -> tuple[bytes, str]:
    """The list behind the current filters, every row (no page limit), as the office's 台账."""
    data = drill(filters, today=today, limit=None)
    rows = []
    for n, r in enumerate(data["rows"], start=1):
        rows.append(
            [
                n,
                r["kind"],
                r["title"],
                r["unit"],
                r["role"],
                r["due"],
                r["status"],
                r["colour_label"],
                r["done_at"].strftime("%Y-%m-%d %H:%M") if r["done_at"] else "",
                "是" if r["late"] else "",
            ]
        )
    scope = "、".join(
        x for x in [data["unit_name"], data["quarter"].label if data["quarter"] else "", data["metric_label"]] if x
    )
    title = "督办事项和报送任务台账"
    content = xlsx_bytes(
        title=title,
        headers=LEDGER_HEADERS,
        rows=rows,
        subtitle=f"范围：{scope}　导出日期：{data['today']:%Y年%m月%d日}　共 {data['total']} 条",
        widths=[6, 10, 40, 18, 14, 12, 12, 12, 18, 10],
    )
    return content, f"台账-{data['today']:%Y%m%d}.xlsx"


def notice_context(quarter: Quarter, *, today: date | None = None) -> dict:
    """The drafted 情况通报: numbers of the quarter and the units to be named, in the order an office
    writes it (总体情况 → 按时办结率 → 经验做法和通报表扬 (evaluation's good practice) → 逾期单位 → 下一步要求)."""
    data = dashboard(today=today)
    rows = data["member_rows"] + data["reporting_rows"]
    q = quarter.code
    due = sum(r.quarters.get(q, {}).get("due", 0) for r in rows)
    ontime = sum(r.quarters.get(q, {}).get("ontime", 0) for r in rows)
    units = [
        {"name": r.name, "kind": r.kind, **r.quarters[q], "overdue": r.counts["overdue"], "red": r.counts["red"]}
        for r in rows
        if q in r.quarters
    ]
    late_units = [u for u in units if u["late"]]
    mechanism = data.get("mechanism")
    practice = (
        practices_between(mechanism.pk, quarter.start, quarter.end)
        if mechanism is not None
        else {"praised": [], "collected": []}
    )
    full_units = [u for u in units if u["due"] and not u["late"]]
    return {
        "quarter": quarter,
        "data": data,
        "due": due,
        "ontime": ontime,
        "late": due - ontime,
        "rate": round(100 * ontime / due, 1) if due else None,
        "units": units,
        "late_units": late_units,
        "full_units": full_units,
        "still_overdue": [u for u in units if u["overdue"]],
        "in_range": q in {x.code for x in data["quarters"]},
        "practice": practice,
    }


def notice_docx(context: dict, *, mechanism_name: str) -> tuple[bytes, str]:
    """The drafted 情况通报 as a Word document in the official layout (core.documents), the same text as
    the printable page, for the office to finish, number and issue."""
    from core.documents import OfficialDocument

    quarter, today = context["quarter"], context["data"]["today"]
    doc = OfficialDocument(
        issuer=f"{mechanism_name}办公室",
        doc_number=f"〔{today.year}〕　号",
        title=f"关于{quarter.label}督办工作情况的通报",
    )
    doc.heading("一、总体情况")
    if context["due"]:
        rate = f"，按时办结率 {context['rate']}%" if context["rate"] is not None else ""
        doc.paragraph(
            f"{quarter.label}，各成员单位和市州到期应办结的督办事项和报送任务共 {context['due']} 项，"
            f"按时办结 {context['ontime']} 项，逾期办结或尚未办结 {context['late']} 项{rate}。"
        )
    else:
        doc.paragraph(f"{quarter.label}，各成员单位和市州没有到期应办结的督办事项和报送任务。")
    doc.heading("二、按时办结情况")
    full = context["full_units"]
    if not context["due"]:
        doc.paragraph("本季度没有到期应办结的事项，不作按时办结通报。")
    elif full:
        doc.paragraph(f"{'、'.join(u['name'] for u in full)}等 {len(full)} 个单位全部按时办结，予以通报表扬。")
    else:
        doc.paragraph("本季度没有全部按时办结的单位。")
    doc.table(
        ["序号", "单位", "应办结", "按时办结", "逾期或未办结", "按时办结率"],
        [
            [n, u["name"], u["due"], u["ontime"], u["late"], "—" if u["rate"] is None else f"{u['rate']}%"]
            for n, u in enumerate(context["units"], start=1)
        ],
    )
    doc.heading("三、经验做法和通报表扬")
    practice = context["practice"]
    if practice["praised"]:
        doc.paragraph(
            "对以下经验做法予以通报表扬：" + "；".join(f"{p.unit_name}“{p.title}”" for p in practice["praised"]) + "。"
        )
    for p in practice["praised"] + practice["collected"]:
        doc.heading(f"{p.unit_name}：{p.title}" if p.unit_name else p.title, level=2)
        doc.paragraph(p.text[:600] + ("……" if len(p.text) > 600 else ""))
    if not practice["praised"] and not practice["collected"]:
        doc.paragraph("本季度未收集经验做法。")
    doc.heading("四、存在的问题")
    late = context["late_units"]
    if late:
        text = "、".join(f"{u['name']}（{u['late']} 项）" for u in late) + "存在逾期办结或未办结的情况。"
        if context["still_overdue"]:
            text += f"截至通报日，{'、'.join(u['name'] for u in context['still_overdue'])}仍有逾期未办结事项。"
        doc.paragraph(text)
    else:
        doc.paragraph("本季度未发现逾期情况。")
    doc.heading("五、下一步工作要求")
    doc.paragraph(
        "请各有关单位对照督办事项和报送任务清单，逐项抓好落实，按时反馈办理情况；确需延期的，按程序提出延期申请。"
        "联席会议办公室将持续跟踪督办，并在下季度通报中反映整改情况。"
    )
    doc.signature(f"{mechanism_name}办公室", f"{today.year}年{today.month}月{today.day}日")
    return doc.to_bytes(), f"情况通报-{quarter.label}.docx"
