"""The event catalogue: every state change that asks someone to act, or that they must know of, and
who is told of it — declared once, here.

A service that makes such a change calls `event_notify(event=..., obj=..., by=..., ...)` in its own
transaction; the rows go into the outbox (`deadlines.reminders.notify`) and are sent on commit. Each
event names

- a Chinese label (what 我的通知 shows as the kind),
- its urgency ('urgent' | 'normal' | 'info'), from which each person's channels follow
  (`deadlines.reminders.channels_for`),
- who is told, as a rule made of the parts in `WHO` (the caller hands over the units or accounts the
  part stands for; a part the event does not declare is refused, so nobody outside the rule is told),
- whether it is unit-level (it also goes to the units' group channels, `reminders.notify_units`),
- the title and body templates and the page it links to.

The actor is never told of their own action. docs/notifications.md renders this table; a test checks
that every event here is emitted by some service. This module knows only `members` (who) and the
outbox: the apps above pass their objects in, and the templates read attributes off them."""

from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.urls import reverse
from django.utils import timezone

from members.models import OFFICE_ROLES, MemberUnit, Role, RoleAssignment
from members.selectors import (
    divisions_recipient_users,
    mechanism_id_current,
    mechanism_id_for,
    reporting_units_users,
    units_recipient_users,
)

from .models import Message
from .reminders import _DEFAULT_CHANNELS, notify, notify_addresses, notify_units

URGENCY_LABELS = {"urgent": "紧急", "normal": "一般", "info": "知悉"}

# Who a rule part stands for (the docs' words), and what the caller passes for it.
WHO = {
    "units": "所涉成员单位的联络员（B角代岗时为B角；无联络员账号时为成员；设统筹处室的单位为该处室的）",  # units=[MemberUnit | id]
    "divisions": "所涉处室的联络员（无联络员账号时为处室成员）",  # divisions=[Division | id]
    "reporting_units": "所涉市州的报送用户",  # reporting_units=[ReportingUnit | id]
    # The tree below a prefecture (deadlines.cascade): both are passed as reporting_units=[...].
    "counties": "所涉县（市、区）的报送用户",
    "prefecture": "所属市州的报送用户",
    "all_units": "全部成员单位的联络员",  # nothing
    "deciders": "召集人、副召集人",  # nothing
    "office": "联席会议办公室",  # nothing
    "people": "相关人员（提出人）",  # users=[User]
}


@dataclass(frozen=True)
class Event:
    code: str  # the outbox kind (Message.kind), stable
    label: str  # Chinese, shown in 我的通知
    urgency: str  # 'urgent' | 'normal' | 'info'
    who: tuple  # parts of WHO
    title: str  # str.format templates over obj, unit, reason_line and the caller's context
    body: str
    link: tuple = ()  # (url name, attribute of obj giving its argument)
    unit_level: bool = False
    note: str = ""  # for the docs: when exactly it fires


