"""The evaluation as an Excel sheet (core.exports: no cell a unit typed becomes a formula) and as a
Word document in the official layout (core.documents, GB/T 9704), the annual report's draft: the
results, then the good practice of the year and the praised ones."""

from datetime import date
from decimal import Decimal

from core.documents import OfficialDocument
from core.exports import xlsx_bytes

from .rules import INDICATORS, indicator_codes
from .scoring import applies
from .selectors import practices_between

MARK_ORDER = ("excellent", "good", "fair", "poor")


def _indicators(evaluation) -> list[str]:
    return indicator_codes(evaluation.rules)


def _figures_text(score) -> str:
    f = score.figures
    marks = "、".join(
        f"{label}{f['marks'].get(code, 0)}" for code, label in zip(MARK_ORDER, "优良中差") if f["marks"].get(code)
    )
    text = f"应完成 {f['due']}，按时 {f['ontime']}，逾期 {f['overdue_days']} 天，退回修改 {f['returns']} 次" + (
        f"，质量评定 {marks}" if marks else ""
    )
    if score.kind == "mu" and "matters_done" in score.evaluation.rules["indicators"]:
        text += f"，议定事项 {f['matters_done']}/{f['matters_due']}"
    return text


def rows(evaluation, scores) -> tuple[list[str], list[list]]:
    codes = _indicators(evaluation)
    headers = [
        "排名",
        "类别",
        "单位",
        *[f"{INDICATORS[c]}（{evaluation.rules['indicators'][c]['weight']}）" for c in codes],
        "核算得分",
        "调整分",
        "最终得分",
        "等次",
        "统计数",
    ]
    out = []
    for s in scores:
        out.append(
            [
                s.rank,
                s.get_kind_display(),
                s.name,
                *[float(Decimal(s.parts[c])) if applies(c, s.kind) else "不适用" for c in codes],
                float(s.computed),
                float(s.adjustment),
                float(s.final),
                s.grade,
                _figures_text(s),
            ]
        )
    return headers, out


def evaluation_xlsx(evaluation, scores) -> tuple[bytes, str]:
    headers, data = rows(evaluation, scores)
    content = xlsx_bytes(
        title=evaluation.title,
        headers=headers,
        rows=data,
        subtitle=(
            f"状态：{evaluation.get_status_display()}　规则版本：{evaluation.config_version}"
            f"　统计截至：{evaluation.as_of:%Y年%m月%d日}（不含当日）"
        ),
        widths=[6, 10, 18] + [12] * len(_indicators(evaluation)) + [10, 8, 10, 8, 50],
    )
    return content, f"{evaluation.year}年度考评结果.xlsx"


def evaluation_docx(evaluation, scores, *, today: date) -> tuple[bytes, str]:
    mechanism = evaluation.mechanism
    doc = OfficialDocument(
        issuer=f"{mechanism.name}办公室",
        doc_number=f"〔{today.year}〕　号",
        title=f"关于{evaluation.year}年度考评结果的通报",
    )
    rules = evaluation.rules
    weights = "、".join(f"{INDICATORS[c]}{rules['indicators'][c]['weight']}分" for c in indicator_codes(rules))
    doc.heading("一、考评方式")
    doc.paragraph(
        f"根据联席会议考评规则（版本 {evaluation.config_version}），以平台记录的报送任务、督办事项和会议议定事项为依据，"
        f"对参评单位{evaluation.year}年度工作进行考评，满分 {rules['full_marks']} 分，其中{weights}。"
        "市州不承担议定事项的，按其余指标折算。"
    )
    doc.heading("二、考评结果")
    for kind, label in (("mu", "成员单位"), ("ru", "市州")):
        group = [s for s in scores if s.kind == kind]
        if not group:
            continue
        best = [s.name for s in group if s.rank == 1]
        doc.paragraph(f"{label}共 {len(group)} 个参评，{'、'.join(best)}得分最高。")
        doc.table(["排名", "单位", "得分", "等次"], [[s.rank, s.name, f"{s.final}", s.grade] for s in group])
    adjusted = [s for s in scores if s.adjustment]
    if adjusted:
        doc.paragraph(
            "经联席会议办公室核定，对"
            + "、".join(f"{s.name}（{'+' if s.adjustment > 0 else ''}{s.adjustment} 分）" for s in adjusted)
            + "的得分作了调整，理由见考评台账。"
        )
    practice = practices_between(evaluation.mechanism_id, date(evaluation.year, 1, 1), date(evaluation.year, 12, 31))
    doc.heading("三、经验做法和通报表扬")
    if practice["praised"]:
        doc.paragraph(
            "对以下单位的经验做法予以通报表扬："
            + "；".join(f"{p.unit_name + '“' if p.unit_name else '“'}{p.title}”" for p in practice["praised"])
            + "。"
        )
    for p in practice["praised"] + practice["collected"]:
        doc.heading(f"{p.unit_name}：{p.title}" if p.unit_name else p.title, level=2)
        doc.paragraph(p.text[:800] + ("……" if len(p.text) > 800 else ""))
    if not practice["praised"] and not practice["collected"]:
        doc.paragraph("本年度尚未收集经验做法。")
    doc.heading("四、下一步工作要求")
    doc.paragraph(
        "请各单位对照考评结果查找差距，逐项抓好整改；得分较低的单位要分析原因、明确措施，"
        "联席会议办公室将在下一年度考评中跟踪反映整改情况。"
    )
    doc.signature(f"{mechanism.name}办公室", f"{today.year}年{today.month}月{today.day}日")
    return doc.to_bytes(), f"{evaluation.year}年度考评结果.docx"
