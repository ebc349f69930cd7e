"""Private iCal (RFC 5545) feeds: a user's unit deadlines — obligations, unit tasks, meetings.

The feed is built on each request from the live tables, so a moved due day (an approved 延期) shows
at the next refresh of the calendar program; UIDs are stable per object so the program updates the
event instead of adding a second one."""

from datetime import date, timedelta

from django.conf import settings
from django.http import Http404
from django.utils import timezone
from icalendar import Calendar, Event

from deadlines.models import Obligation
from meetings.models import Meeting
from meetings.selectors import meetings_for_user
from members.selectors import is_overseer, mechanism_for, reporting_units_for_user, units_for_user
from tasks.models import Assignment

from .models import FeedToken

PAST_DAYS = 90  # what a calendar shows behind today
AHEAD_DAYS = 400  # and ahead of it
MAX_EVENTS = 2000  # an overseer's feed of a national deployment stays a bounded file


def token_user_or_404(token: str):
    feed = (
        FeedToken.objects.select_related("user")
        .filter(token=token, revoked_at__isnull=True, user__is_active=True)
        .first()
    )
    if feed is None:
        raise Http404("订阅地址无效或已停用。")
    FeedToken.objects.filter(pk=feed.pk).update(last_used_at=timezone.now())
    return feed.user


def _site() -> str:
    return getattr(settings, "SITE_URL", "http://localhost:8000").rstrip("/")


def _all_day(cal, *, uid, summary, day: date, url: str, description: str = ""):
    ev = Event()
    ev.add("uid", uid)
    ev.add("dtstamp", timezone.now())
    ev.add("summary", summary)
    ev.add("dtstart", day)
    ev.add("dtend", day + timedelta(days=1))
    ev.add("url", _site() + url)
    if description:
        ev.add("description", description)
    cal.add_component(ev)


def feed_ics(user, today: date | None = None) -> bytes:
    today = today or timezone.localdate()
    start, end = today - timedelta(days=PAST_DAYS), today + timedelta(days=AHEAD_DAYS)
    cal = Calendar()
    cal.add("prodid", "-//joint-meeting//dashboard//ZH")
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("x-wr-calname", "联席会议截止日期")
    cal.add("x-wr-timezone", settings.TIME_ZONE)

    overseer = is_overseer(user)
    obligations = Obligation.objects.filter(due_on__gte=start, due_on__lte=end).select_related(
        "rule", "member_unit", "reporting_unit"
    )
    assignments = (
        Assignment.objects.filter(due_date__gte=start, due_date__lte=end)
        .exclude(status=Assignment.Status.REROUTED)
        .select_related("item", "unit")
    )
    if overseer:
        mechanism = mechanism_for(user)
        obligations = obligations.filter(rule__mechanism=mechanism, status__in=Obligation.OWED)
        assignments = assignments.filter(unit__mechanism=mechanism, status__in=Assignment.OPEN)
    else:
        unit_ids = list(units_for_user(user).values_list("pk", flat=True))
        ru_ids = list(reporting_units_for_user(user).values_list("pk", flat=True))
        obligations = obligations.filter(member_unit_id__in=unit_ids) | obligations.filter(reporting_unit_id__in=ru_ids)
        assignments = assignments.filter(unit_id__in=unit_ids)
    for o in obligations.order_by("due_on", "id")[:MAX_EVENTS]:
        _all_day(
            cal,
            uid=f"obligation-{o.pk}@joint-meeting",
            day=o.due_on,
            summary=f"【报送截止】{o.obligor_name} {o.title}",
            url=f"/deadlines/obligations/{o.pk}/",
            description=f"状态：{o.get_status_display()}",
        )
    for a in assignments.order_by("due_date", "id")[:MAX_EVENTS]:
        _all_day(
            cal,
            uid=f"assignment-{a.pk}@joint-meeting",
            day=a.due_date,
            summary=f"【督办时限】{a.item.title}（{a.unit.name}·{a.role_label}）",
            url=f"/items/{a.item_id}/",
            description=f"状态：{a.get_status_display()}",
        )
    for m in _meetings(user, start, end):
        ev = Event()
        ev.add("uid", f"meeting-{m.pk}@joint-meeting")
        ev.add("dtstamp", timezone.now())
        ev.add("summary", f"【会议】{m.title}")
        ev.add("dtstart", m.starts_at)
        ev.add("dtend", m.starts_at + timedelta(hours=2))
        if m.place:
            ev.add("location", m.place)
        ev.add("url", f"{_site()}/meetings/{m.pk}/")
        cal.add_component(ev)
    return cal.to_ical()


def _meetings(user, start: date, end: date):
    return (
        meetings_for_user(user)
        .filter(
            status__in=[Meeting.Status.SCHEDULED, Meeting.Status.HELD],
            starts_at__date__gte=start,
            starts_at__date__lte=end,
        )
        .order_by("starts_at", "id")[:MAX_EVENTS]
    )