_ITEM = ("items:detail", "pk")
EVENTS: dict[str, Event] = {
    e.code: e
    for e in [
        # --- supervised items (tasks / workflow) ---
        Event(
            "dispatched",
            "交办",
            "normal",
            ("units",),
            "【交办】{obj.title}",
            "联席会议办公室交办督办事项“{obj.title}”，办理时限 {obj.due_date:%Y年%-m月%-d日}，请及时签收办理。",
            _ITEM,
            unit_level=True,
            note="交办督办事项（含纪要印发后议定事项的交办）：每个牵头、配合单位",
        ),
        Event(
            "rerouted",
            "改派交办",
            "normal",
            ("units",),
            "【改派交办】{obj.title}",
            "召集人同意{unit}退回，督办事项“{obj.title}”改由贵单位办理，办理时限 {obj.due_date:%Y年%-m月%-d日}。",
            _ITEM,
            unit_level=True,
            note="退回申请经同意并改派：接手的单位",
        ),
        Event(
            "claimed_late",
            "逾期签收",
            "info",
            ("office",),
            "【逾期签收】{unit}：{obj.title}",
            "{unit}于{when:%Y年%-m月%-d日}签收督办事项“{obj.title}”，已超过该单位的办理时限（{due:%Y年%-m月%-d日}）。",
            _ITEM,
            note="单位在其时限之后才签收",
        ),
        Event(
            "feedback",
            "配合单位反馈",
            "normal",
            ("units",),
            "【反馈】{unit}已反馈：{obj.title}",
            "{unit}已就督办事项“{obj.title}”反馈办理情况，请牵头单位汇总。",
            _ITEM,
            note="配合单位或其他牵头单位反馈：主牵头单位",
        ),
        Event(
            "consolidated",
            "汇总报送待审核",
            "normal",
            ("office",),
            "【待审核】{unit}已汇总报送：{obj.title}",
            "主牵头单位{unit}已汇总报送督办事项“{obj.title}”的办理结果，请审核办结或退回修改。",
            _ITEM,
            note="主牵头单位汇总报送",
        ),
        Event(
            "revision",
            "退回修改",
            "urgent",
            ("units",),
            "【退回修改】{obj.title}",
            "联席会议办公室将督办事项“{obj.title}”的汇总结果退回修改。{reason_line}",
            _ITEM,
            note="办公室退回修改：主牵头单位，附理由",
        ),
        Event(
            "done",
            "办结",
            "info",
            ("units",),
            "【办结】{obj.title}",
            "督办事项“{obj.title}”已办结，感谢各单位配合。",
            _ITEM,
            unit_level=True,
            note="办结：全部承办单位",
        ),
        Event(
            "ext_requested",
            "延期申请待决定",
            "normal",
            ("deciders",),
            "【延期申请】{unit}：{obj.title}",
            "{unit}申请将督办事项“{obj.title}”的办理时限延至 {date:%Y年%-m月%-d日}，请决定。{reason_line}",
            _ITEM,
            note="单位提出延期申请",
        ),
        Event(
            "ext_decided",
            "延期申请决定",
            "normal",
            ("units",),
            "【延期申请{decision}】{obj.title}",
            "召集人对贵单位“{obj.title}”的延期申请作出决定：{decision}。{detail}{reason_line}",
            _ITEM,
            note="召集人同意或不同意延期：申请单位，附理由",
        ),
        Event(
            "return_requested",
            "退回申请待决定",
            "normal",
            ("deciders",),
            "【退回申请】{unit}：{obj.title}",
            "{unit}认为督办事项“{obj.title}”不属本单位职责，申请退回，请决定。{reason_line}",
            _ITEM,
            note="单位提出退回申请",
        ),
        Event(
            "return_decided",
            "退回申请决定",
            "normal",
            ("units",),
            "【退回申请{decision}】{obj.title}",
            "召集人对贵单位“{obj.title}”的退回申请作出决定：{decision}。{detail}{reason_line}",
            _ITEM,
            note="召集人同意（改派）或不同意退回：申请单位，附理由",
        ),
        # --- 二次交办 and 成员审核 inside a unit (tasks.divisions, docs/divisions.md) ---
        Event(
            "part_assigned",
            "二次交办",
            "normal",
            ("divisions",),
            "【二次交办】{unit}：{obj.title}",
            "{unit}将督办事项“{obj.title}”的办理任务交由贵处室办理，处室时限 {due:%Y年%-m月%-d日}。{note_line}",
            _ITEM,
            note="单位联络员（或办公室直接）把本单位任务交给处室：所涉处室",
        ),
        Event(
            "part_submitted",
            "处室反馈",
            "normal",
            ("units",),
            "【处室反馈】{unit}已报送：{obj.title}",
            "{unit}已报送督办事项“{obj.title}”的处室办理情况，请汇总。",
            _ITEM,
            note="处室报送（成员审核通过后）：本单位统筹处室的联络员",
        ),
        Event(
            "part_returned",
            "处室任务退回",
            "urgent",
            ("divisions",),
            "【处室任务{what}】{obj.title}",
            "本单位{what}了贵处室的督办事项“{obj.title}”任务。{reason_line}",
            _ITEM,
            note="单位联络员退回修改或撤回处室任务：该处室，附理由",
        ),
        Event(
            "review_requested",
            "待成员审核",
            "normal",
            ("people",),
            "【待审核】{unit}：{obj.title}",
            "{unit}的联络员已提交督办事项“{obj.title}”的办理情况，请审核通过或退回修改。",
            _ITEM,
            note="成员审核开启时联络员提交：负责审核的成员",
        ),
        Event(
            "review_decided",
            "成员审核结果",
            "normal",
            ("people",),
            "【成员审核{decision}】{obj.title}",
            "您提交的督办事项“{obj.title}”办理情况（{unit}）：{decision}。{reason_line}",
            _ITEM,
            note="成员审核通过或退回：提交的联络员，退回附理由",
        ),
        # --- reports (deadlines) ---
        Event(
            "returned",
            "报送退回修改",
            "urgent",
            ("units", "reporting_units"),
            "【退回修改】{obj}",
            "【退回修改】{obj}被联席会议办公室退回修改。{reason_line}",
            ("deadlines:obligation", "pk"),
            note="办公室退回报送：报送单位（成员单位联络员或市州用户），附理由",
        ),
        Event(
            "accepted",
            "报送已接收",
            "info",
            ("units", "reporting_units"),
            "【已接收】{obj}",
            "{obj}已由联席会议办公室接收。",
            ("deadlines:obligation", "pk"),
            note="办公室接收报送：报送单位",
        ),
        Event(
            "date_moved",
            "截止日期调整",
            "normal",
            ("units", "reporting_units"),
            "【截止日期调整】{obj.title}",
            "{obj.title}的截止日期由 {old:%Y年%-m月%-d日} 调整为 {obj.due_on:%Y年%-m月%-d日}（{why}）。",
            ("deadlines:obligation", "pk"),
            note="办公室录入或修改节假日安排后，未办结报送任务的截止日期随之调整：报送单位",
        ),
        Event(
            "press",
            "催办",
            "urgent",
            ("units", "reporting_units"),
            "催办：{unit}有 {count} 项已逾期",
            "请尽快办理并反馈：{shown}",
            note="一键催办：每个逾期单位（逐项催办见下文）",
        ),
        # --- counties under prefectures (deadlines.cascade) ---
        Event(
            "passed_down",
            "市州分解下发",
            "normal",
            ("counties",),
            "【分解下发】{obj}",
            "{prefecture}将“{obj.title}”分解下发给贵单位，请于 {obj.due_on:%Y年%-m月%-d日} 前报送。{instructions_line}",
            ("deadlines:obligation", "pk"),
            note="市州将本市州的报送任务分解下发：所选的每个县（市、区），附市州的要求",
        ),
        Event(
            "county_submitted",
            "县区已报送",
            "normal",
            ("prefecture",),
            "【县区报送】{county}已报送：{obj.title}",
            "{county}已报送“{obj.title}”，请接收或退回修改；各县（市、区）报齐后汇总报送。",
            note="县（市、区）报送（含退回后重新报送）：所属市州",
        ),
        Event(
            "county_returned",
            "县区报送退回修改",
            "urgent",
            ("counties",),
            "【退回修改】{obj}",
            "{obj}被{prefecture}退回修改。{reason_line}",
            ("deadlines:obligation", "pk"),
            note="市州退回县（市、区）的报送：该县（市、区），附理由",
        ),
        Event(
            "county_accepted",
            "县区报送已接收",
            "info",
            ("counties",),
            "【已接收】{obj}",
            "{obj}已由{prefecture}接收。",
            ("deadlines:obligation", "pk"),
            note="市州接收县（市、区）的报送：该县（市、区）",
        ),
        # --- meetings ---
        Event(
            "proposed",
            "会议提议待审批",
            "normal",
            ("deciders",),
            "会议提议待审批：{obj.title}",
            "{unit}提议召开“{obj.title}”。\n议题：{obj.topics}\n理由：{obj.reasons}",
            ("meetings:detail", "pk"),
            note="成员单位或办公室提议召开会议",
        ),
        Event(
            "invitation",
            "会议通知",
            "urgent",
            ("units",),
            "会议通知：{obj.title}",
            "定于{when:%Y年%-m月%-d日 %H:%M}在{obj.place}召开“{obj.title}”，由{obj.chair}主持。\n议题：{obj.topics}\n请准时出席。",
            ("meetings:detail", "pk"),
            unit_level=True,
            note="会议安排：参会成员单位（列席专家另发邮件）",
        ),
        Event(
            "consult",
            "纪要待会签",
            "normal",
            ("units",),
            "请会签：{obj.title}（第{obj.round}轮）",
            "“{obj.title}”征求意见稿已送达，请审阅后表示同意或提出修改意见。",
            ("meetings:minutes", "pk"),
            unit_level=True,
            note="纪要送会签：出席的成员单位",
        ),
        Event(
            "issued",
            "纪要印发",
            "info",
            ("all_units",),
            "纪要印发：{obj.doc_number} {obj.title}",
            "{obj.doc_number}《{obj.title}》已印发，议定事项已交办。",
            ("meetings:minutes", "pk"),
            unit_level=True,
            note="纪要印发：全部成员单位",
        ),
        Event(
            "notice",
            "情况通报",
            "info",
            ("all_units",),
            "{obj.title}",
            "{obj.body}",
            ("meetings:notice", "pk"),
            unit_level=True,
            note="办公室发送议定事项落实情况通报",
        ),
        Event(
            "agenda_call",
            "例会议题征集",
            "normal",
            ("all_units",),
            "【议题征集】{obj.title}",
            "{obj.title}计划于{planned:%Y年%-m月%-d日}召开，请于{cutoff:%Y年%-m月%-d日}前在会议页面提出本单位建议的议题。",
            ("meetings:detail", "pk"),
            unit_level=True,
            note="按例会制度生成例会（召开前 30 天）：全部成员单位，征集议题",
        ),
        Event(
            "escalation_raised",
            "重大事项提出",
            "normal",
            ("office",),
            "【重大事项】{obj.title}",
            "{unit}提出重大事项“{obj.title}”：{obj.description:.200}\n请起草报告，报召集人审定。",
            ("meetings:escalation", "pk"),
            note="成员单位或办公室随时提出重大事项（不限于纪要议定事项）：办公室",
        ),
        Event(
            "membership_decided",
            "成员调整决定",
            "normal",
            ("units", "people"),
            "【成员调整{decision}】{change}",
            "召集人对成员调整“{change}”作出决定：{decision}。{reason_line}",
            ("meetings:change", "pk"),
            note="召集人确认或不同意成员调整：所涉单位与提出人，附理由",
        ),
        # --- inspections (督导检查) ---
        Event(
            "inspection_planned",
            "督导检查安排",
            "normal",
            ("people",),
            "【督导检查】{obj.title}",
            "联席会议办公室安排您参加“{obj.title}”（{obj.place}，{obj.starts_on:%Y年%-m月%-d日}起），"
            "请在现场记录检查发现的问题并上传照片。",
            ("inspections:detail", "pk"),
            note="办公室安排督导检查：检查组成员",
        ),
        Event(
            "rectification_issued",
            "检查整改交办",
            "normal",
            ("reporting_units",),
            "【整改】{obj.inspection.title} 问题{obj.number}",
            "督导检查在贵地区发现的问题{obj.number}（{obj.description:.60}）已交办{unit}牵头整改，"
            "整改时限 {obj.due_date:%Y年%-m月%-d日}，请配合落实。",
            ("inspections:finding", "pk"),
            note="检查发现的问题交办整改（整改督办事项另按“交办”通知牵头单位）：问题所在市州的报送用户",
        ),
        Event(
            "finding_closed",
            "检查问题整改销号",
            "info",
            ("people",),
            "【整改销号】{obj.title} 问题{number}",
            "“{obj.title}”发现的问题{number}的整改督办事项已办结，问题已销号。",
            ("inspections:detail", "pk"),
            note="整改督办事项办结、问题自动销号：检查组组长",
        ),
        # --- communities ---
        Event(
            "assess_returned",
            "自评退回修改",
            "normal",
            ("reporting_units",),
            "【评估退回】{obj.community.name}",
            "{obj.community.name}的创建评估被{by_label}退回修改。{reason_line}",
            ("communities:detail", "community_id"),
            note="市州或办公室退回评估：该市州的报送用户，附理由",
        ),
        Event(
            "assess_confirmed",
            "评估确认",
            "info",
            ("reporting_units",),
            "【评估确认】{obj.community.name}",
            "{obj.community.name}的创建评估已由联席会议办公室确认：{result}。",
            ("communities:detail", "community_id"),
            note="办公室确认评估结果：该市州的报送用户",
        ),
        # --- annual evaluation (evaluation/) ---
        Event(
            "evaluation_published",
            "考评结果发布",
            "info",
            ("units", "reporting_units"),
            "【考评结果】{obj.year}年度考评结果已发布",
            "{obj.year}年度考评结果已经召集人确认并由联席会议办公室发布，请查看本单位的得分、排名和各项明细。",
            ("evaluation:mine", "pk"),
            unit_level=True,
            note="办公室发布召集人确认的年度考评结果：每个参评成员单位和市州",
        ),
    ]
}

