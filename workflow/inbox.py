"""One inbox (我的待办): every open human step of every flow, for the person signed in.

A generic piece, like the reminder engine: it knows no flow. Each app registers a *source* from its
`AppConfig.ready()` (docs/inbox.md):

    kind: str                  # "task", "report", "minutes", … — unique, part of every entry's key
    label: str                 # the Chinese name of the kind, as the filter and the counts show it
    order: int                 # where the kind sorts among entries due on the same day (small first)

    def applies(self, ctx) -> bool
        # may this person ever act on this kind? Answered from `ctx` (no query): a liaison is never
        # asked for the office's steps
    def entries(self, ctx, *, after, limit, filters) -> list[InboxEntry]
        # the person's open steps, in (due, pk) order, strictly after `after` (see `keyset`), at most
        # `limit`: ONE bounded query (an index on the due date), whatever the data size
    def count_queryset(self, ctx, *, filters) -> QuerySet
        # the same steps, unordered and unlimited: the inbox counts every kind's in ONE query

and calling `register_source(source)`. `workflow` imports none of the apps that register here; the
colour ladder is given to it the same way (`register_urgency`, by the deadlines app).

The merged list is ordered by urgency: due date first (overdue first, then soonest), steps without a
due date last (oldest first), ties by kind and key. A page asks each applicable source for its first
`limit + 1` entries after the page's cursor and keeps the first `limit` of their merge: the page costs
one query per source plus one query for the counts of every kind, at any data size."""

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime

from django.core.exceptions import EmptyResultSet
from django.db import connections
from django.db.models import F, Q
from django.utils import timezone

from core.parsing import int_or_none
from members.access import access_for
from members.selectors import mechanism_id_for

PAGE_SIZE = 50
EXTRA_NAMES = ("status", "role")  # the query parameters a kind may read as its own filters
NO_DUE = date.max  # steps without a due date sort after every dated step

_sources: dict[str, object] = {}


def register_source(source) -> None:
    """Plug a kind of step into the inbox (idempotent: re-registering a kind replaces it)."""
    _sources[source.kind] = source


def unregister_source(kind: str) -> None:
    _sources.pop(kind, None)


def sources() -> list:
    return sorted(_sources.values(), key=lambda s: (s.order, s.kind))


def source_for(kind: str):
    return _sources.get(kind)


# --- the colour ladder, given by the deadlines app -----------------------------------------------------


def _no_urgency(due, today):
    return "none", "", ""


_urgency: list[Callable] = [_no_urgency]


def register_urgency(fn: Callable) -> None:
    """`fn(due, today) -> (colour, colour label, “剩余 N 天” / “今日到期” / “逾期 N 天”)`."""
    _urgency[0] = fn


# --- entries -------------------------------------------------------------------------------------------


@dataclass(slots=True)
class InboxEntry:
    """One open step a person may take now."""

    kind: str  # the source's kind
    pk: int  # the step's id within its kind (an assignment, an obligation, a minutes…)
    title: str
    unit_name: str  # the unit the step is for ("" where none)
    due: date | None  # the day it is due, None where the flow sets none
    url: str  # the page where the person takes the step
    verb: str  # 办理, 报送, 审核, 确认, 决定, 同意…
    since: datetime | date | None = None  # when the step became the person's
    status_label: str = ""  # where the step stands, in the flow's own words
    kind_label: str = ""
    colour: str = "none"
    colour_label: str = ""
    days_label: str = ""

    @property
    def key(self) -> str:
        return f"{self.kind}:{self.pk}"

    def sort_key(self, order: int) -> tuple:
        return (self.due or NO_DUE, order, self.kind, self.pk)


@dataclass
class InboxFilters:
    kind: str = ""  # one source's kind, or "" for every kind
    unit: str = ""  # "mu:<id>" a member unit, "ru:<id>" a reporting unit, or ""
    due: str = ""  # "overdue" | "soon" | ""
    q: str = ""  # words of the title (sources that can search titles)
    after: str = ""  # the page's cursor "YYYY-MM-DD.<order>.<kind>.<pk>"
    extra: dict = field(default_factory=dict)  # a kind's own filters (the tasks' 状态, 分工)

    @classmethod
    def from_query(cls, params):
        return cls(
            kind=params.get("kind", "")[:20],
            unit=params.get("unit", "")[:20],
            due=params.get("due", "")[:10],
            q=params.get("q", "").strip()[:50],
            after=params.get("after", "")[:80],
            extra={k: params.get(k, "")[:20] for k in EXTRA_NAMES if params.get(k)},
        )

    def unit_ref(self) -> tuple[str, int] | None:
        """("mu", id) or ("ru", id) for the unit filter, None when none (or unreadable)."""
        prefix, _, pk = self.unit.partition(":")
        pk = int_or_none(pk)
        if prefix not in ("mu", "ru") or pk is None:
            return None
        return prefix, pk


