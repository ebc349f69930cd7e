"""Documents for people who never log in: the ledger (台账) as Excel and the quarterly 情况通报.
Every spreadsheet goes through core.exports (no cell a user typed can start a formula)."""

from datetime import date

from core.exports import xlsx_bytes

from .selectors import Filters, Quarter, dashboard, drill

LEDGER_HEADERS = ["序号", "类别", "事项", "责任单位", "分工", "时限", "状态", "预警", "完成时间", "是否逾期"]


def ledger_xlsx(filters: Filters, *, today: date | None = None) -> tuple[bytes, str]:
    """The list behind the current filters, every row (no page limit), as the office's 台账."""
    data = drill(filters, today=today, limit=None)
    rows = []
    for n, r in enumerate(data["rows"], start=1):
        rows.append([n, r["kind"], r["title"], r["unit"], r["role"], r["due"], r["status"], r["colour_label"],
                     r["done_at"].strftime("%Y-%m-%d %H:%M") if r["done_at"] else "", "是" if r["late"] else ""])
    scope = "、".join(x for x in [data["unit_name"], data["quarter"].label if data["quarter"] else "",
                                    data["metric_label"]] if x)
    title = "督办事项和报送任务台账"
    content = xlsx_bytes(title=title, headers=LEDGER_HEADERS, rows=rows,
                         subtitle=f"范围：{scope}　导出日期：{data['today']:%Y年%m月%d日}　共 {data['total']} 条",
                         widths=[6, 10, 40, 18, 14, 12, 12, 12, 18, 10])
    return content, f"台账-{data['today']:%Y%m%d}.xlsx"


def notice_context(quarter: Quarter, *, today: date | None = None) -> dict:
    """The drafted 情况通报: numbers of the quarter and the units to be named, in the order an office
    writes it (总体情况 → 按时办结率 → 逾期单位 → 下一步要求)."""
    data = dashboard(today=today)
    rows = data["member_rows"] + data["reporting_rows"]
    q = quarter.code
    due = sum(r.quarters.get(q, {}).get("due", 0) for r in rows)
    ontime = sum(r.quarters.get(q, {}).get("ontime", 0) for r in rows)
    units = [{"name": r.name, "kind": r.kind, **r.quarters[q], "overdue": r.counts["overdue"], "red": r.counts["red"]}
             for r in rows if q in r.quarters]
    late_units = [u for u in units if u["late"]]
    full_units = [u for u in units if u["due"] and not u["late"]]
    return {"quarter": quarter, "data": data, "due": due, "ontime": ontime, "late": due - ontime,
            "rate": round(100 * ontime / due, 1) if due else None, "units": units, "late_units": late_units,
            "full_units": full_units, "still_overdue": [u for u in units if u["overdue"]],
            "in_range": q in {x.code for x in data["quarters"]}}