# The reminder engine's own kinds (deadlines.reminders), which are not events of a state change.
REMINDER_KINDS = {
    "before": "临期提醒",
    "due": "到期提醒",
    "overdue": "逾期提醒",
    "escalation": "逾期上报",
    "digest": "每日汇总",
    "press": "催办",
}


def kind_label(kind: str) -> str:
    """The Chinese name of an outbox kind ("consult:2" → 纪要待会签); never the raw code."""
    base = kind.split(":", 1)[0]
    if base in EVENTS:
        return EVENTS[base].label
    return REMINDER_KINDS.get(base, "通知")


def kind_choices() -> list[tuple[str, str]]:
    """(code, label) of every kind a person may receive, for the filter on 我的通知."""
    out = dict(REMINDER_KINDS)
    out.update({code: e.label for code, e in EVENTS.items()})
    return sorted(out.items(), key=lambda kv: kv[1])


def _ids(objs) -> list[int]:
    return [getattr(o, "pk", o) for o in objs]


def _deciders(mechanism_id) -> list:
    User = get_user_model()
    people = (
        RoleAssignment.objects.active()
        .filter(mechanism_id=mechanism_id, role__in=[Role.CONVENER, Role.DEPUTY_CONVENER])
        .values("person")
    )
    return list(User.objects.filter(person__in=people, is_active=True))