@dataclass
class InboxContext:
    """What every source needs to know about the person, read once per page (no query: the access
    snapshot is cached, see members.access)."""

    user: object
    today: date
    unit_ids: tuple[int, ...] = ()  # member units whose work the person handles
    reporting_unit_ids: tuple[int, ...] = ()  # prefectures the person submits for
    mechanism_id: int | None = None

    @classmethod
    def for_user(cls, user, today: date | None = None):
        access = access_for(user)
        return cls(
            user=user,
            today=today or timezone.localdate(),
            unit_ids=tuple(access.unit_ids),
            reporting_unit_ids=tuple(access.reporting_unit_ids),
            mechanism_id=mechanism_id_for(user),
        )

    def has_perm(self, perm: str) -> bool:
        return self.user.has_perm(perm)  # answered from the access snapshot (members.access), no query

    def member_unit_ids(self, filters: InboxFilters) -> list[int]:
        """The person's member units, narrowed to the unit filter (empty if it names another kind of unit)."""
        ref = filters.unit_ref()
        if ref is None:
            return [] if filters.unit else list(self.unit_ids)
        return [ref[1]] if ref[0] == "mu" and ref[1] in self.unit_ids else []

    def reporting_ids(self, filters: InboxFilters) -> list[int]:
        ref = filters.unit_ref()
        if ref is None:
            return [] if filters.unit else list(self.reporting_unit_ids)
        return [ref[1]] if ref[0] == "ru" and ref[1] in self.reporting_unit_ids else []


# --- helpers for sources -------------------------------------------------------------------------------


def keyset(qs, after: tuple[date, int] | None, *, due: str | None, pk: str = "pk", nullable: bool = False, limit: int):
    """`qs` in (due, pk) order (no due date last), strictly after `after`, at most `limit` rows: the page
    of a source. `after` is what `entries()` is given. `due=None`: the kind's steps have no due date
    (they sort after every dated step, oldest first)."""
    if due is None:
        if after is not None:
            qs = qs.filter(**{f"{pk}__gt": after[1]}) if after[0] == NO_DUE else qs
        return qs.order_by(pk)[:limit]
    if after is not None:
        day, last = after
        if day == NO_DUE:
            qs = qs.filter(**{f"{due}__isnull": True, f"{pk}__gt": last}) if nullable else qs.none()
        else:
            cond = Q(**{f"{due}__gt": day}) | Q(**{due: day, f"{pk}__gt": last})
            if nullable:
                cond |= Q(**{f"{due}__isnull": True})
            qs = qs.filter(cond)
    order = F(due).asc(nulls_last=True) if nullable else due
    return qs.order_by(order, pk)[:limit]


def due_filter(qs, filters: InboxFilters, today: date, *, due: str):
    """The 时限 filter on a source's due date field (临期: within 3 working days)."""
    if filters.due == "overdue":
        return qs.filter(**{f"{due}__lt": today})
    if filters.due == "soon":
        return qs.filter(**{f"{due}__gte": today, f"{due}__lte": soon_until(today)})
    return qs


def soon_until(today: date) -> date:
    return _soon[0](today)


_soon: list[Callable] = [lambda today: today]


def register_soon(fn: Callable) -> None:
    """`fn(today) -> date`: the last day that counts as 临期 (given by the deadlines app)."""
    _soon[0] = fn


def undated_excluded(filters: InboxFilters) -> bool:
    """A step without a due date is neither overdue nor due soon: an undated kind lists nothing then."""
    return filters.due in ("overdue", "soon")


# --- the merged page -----------------------------------------------------------------------------------


def _parse_cursor(after: str):
    """(due, order, kind, pk) from "YYYY-MM-DD.<order>.<kind>.<pk>", None when unreadable."""
    parts = after.split(".")
    if len(parts) != 4:
        return None
    day, order, kind, pk = parts
    try:
        day = date.fromisoformat(day)
    except ValueError:
        return None
    if not order.isdigit() or not pk.isdigit() or len(pk) > 18 or len(order) > 6:
        return None
    return day, int(order), kind, int(pk)


def _cursor(entry: InboxEntry, source) -> str:
    return f"{(entry.due or NO_DUE).isoformat()}.{source.order}.{source.kind}.{entry.pk}"


