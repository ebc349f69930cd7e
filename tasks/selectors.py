"""Reads of `tasks` that depend on who is asking. Objects a user may not see do not exist for them.

我的待办 (`inbox`) and 工作台 (`queue`) read the product's own indexed tables with keyset pagination:
a fixed number of queries whatever the data size (docs/items.md, bench/inbox.py)."""

import time
from dataclasses import dataclass, field
from datetime import date

from django.contrib.contenttypes.models import ContentType
from django.db.models import Exists, OuterRef, Q
from django.http import Http404
from django.utils import timezone

from core.models import AuditEntry
from core.parsing import int_or_none
from deadlines.calendar import add_working_days
from deadlines.ladder import LABELS, colour_for, countdown, days_left
from members.access import access_for
from members.selectors import is_overseer, mechanism_id_for, unit_ids_for_user as member_unit_ids_for_user, unit_names

from .models import Assignment, Attachment, DivisionPart, Item, UnitRequest, role_label_for

PAGE_SIZE = 50
ACTION_LABELS = {
    "item.dispatch": "交办",
    "item.accept": "办结",
    "item.return_for_revision": "退回修改",
    "item.comment": "发表意见",
    "assignment.claim": "签收",
    "assignment.save": "暂存办理情况",
    "assignment.submit": "提交反馈",
    "attachment.add": "上传附件",
    "request.extension": "申请延期",
    "request.extension.approve": "同意延期",
    "request.extension.refuse": "不同意延期",
    "request.return": "退回（非本单位职责）",
    "request.return.refuse": "不同意退回",
    "request.return.reroute": "同意退回并改派",
    # 二次交办 and 成员审核 (tasks.divisions)
    "part.assign": "二次交办",
    "part.withdraw": "撤回处室任务",
    "part.save": "处室暂存办理情况",
    "part.attach": "处室上传附件",
    "part.submit": "处室报送",
    "part.submit_for_review": "处室提交成员审核",
    "part.return": "退回处室修改",
    "part.consolidate": "汇总处室反馈",
    "review.request": "提交成员审核",
    "review.approve": "成员审核通过",
    "review.return": "成员审核退回",
}


def unit_ids_for_user(user) -> list[int]:
    return list(member_unit_ids_for_user(user))


def items_of_mechanism(mechanism_id):
    """The items of one joint meeting: those with a share given to one of its member units (an item
    has no mechanism of its own; its units do)."""
    return Item.objects.filter(Exists(Assignment.objects.filter(item=OuterRef("pk"), unit__mechanism_id=mechanism_id)))


def items_for_user(user, unit_ids=None):
    """Every item of their mechanism for the convener, deputy and office; otherwise items one of the
    user's units has a share in (including a share since re-routed away: the unit keeps its record)."""
    if is_overseer(user):
        return items_of_mechanism(mechanism_id_for(user))
    unit_ids = unit_ids_for_user(user) if unit_ids is None else unit_ids
    mine = Exists(Assignment.objects.filter(item=OuterRef("pk"), unit_id__in=unit_ids))
    division_ids = access_for(user).division_ids
    if division_ids:  # a division sees the items whose parts were passed down to it (docs/divisions.md)
        mine |= Exists(DivisionPart.objects.filter(item=OuterRef("pk"), division_id__in=division_ids))
    return Item.objects.filter(mine)


def get_item_for_user_or_404(user, pk) -> Item:
    try:
        return items_for_user(user).get(pk=pk)
    except (Item.DoesNotExist, ValueError, TypeError):
        raise Http404("未找到该督办事项。") from None


def assignments_for_user(user):
    if is_overseer(user):
        return Assignment.objects.filter(unit__mechanism_id=mechanism_id_for(user))
    return Assignment.objects.filter(unit_id__in=unit_ids_for_user(user))


def get_assignment_for_user_or_404(user, pk) -> Assignment:
    try:
        return assignments_for_user(user).select_related("item", "unit").get(pk=pk)
    except (Assignment.DoesNotExist, ValueError, TypeError):
        raise Http404("未找到该任务。") from None


