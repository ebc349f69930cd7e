"""通报: the office tells every member unit where the agreed matters stand."""

from django.db import transaction
from django.utils import timezone

from core.services import audit_record
from deadlines.events import event_notify
from members.selectors import mechanism_for

from ..models import ProgressNotice
from ..notify import all_unit_users
from .common import _require_office

# --- follow-up ----------------------------------------------------------------------------------------


@transaction.atomic
def notice_send(*, by) -> ProgressNotice:
    """通报: the office sends every member unit the status of the agreed matters still open."""
    from ..selectors import matter_status, matters_open

    _require_office(by, "发送情况通报")
    mechanism = mechanism_for(by)
    today = timezone.localdate()
    lines = []
    for m in matters_open(mechanism):
        status = matter_status(m, today)
        leads = "、".join(u.name for u in m.lead_units)
        lines.append(
            f"{m.minutes.doc_number} 第{m.number_cn}条：{m.content[:60]}（牵头单位：{leads}；"
            f"时限：{m.due_date:%Y年%-m月%-d日}；状态：{status['label']}）"
        )
    body = f"截至{today:%Y年%-m月%-d日}，联席会议议定事项落实情况如下：\n" + (
        "\n".join(f"{i}. {line}" for i, line in enumerate(lines, 1)) if lines else "议定事项均已办结。"
    )
    users = all_unit_users(mechanism)
    notice = ProgressNotice.objects.create(
        mechanism=mechanism,
        title=f"议定事项落实情况通报（{today:%Y年%-m月%-d日}）",
        body=body,
        created_by=by,
        recipients=len(users),
    )
    audit_record(actor=by, action="notice.send", obj=notice, changes={"open_matters": len(lines)})
    event_notify(event="notice", obj=notice, by=by)
    return notice