def _after_for(source, cursor) -> tuple[date, int] | None:
    """The (due, pk) keyset bound for one source, from the page's global cursor: a kind that sorts
    before the cursor's on its day starts after that day; the cursor's own kind after its pk; a later
    kind at that day."""
    if cursor is None:
        return None
    day, order, kind, pk = cursor
    mine, theirs = (source.order, source.kind), (order, kind)
    if mine < theirs:
        return day, 2**63 - 1  # nothing more of this day
    if mine == theirs:
        return day, pk
    return day, -1  # the whole day


def applicable(ctx: InboxContext, filters: InboxFilters) -> list:
    """The sources this person may act on, narrowed to the kind filter."""
    out = [s for s in sources() if s.applies(ctx)]
    if filters.kind:
        out = [s for s in out if s.kind == filters.kind]
    elif filters.extra:  # a kind's own filter (状态, 分工) asks for that kind only
        out = [s for s in out if set(filters.extra) <= set(getattr(s, "extra_filters", ()))]
    return out


@dataclass
class InboxPage:
    entries: list
    next_cursor: str
    counts: list  # [(kind, label, n)] for every kind the person may act on
    kinds: list  # [(kind, label)] the kind filter's options

    @property
    def total(self) -> int:
        return sum(n for _, _, n in self.counts)


def inbox_page(
    user,
    filters: InboxFilters | None = None,
    *,
    limit: int = PAGE_SIZE,
    today: date | None = None,
    ctx: InboxContext | None = None,
    with_counts: bool = True,
) -> InboxPage:
    """The person's open steps across every registered flow, most urgent first, one page of `limit`."""
    filters = filters or InboxFilters()
    ctx = ctx or InboxContext.for_user(user, today)
    every = [s for s in sources() if s.applies(ctx)]
    chosen = applicable(ctx, filters)
    cursor = _parse_cursor(filters.after) if filters.after else None
    merged = []
    for source in chosen:
        for entry in source.entries(ctx, after=_after_for(source, cursor), limit=limit + 1, filters=filters):
            entry.kind_label = source.label
            merged.append((entry.sort_key(source.order), entry, source))
    merged.sort(key=lambda t: t[0])
    more = len(merged) > limit
    page = merged[:limit]
    next_cursor = _cursor(page[-1][1], page[-1][2]) if more and page else ""
    urgency = _urgency[0]
    entries = []
    for _, entry, _ in page:
        if entry.due is not None:
            entry.colour, entry.colour_label, entry.days_label = urgency(entry.due, ctx.today)
        entries.append(entry)
    # Counts per kind within the unit filter only: the kind tabs stay readable while one kind is shown.
    scope = InboxFilters(unit=filters.unit)
    counts = (
        list(
            zip(
                [s.kind for s in every],
                [s.label for s in every],
                count_all([s.count_queryset(ctx, filters=scope) for s in every]),
            )
        )
        if with_counts
        else []
    )
    # An occasional kind (a source with `shown_when_empty = False`: a division's parts, an inspection
    # team's visit) gets a tab only while the person has such a step, or while it is the chosen kind.
    hidden = {s.kind for s in every if not getattr(s, "shown_when_empty", True) and s.kind != filters.kind}
    hidden &= {kind for kind, _, n in counts if n == 0} if with_counts else set()
    counts = [c for c in counts if c[0] not in hidden]
    return InboxPage(
        entries=entries,
        next_cursor=next_cursor,
        counts=counts,
        kinds=[(s.kind, s.label) for s in every if s.kind not in hidden],
    )


def count_all(querysets) -> list[int]:
    """`[qs.count() for qs in querysets]` in one query: `SELECT (SELECT COUNT(*) FROM (…)), …`."""
    parts, params, out = [], [], [0] * len(querysets)
    slots, alias = [], None
    for i, qs in enumerate(querysets):
        try:
            sql, p = qs.order_by().values("pk").query.sql_with_params()
        except EmptyResultSet:  # .none(), or a filter no row can meet
            continue
        alias = alias or qs.db
        # `sql` is Django's own compiled query with its parameters kept apart: nothing typed is spliced in.
        parts.append(f"(SELECT COUNT(*) FROM ({sql}) AS inbox_count_{i})")  # noqa: S608
        params.extend(p)
        slots.append(i)
    if not parts:
        return out
    with connections[alias].cursor() as cursor:
        cursor.execute("SELECT " + ", ".join(parts), params)
        for i, n in zip(slots, cursor.fetchone()):
            out[i] = n
    return out