def _office(mechanism_id) -> list:
    User = get_user_model()
    people = RoleAssignment.objects.active().filter(mechanism_id=mechanism_id, role__in=OFFICE_ROLES).values("person")
    return list(User.objects.filter(person__in=people, is_active=True))


def recipients(event: Event, *, units=(), reporting_units=(), users=(), divisions=(), mechanism_id=None) -> list:
    """The accounts `event`'s rule reaches, in a stable order, each once; the convener, office and
    "every unit" are those of `mechanism_id` (default: the signed-in person's, else the deployment's)."""
    mechanism_id = mechanism_id or mechanism_id_current()
    given = {"units": units, "reporting_units": reporting_units, "people": users, "divisions": divisions}
    tree = {"reporting_units", "counties", "prefecture"}  # parts that take reporting_units=[...]
    stray = [
        part
        for part, value in given.items()
        if value and part not in event.who and not (part == "reporting_units" and tree & set(event.who))
    ]
    if stray:
        raise ValueError(f"event {event.code} does not tell {stray}")
    today = timezone.localdate()
    out = []
    for part in event.who:
        if part == "units":
            by_unit = units_recipient_users(_ids(units), today)
            out += [u for pk in _ids(units) for u in by_unit.get(pk, [])]
        elif part == "all_units":
            ids = list(MemberUnit.objects.current().filter(mechanism_id=mechanism_id).values_list("pk", flat=True))
            by_unit = units_recipient_users(ids, today)
            out += [u for pk in ids for u in by_unit.get(pk, [])]
        elif part == "divisions":
            by_division = divisions_recipient_users(_ids(divisions), today)
            out += [u for pk in _ids(divisions) for u in by_division.get(pk, [])]
        elif part in ("reporting_units", "counties", "prefecture"):
            by_unit = reporting_units_users(_ids(reporting_units))
            out += [u for pk in _ids(reporting_units) for u in by_unit.get(pk, [])]
        elif part == "deciders":
            out += _deciders(mechanism_id)
        elif part == "office":
            out += _office(mechanism_id)
        elif part == "people":
            out += [u for u in users if u is not None and u.is_active]
    return list(dict.fromkeys(out))