def get_attachment_for_user_or_404(user, pk) -> Attachment:
    try:
        att = Attachment.objects.select_related("item").get(pk=pk)
    except (Attachment.DoesNotExist, ValueError, TypeError):
        raise Http404("未找到该附件。") from None
    if not items_for_user(user).filter(pk=att.item_id).exists():
        raise Http404("未找到该附件。")
    return att


def get_request_for_decider_or_404(user, pk) -> UnitRequest:
    if not user.has_perm("members.decide"):
        raise Http404("未找到该申请。")
    try:
        return UnitRequest.objects.select_related("assignment__item", "assignment__unit").get(
            pk=pk, assignment__unit__mechanism_id=mechanism_id_for(user)
        )
    except (UnitRequest.DoesNotExist, ValueError, TypeError):
        raise Http404("未找到该申请。") from None


# --- lists -------------------------------------------------------------------------------------------


@dataclass
class Filters:
    status: str = ""  # an Assignment/Item status value, or "" for every open one
    due: str = ""  # "overdue" | "soon" | ""
    role: str = ""  # inbox only: "lead" | "participating"
    unit: int | None = None  # queue only
    q: str = ""
    after: str = ""  # keyset cursor "YYYY-MM-DD.id"

    @classmethod
    def from_query(cls, params):
        unit = params.get("unit") or ""
        return cls(
            status=params.get("status", "")[:20],
            due=params.get("due", "")[:10],
            role=params.get("role", "")[:20],
            unit=int_or_none(unit),
            q=params.get("q", "").strip()[:50],
            after=params.get("after", "")[:40],
        )


def _parse_cursor(after: str):
    try:
        day, pk = after.split(".")
        if not pk.isdigit() or len(pk) > 18:
            return None
        return date.fromisoformat(day), int(pk)
    except ValueError:
        return None


def _due_filter(qs, due: str, today: date):
    if due == "overdue":
        return qs.filter(due_date__lt=today)
    if due == "soon":
        return qs.filter(due_date__gte=today, due_date__lte=add_working_days(today, 3))
    return qs


def _page(qs, filters: Filters, limit: int, make=None):
    """One keyset page in (due_date, pk) order; `make` turns each fetched value into a row."""
    cursor = _parse_cursor(filters.after) if filters.after else None
    if cursor:
        qs = qs.filter(Q(due_date__gt=cursor[0]) | Q(due_date=cursor[0], pk__gt=cursor[1]))
    rows = list(qs.order_by("due_date", "pk")[: limit + 1])
    if make is not None:
        rows = [make(*v) for v in rows]
    more = len(rows) > limit
    rows = rows[:limit]
    next_cursor = f"{rows[-1].due_date.isoformat()}.{rows[-1].pk}" if more else ""
    return rows, next_cursor


# colour_for counts working days one by one; a list page asks about the same few dates all day. Kept
# for ten minutes at most, so a holiday calendar edited by hand shows up soon after.
_LADDER_CACHE: dict = {}
_LADDER_TTL_SECONDS = 600