def event_notify(
    *,
    event: str,
    obj,
    by,
    reason: str = "",
    units=(),
    reporting_units=(),
    users=(),
    divisions=(),
    guests=(),
    key: str = "",
    subject: str = "",
    period: str = "",
    now=None,
    **context,
) -> int:
    """Tell the people `event`'s rule names that it happened to `obj`; call it inside the service's
    transaction. `units` / `reporting_units` / `users` say whom the rule's parts stand for; `guests`
    (objects with an `email`, e.g. invited experts) get the same mail through the outbox; `reason`
    is quoted in the message; `key` tells repeated occurrences apart in the outbox kind ("consult:2");
    `period` (default: this instant) completes the outbox key, so the same period is told once;
    other keyword arguments fill the templates. Returns the rows written (0 when nobody is reached)."""
    e = EVENTS[event]
    now = now or timezone.now()
    reason = (reason or "").strip()
    # The mechanism of whoever caused the event (a Zhejiang office's meeting tells Zhejiang's convener).
    mechanism_id = mechanism_id_for(by) if by is not None else None
    people = [
        u
        for u in recipients(
            e, units=units, reporting_units=reporting_units, users=users, divisions=divisions, mechanism_id=mechanism_id
        )
        if by is None or u.pk != by.pk
    ]
    values = {
        "obj": obj,
        "reason": reason,
        "reason_line": f"理由：{reason}" if reason else "",
        "unit": "",
        "detail": "",
        **context,
    }
    title, body = e.title.format(**values), e.body.format(**values)
    url = reverse(e.link[0], args=[getattr(obj, e.link[1])]) if e.link else context.get("url", "")
    subject = subject or f"{obj._meta.model_name}:{obj.pk}"
    kind = f"{e.code}:{key}" if key else e.code
    period = period or f"{now:%Y%m%d%H%M%S%f}"
    written = (
        notify(
            users=people,
            subject=subject,
            kind=kind,
            title=title,
            body=body,
            url=url,
            period=period,
            urgency=e.urgency,
            now=now,
        )
        if people
        else 0
    )
    if guests:
        # Guests have no account: no link into the platform, the mail carries everything.
        written += notify_addresses(
            addresses=[g.email for g in guests],
            subject=subject,
            kind=kind,
            title=title,
            body=body,
            period=period,
            now=now,
        )
    if e.unit_level:
        if "all_units" in e.who:
            units = MemberUnit.objects.current().filter(mechanism_id=mechanism_id or mechanism_id_for(None))
        elif any(not isinstance(u, MemberUnit) for u in units):
            units = MemberUnit.objects.filter(pk__in=_ids(units))
        written += notify_units(
            units=list(units),
            subject=subject,
            kind=kind,
            title=title,
            body=body,
            url=url,
            period=period,
            urgency=e.urgency,
            now=now,
        )
    return written


def catalogue_markdown() -> str:
    """The catalogue as the Markdown table in docs/notifications.md (a test keeps the two equal)."""
    names = dict(Message.CHANNELS)
    lines = ["| 事件 | 代码 | 何时 | 通知谁 | 渠道（默认） | 紧急程度 |", "|---|---|---|---|---|---|"]
    for e in EVENTS.values():
        who = "；".join(WHO[part] for part in e.who)
        channels = "、".join(str(names[c]) for c in _DEFAULT_CHANNELS[e.urgency])
        if e.unit_level:
            channels += "；单位群机器人"
        lines.append(f"| {e.label} | `{e.code}` | {e.note} | {who} | {channels} | {URGENCY_LABELS[e.urgency]} |")
    return "\n".join(lines) + "\n"