def ladder_for(due: date, today: date) -> tuple[str, str, int, str]:
    """(colour, colour label, days left, “剩余 N 天” / “今日到期” / “逾期 N 天”) for an open due date, via
    deadlines.ladder."""
    epoch = (today, int(time.monotonic() // _LADDER_TTL_SECONDS))
    if _LADDER_CACHE.get("epoch") != epoch:
        _LADDER_CACHE.clear()
        _LADDER_CACHE["epoch"] = epoch
    hit = _LADDER_CACHE.get(due)
    if hit is None:
        colour, left = colour_for(due, today), days_left(due, today)
        hit = (colour, LABELS[colour], left, countdown(due, today))
        if len(_LADDER_CACHE) < 5000:
            _LADDER_CACHE[due] = hit
    return hit


def _labels(model) -> dict:
    # get_status_display resolves a lazy translation on every call; a list page needs each label once.
    return {value: str(label) for value, label in model.Status.choices}


def _decorate(rows, today):
    labels = _labels(type(rows[0])) if rows else {}
    for row in rows:
        row.colour, row.colour_label, row.days_left, row.days_label = ladder_for(row.due_date, today)
        row.status_label = labels[row.status]
    return rows


@dataclass(slots=True)
class TaskRow:
    """One line of 我的待办: a unit's task with what the list shows of its item (read as plain values;
    building 150 model instances per page cost more than the query)."""

    pk: int
    item_id: int
    title: str
    unit_name: str
    role: str
    order: int
    due_date: date
    status: str
    status_label: str = ""
    role_label: str = ""
    colour: str = ""
    colour_label: str = ""
    days_left: int = 0
    days_label: str = ""


@dataclass(slots=True)
class UnitProgress:
    """A unit's share as 工作台 shows it beside its item."""

    unit_name: str
    role: str
    role_label: str
    status_label: str


@dataclass(slots=True)
class ItemRow:
    """One line of 工作台 / 督办事项: an item and every live unit's progress on it."""

    pk: int
    title: str
    due_date: date
    status: str
    units: list = field(default_factory=list)  # read as Item.progress, then drawn as UnitProgress
    status_label: str = ""
    colour: str = ""
    colour_label: str = ""
    days_left: int = 0
    days_label: str = ""


def _ladder(rows, today, labels):
    for row in rows:
        row.colour, row.colour_label, row.days_left, row.days_label = ladder_for(row.due_date, today)
        row.status_label = labels[row.status]
    return rows


def _title_search(qs, q: str, field_name: str):
    # The bigram index on item titles (core.search, tasks migration 0003) answers it on PostgreSQL.
    return qs.filter(**{f"{field_name}__text_contains": q})


def inbox(user, filters: Filters, *, limit: int = PAGE_SIZE, today: date | None = None, unit_ids=None):
    """我的待办: the open tasks of the user's units, soonest due first. Returns (rows, next_cursor)."""
    today = today or timezone.localdate()
    unit_ids = unit_ids_for_user(user) if unit_ids is None else unit_ids
    statuses = [filters.status] if filters.status in Assignment.Status.values else list(Assignment.OPEN)
    qs = Assignment.objects.filter(unit_id__in=list(unit_ids), status__in=statuses)
    if filters.role in Assignment.Role.values:
        qs = qs.filter(role=filters.role)
    if filters.q:
        qs = _title_search(qs, filters.q, "item__title")
    qs = _due_filter(qs, filters.due, today).values_list(
        "pk", "item_id", "item__title", "unit__name", "role", "order", "due_date", "status"
    )
    rows, cursor = _page(qs, filters, limit, TaskRow)
    for row in rows:
        row.role_label = role_label_for(row.role, row.order)
    return _ladder(rows, today, _labels(Assignment)), cursor


def queue(user, filters: Filters, *, limit: int = PAGE_SIZE, today: date | None = None):
    """工作台 / 督办事项: every item (overseers only), with the per-unit progress of the page's items."""
    today = today or timezone.localdate()
    if not is_overseer(user):
        raise Http404
    items = Item.objects.filter(mechanism_id=mechanism_id_for(user))  # stored and indexed: one index range
    if filters.status in Item.Status.values:
        qs = items.filter(status=filters.status)
    elif filters.status == "all":
        qs = items
    else:
        qs = items.exclude(status=Item.Status.DONE)
    if filters.unit:
        qs = qs.filter(
            Exists(
                Assignment.objects.filter(item=OuterRef("pk"), unit_id=filters.unit).exclude(
                    status=Assignment.Status.REROUTED
                )
            )
        )
    if filters.q:
        qs = _title_search(qs, filters.q, "title")
    qs = _due_filter(qs, filters.due, today).values_list("pk", "title", "due_date", "status", "progress")
    rows, cursor = _page(qs, filters, limit, ItemRow)
    rows = _ladder(rows, today, _labels(Item))
    for row in rows:
        if row.status == Item.Status.DONE:  # finished: no countdown, no colour
            row.colour, row.colour_label, row.days_label = "none", "", ""
    # Each row carries its shares' summary (Item.progress, kept by tasks.services): no second query.
    labels, names = _labels(Assignment), unit_names()
    for row in rows:
        row.units = [
            UnitProgress(names.get(unit_id, "?"), role, role_label_for(role, order), labels[status])
            for unit_id, role, order, status in row.units
        ]
    return rows, cursor


@dataclass(slots=True)
class PendingRow:
    """A 延期/退回 request waiting for the convener, as 工作台 lists it."""

    pk: int
    kind: str
    reason: str
    requested_due_date: date | None
    requested_at: object
    item_id: int
    item_title: str
    unit_name: str
    kind_label: str = ""


def pending_requests(user, *, limit: int = 50) -> list[PendingRow]:
    if not user.has_perm("members.decide") and not user.has_perm("members.oversee"):
        return []
    # Plain values: the page shows eight of them, and model rows cost more than the query.
    rows = [
        PendingRow(*v)
        for v in UnitRequest.objects.filter(
            status=UnitRequest.Status.PENDING, assignment__unit__mechanism_id=mechanism_id_for(user)
        )
        .order_by("requested_at", "pk")
        .values_list(
            "pk",
            "kind",
            "reason",
            "requested_due_date",
            "requested_at",
            "assignment__item_id",
            "assignment__item__title",
            "assignment__unit__name",
        )[:limit]
    ]
    kinds = {value: str(label) for value, label in UnitRequest.Kind.choices}
    for row in rows:
        row.kind_label = kinds[row.kind]
    return rows


def item_detail(item: Item, today: date | None = None) -> dict:
    """Everything the item page shows, in a fixed number of queries."""
    today = today or timezone.localdate()
    item = Item.objects.select_related("created_by__person", "work_line").get(pk=item.pk)
    assignments = list(
        item.assignments.select_related("unit", "claimed_by__person", "submitted_by__person").order_by(
            "role", "order", "pk"
        )
    )
    _decorate(assignments, today)
    attachments = list(item.attachments.select_related("uploaded_by__person", "assignment__unit"))
    by_assignment = {}
    for att in attachments:
        by_assignment.setdefault(att.assignment_id, []).append(att)
    for a in assignments:
        a.files = by_assignment.get(a.pk, [])
    requests = list(
        UnitRequest.objects.filter(assignment__item=item)
        .select_related("assignment__unit", "requested_by__person", "decided_by__person")
        .order_by("requested_at", "pk")
    )
    history = list(
        AuditEntry.objects.filter(content_type=ContentType.objects.get_for_model(Item), object_id=str(item.pk))
        .select_related("actor__person")
        .order_by("at", "pk")
    )
    for h in history:
        h.label = ACTION_LABELS.get(h.action, h.action)
        if h.action == "assignment.submit" and h.changes.get("consolidated"):
            h.label = "汇总报送"
    revisions = [h for h in history if h.action == "item.return_for_revision"]
    return {
        "item": item,
        "assignments": assignments,
        # Shown beside the primary lead's form while it revises (not only in the record at the bottom).
        "revision_reason": revisions[-1].reason if revisions else "",
        "leads": [a for a in assignments if a.role == Assignment.Role.LEAD],
        "participants": [a for a in assignments if a.role == Assignment.Role.PARTICIPATING],
        "attachments": attachments,
        "comments": list(item.comments.select_related("author__person")),
        "requests": requests,
        "history": history,
        "colour": colour_for(item.due_date, today),
        "colour_label": LABELS[colour_for(item.due_date, today)],
        "days_left": days_left(item.due_date, today),
    }


# --- may this person do X now (pages and the API ask these; templates never compare statuses) ---------


def may_review(user, item: Item) -> bool:
    """办结 / 退回修改: the office, while the item waits for its review."""
    return user.has_perm("members.dispatch") and item.is_under_review
