"""Pages of the deadlines app: thin — parse, call a selector or a service, render."""

from django import forms
from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.views.decorators.http import require_POST

from core.errors import Conflict, DomainError
from core.parsing import int_or_none
from members.counties import counties_of, county_accounts, prefecture_ids_for_user
from members.selectors import is_overseer, mechanism_current
from workflow.transitions import transition_allowed

from . import calendar, cascade, ladder, outbox, selectors
from .models import Attachment, CalendarDay, CalendarYear, Message, Obligation, Submission
from .notice import notice_parse
from .reminders import Cursor, source_for, unit_key_parse
from .services import (
    calendar as calendar_services,
    notifications as notification_services,
    obligations as obligation_services,
)

COLOURS = {
    ladder.NONE: ("正常", ""),
    ladder.BLUE: ("临期", "blue"),
    ladder.YELLOW: ("到期", "yellow"),
    ladder.RED: ("严重逾期", "red"),
}


def _overseer_or_404(user):
    if not (is_overseer(user) or user.is_superuser):
        raise Http404("页面不存在。")


def _decorate(obligations, today):
    for o in obligations:
        o.colour = selectors.obligation_colour(o, today)
        o.colour_label, o.colour_css = COLOURS[o.colour]
        o.days_left = ladder.days_left(o.due_on, today)
        o.provisional = selectors.due_provisional(o)
    return obligations


def obligation_list(request):
    """报送任务: a liaison or prefecture user sees their own unit's; overseers see all."""
    request.nav_active = "obligations"
    today = timezone.localdate()
    qs = selectors.obligations_for_user(request.user)
    # A prefecture's own list, or its counties' (docs/counties.md): never both mixed in one 待办 list.
    tree_ids = () if is_overseer(request.user) else prefecture_ids_for_user(request.user)
    scope = "counties" if tree_ids and request.GET.get("scope") == "counties" else ""
    if tree_ids:
        qs = (
            qs.filter(reporting_unit__parent_id__in=tree_ids)
            if scope
            else qs.exclude(reporting_unit__parent_id__in=tree_ids)
        )
    status = request.GET.get("status", "owed")
    if status == "owed":
        qs = qs.filter(status__in=Obligation.OWED)
    elif status in dict(Obligation.STATUS_CHOICES):
        qs = qs.filter(status=status)
    page = Paginator(qs.order_by("due_on", "id"), 50).get_page(request.GET.get("page"))
    _decorate(page.object_list, today)
    return render(
        request,
        "deadlines/obligation_list.html",
        {
            "page": page,
            "status": status,
            "statuses": Obligation.STATUS_CHOICES,
            "overseer": is_overseer(request.user),
            "has_counties": bool(tree_ids),
            "scope": scope,
            "scope_q": "&scope=counties" if scope else "",
            "counties": _counties_with_accounts(tree_ids) if scope else [],
            "missing_years": sorted(
                set(selectors.provisional_years(page.object_list))
                | set(selectors.calendar_warning_years(today) if selectors.may_edit_calendar(request.user) else [])
            ),
        },
    )


def _counties_with_accounts(prefecture_ids) -> list:
    """The prefecture's counties with their accounts (kept by the office in the admin: docs/counties.md)."""
    out = []
    for pk in prefecture_ids:
        accounts = county_accounts(pk)
        for c in counties_of(pk):
            c.accounts = accounts.get(c.pk, [])
            out.append(c)
    return out


class SubmitForm(forms.Form):
    text = forms.CharField(label="报送内容", widget=forms.Textarea(attrs={"rows": 8}), max_length=20000)


class DecideForm(forms.Form):
    reason = forms.CharField(
        label="退回理由", widget=forms.Textarea(attrs={"rows": 3}), required=False, max_length=2000
    )
    quality = forms.ChoiceField(
        label="质量评定（接收时选填，计入年度考评）",
        required=False,
        choices=[("", "不评定"), *Submission.QUALITY_MARKS],
    )


def _already_submitted(request, obligation, text):
    """The report was submitted since this page was drawn. The user's own identical 报送 (a double click)
    succeeded; a colleague's is named, with the time, and the typed text is kept on the page."""
    latest = obligation.submissions.select_related("submitted_by__person").order_by("-submitted_at", "-pk").first()
    if latest is None:
        return None, "报送状态已变化，请核对后再操作。"
    if latest.submitted_by_id == request.user.pk and latest.text == (text or "").strip():
        return latest, None
    who = "您" if latest.submitted_by_id == request.user.pk else f"本单位的{latest.submitted_by}"
    return None, (
        f"{who}已于{timezone.localtime(latest.submitted_at):%Y-%m-%d %H:%M}报送，"
        "本次填写的内容未提交（见下方，可复制保存）。"
    )


def obligation_detail(request, pk):
    obligation = selectors.get_obligation_for_user_or_404(request.user, pk)
    request.nav_active = "obligations"
    today = timezone.localdate()
    _decorate([obligation], today)
    not_open_yet = today < obligation.opens_on
    may_submit = selectors.may_submit(request.user, obligation)
    county = cascade.is_county_obligation(obligation)
    receiver = obligation.reporting_unit.parent.name if county else "联席会议办公室"

    def owed():
        return obligation.is_owed

    can_submit = owed() and may_submit and not not_open_yet
    can_decide = _may_decide(request.user, obligation)
    submit_form, decide_form = SubmitForm(initial=_resubmit_initial(obligation)), DecideForm()
    kept_text, status = "", 200
    if request.method == "POST":
        action = request.POST.get("action")
        try:
            if action == "submit" and may_submit and not owed():
                raise Conflict("该报送已提交。")  # a colleague (or this user) submitted since the page was drawn
            if action == "submit" and may_submit:  # the service refuses before the window opens, in words
                submit_form = SubmitForm(request.POST)
                if submit_form.is_valid():
                    obligation_services.obligation_submit(
                        obligation=obligation,
                        text=submit_form.cleaned_data["text"],
                        files=request.FILES.getlist("files"),
                        keep=[k for k in map(int_or_none, request.POST.getlist("keep")) if k is not None],
                        by=request.user,
                    )
                    messages.success(request, f"已报送，等待{receiver}接收。")
                    return redirect("deadlines:obligation", pk=pk)
            elif action in ("accept", "return") and can_decide:
                decide_form = DecideForm(request.POST)
                if decide_form.is_valid():
                    accept = action == "accept"
                    if county:
                        cascade.county_return_decide(
                            obligation=obligation,
                            accept=accept,
                            reason=decide_form.cleaned_data["reason"],
                            by=request.user,
                        )
                    else:
                        obligation_services.obligation_decide(
                            obligation=obligation,
                            accept=accept,
                            reason=decide_form.cleaned_data["reason"],
                            quality=decide_form.cleaned_data["quality"] if accept else "",
                            by=request.user,
                        )
                    messages.success(request, "已接收。" if action == "accept" else "已退回修改，并通知报送单位。")
                    return redirect("deadlines:obligation", pk=pk)
            elif action == "press" and is_overseer(request.user):
                sent = obligation_services.obligation_press(obligation=obligation, by=request.user)
                (messages.success if sent.reached else messages.warning)(request, sent.summary())
                return redirect("deadlines:obligation", pk=pk)
            else:
                raise Http404("不能进行该操作。")
        except Conflict as exc:
            obligation.refresh_from_db()
            if action != "submit" or owed():
                messages.error(request, exc.message)
            else:
                text = request.POST.get("text", "")
                mine, message = _already_submitted(request, obligation, text)
                if mine is not None:
                    messages.success(request, f"已报送，等待{receiver}接收。")
                    return redirect("deadlines:obligation", pk=pk)
                messages.error(request, message)
                kept_text, status = text, exc.status
            _decorate([obligation], today)
            can_submit = owed() and may_submit and not not_open_yet
            can_decide = _may_decide(request.user, obligation)
        except DomainError as exc:
            messages.error(request, exc.message)
            form = submit_form if action == "submit" else decide_form
            if exc.field and exc.field in form.fields:
                form.add_error(exc.field, exc.message)
    submissions = obligation.submissions.select_related("submitted_by", "decided_by").prefetch_related("attachments")
    sent = (
        Message.objects.filter(subject=f"obligation:{obligation.pk}")
        .exclude(channel=Message.INAPP)
        .select_related("recipient")
        if is_overseer(request.user)
        else Message.objects.none()
    )
    return render(
        request,
        "deadlines/obligation_detail.html",
        {
            "o": obligation,
            "submissions": submissions,
            "can_submit": can_submit,
            "can_decide": can_decide,
            "waits_for_window": may_submit and owed() and not_open_yet,
            "submit_form": submit_form,
            "decide_form": decide_form,
            "sent": sent[:50],
            "kept_text": kept_text,
            "earlier_files": _earlier_files(obligation) if can_submit else [],
            "kept_ids": {k for k in map(int_or_none, request.POST.getlist("keep")) if k is not None}
            if request.method == "POST"
            else None,
            "overseer": is_overseer(request.user),
            "missing_years": selectors.due_missing_years(obligation),
            "receiver": receiver,
            "county": county,
            "tree": _tree_link(request.user, obligation, county),
            "can_collect": request.user.has_perm("members.dispatch"),  # 收入经验做法 (evaluation/)
        },
        status=status,
    )


def _may_decide(user, obligation) -> bool:
    """A county's report is received by its prefecture; everything else by the office (deadlines.cascade)."""
    if cascade.is_county_obligation(obligation):
        return transition_allowed(obligation, "accept") and cascade.may_receive_county(user, obligation)
    return selectors.may_decide(user, obligation)


def _tree_link(user, obligation, county) -> str:
    """Where 县区分解与汇总 is for this obligation: the prefecture's own page (it can pass down), the
    page a county share belongs to, or — for the province — a prefecture's page once it has shares."""
    if county:
        return (
            reverse("deadlines:county_returns", args=[obligation.parent_id])
            if obligation.parent_id and (cascade.may_receive_county(user, obligation) or is_overseer(user))
            else ""
        )
    if obligation.reporting_unit_id and (
        cascade.may_pass_down(user, obligation)
        and prefecture_ids_for_user(user)
        or is_overseer(user)
        and obligation.shares.exists()
    ):
        return reverse("deadlines:county_returns", args=[obligation.pk])
    return ""


def _last_returned(obligation):
    if not obligation.is_returned:
        return None
    return obligation.submissions.filter(decision="returned").order_by("-submitted_at", "-pk").first()


def _resubmit_initial(obligation) -> dict:
    """A returned report is revised, not rewritten: its form starts from the text last submitted."""
    last = _last_returned(obligation)
    return {"text": last.text} if last else {}


def _earlier_files(obligation):
    """The files of the returned submission, offered (ticked) to be carried into the new one."""
    last = _last_returned(obligation)
    return list(last.attachments.all()) if last else []


def attachment_download(request, pk, attachment_id):
    from django.http import FileResponse

    obligation = selectors.get_obligation_for_user_or_404(request.user, pk)
    attachment = get_object_or_404(Attachment, pk=attachment_id, submission__obligation=obligation)
    return FileResponse(attachment.file.open("rb"), as_attachment=True, filename=attachment.name)


def overdue(request):
    """逾期督办: per unit, how many obligations and items are overdue (the longest first), and one page of
    the overdue rows themselves — every unit's, or one unit's (?unit=mu:3) — with the reminders already
    sent and 催办. Bounded: a grouped query per source and a page of 50 read along an index."""
    _overseer_or_404(request.user)
    request.nav_active = "overdue"
    today = timezone.localdate()
    summary = selectors.overdue_summary(today)
    current = next((u for u in summary if u["key"] == request.GET.get("unit", "")), None)
    after = Cursor.parse(request.GET.get("after", ""))
    rows, following = selectors.overdue_page(today, unit=current["key"] if current else "", after=after)
    missing = set()
    for row in rows:
        row["colour_label"], row["colour_css"] = COLOURS[row["colour"]]
        row["missing"] = calendar.calendar_missing_years([row["reminder"].due_on.year])
        missing |= set(row["missing"])
    here = {"unit": current["key"]} if current else {}
    return render(
        request,
        "deadlines/overdue.html",
        {
            "summary": summary,
            "rows": rows,
            "unit": current,
            "today": today,
            "missing_years": sorted(missing),
            "total": sum(u["count"] for u in summary),
            "later": after is not None,
            "first_url": "?" + urlencode(here) if here else "?",
            "next_url": "?" + urlencode({**here, "after": str(following)}) if following else "",
        },
    )


@require_POST
def press(request):
    """催办 from the overdue board, for any registered kind of subject."""
    _overseer_or_404(request.user)
    subject = request.POST.get("subject", "")
    try:
        if subject.startswith("obligation:"):
            pk = int_or_none(subject.split(":", 1)[1])
            if pk is None:
                raise Http404("没有该事项。")
            o = selectors.get_obligation_for_user_or_404(request.user, pk)
            sent = obligation_services.obligation_press(obligation=o, by=request.user)
        else:
            if source_for(subject) is None:
                raise Http404("没有该事项。")
            sent = obligation_services.subject_press(subject=subject, by=request.user)
        (messages.success if sent.reached else messages.warning)(request, sent.summary())
    except DomainError as exc:
        messages.error(request, exc.message)
    unit = request.POST.get("unit", "")
    if unit_key_parse(unit):  # back to the unit's rows the 催办 was pressed from
        return redirect(reverse("deadlines:overdue") + "?" + urlencode({"unit": unit}))
    return redirect("deadlines:overdue")


def preview(request):
    """未来 12 个月的截止日期预览."""
    _overseer_or_404(request.user)
    request.nav_active = "preview"
    mechanism = mechanism_current()
    if mechanism is None:
        raise Http404("联席会议尚未载入。")
    return render(request, "deadlines/preview.html", selectors.due_preview(mechanism))


class CalendarYearForm(forms.Form):
    holidays = forms.CharField(
        label="法定节假日（放假的周一至周五）",
        required=False,
        widget=forms.Textarea(attrs={"rows": 12}),
        help_text="每行一个日期，格式 YYYY-MM-DD，后可加空格和名称，例如：2027-10-01 国庆节",
    )
    workdays = forms.CharField(
        label="调休上班日（上班的周六、周日）",
        required=False,
        widget=forms.Textarea(attrs={"rows": 6}),
        help_text="每行一个日期，例如：2027-09-26 国庆节调休上班",
    )
    note = forms.CharField(
        label="依据", required=False, max_length=200, help_text="例如：国务院办公厅关于2027年部分节假日安排的通知"
    )
    notice = forms.CharField(
        label="国务院办公厅通知原文",
        required=False,
        max_length=20000,
        widget=forms.Textarea(attrs={"rows": 6}),
        help_text="可粘贴《国务院办公厅关于××××年部分节假日安排的通知》全文，点击“从通知读取”，"
        "系统读出放假和调休上班日期，填入上面两栏，核对无误后再保存。",
    )


def calendar_index(request):
    if not selectors.may_edit_calendar(request.user):
        raise Http404("页面不存在。")
    request.nav_active = "calendar"
    today = timezone.localdate()
    entered = {y.year: y for y in CalendarYear.objects.select_related("entered_by")}
    years = []
    for year in range(2020, today.year + 3):
        source = calendar.calendar_source(year)
        years.append(
            {
                "year": year,
                "source": source,
                "entry": entered.get(year),
                "days": CalendarDay.objects.filter(day__year=year).count(),
            }
        )
    return render(
        request, "deadlines/calendar.html", {"years": years, "missing_years": selectors.calendar_warning_years(today)}
    )


def calendar_edit(request, year: int):
    if not selectors.may_edit_calendar(request.user):
        raise Http404("页面不存在。")
    if not 2000 <= year <= 2100:
        raise Http404("年份超出范围。")
    request.nav_active = "calendar"
    days = list(CalendarDay.objects.filter(day__year=year))
    entry = CalendarYear.objects.filter(year=year).first()
    if entry or days:
        initial = {
            "holidays": "\n".join(f"{d.day} {d.name}".strip() for d in days if not d.is_working),
            "workdays": "\n".join(f"{d.day} {d.name}".strip() for d in days if d.is_working),
            "note": entry.note if entry else "",
        }
    else:
        holidays, workdays = calendar_services.calendar_year_from_package(year)
        initial = {"holidays": holidays, "workdays": workdays, "note": ""}
    form = CalendarYearForm(request.POST or None, initial=initial)
    reading = None
    if request.method == "POST":
        if request.POST.get("action") == "delete":
            try:
                calendar_services.calendar_year_delete(year=year, by=request.user)
                messages.success(request, f"已删除 {year} 年录入的节假日。")
            except DomainError as exc:
                messages.error(request, exc.message)
            return redirect("deadlines:calendar")
        if request.POST.get("action") == "parse":
            # Read the pasted notice and show what it says in the form; nothing is saved until 保存.
            try:
                reading = notice_parse(request.POST.get("notice", ""), year=year)
            except DomainError as exc:
                form.is_valid()
                form.add_error("notice", exc.message)
            else:
                holidays, workdays = reading.form_text()
                data = request.POST.copy()
                data["holidays"], data["workdays"] = holidays, workdays
                if reading.note:
                    data["note"] = reading.note[:200]
                form = CalendarYearForm(data)
        elif form.is_valid():
            values = {k: v for k, v in form.cleaned_data.items() if k != "notice"}
            try:
                calendar_services.calendar_year_save(year=year, by=request.user, **values)
                messages.success(request, f"已保存 {year} 年节假日安排。")
                return redirect("deadlines:calendar")
            except DomainError as exc:
                form.add_error(exc.field if exc.field in form.fields else None, exc.message)
    return render(
        request,
        "deadlines/calendar_edit.html",
        {"form": form, "year": year, "entry": entry, "source": calendar.calendar_source(year), "reading": reading},
    )


def notifications(request):
    """我的通知: my in-app notifications, newest first, unread marked; a filter by kind."""
    from .events import kind_choices

    request.nav_active = "notifications"
    choices = kind_choices()
    kind = request.GET.get("kind", "")
    if kind not in dict(choices):
        kind = ""
    unread_only = request.GET.get("unread") == "1"
    qs = selectors.notifications_for(request.user, kind=kind, unread_only=unread_only)
    page = Paginator(qs, 50).get_page(request.GET.get("page"))
    return render(
        request,
        "deadlines/notifications.html",
        {
            "page": page,
            "kinds": choices,
            "kind": kind,
            "unread_only": unread_only,
            "unread_total": selectors.unread_count(request.user),
        },
    )


def _known_kind(value) -> str:
    """A kind code of the catalogue, or "" (a forged value never reaches a query or a link)."""
    from .events import kind_choices

    return value if value in dict(kind_choices()) else ""


def _back_to_notifications(request):
    unread = "1" if request.POST.get("unread") == "1" else ""
    query = {k: v for k, v in (("kind", _known_kind(request.POST.get("kind", ""))), ("unread", unread)) if v}
    url = reverse("deadlines:notifications")
    return redirect(f"{url}?{urlencode(query)}" if query else url)


@require_POST
def notification_read(request, pk):
    """Mark one notification read; with next=open, go on to the object it is about."""
    message = get_object_or_404(Message, pk=pk, recipient=request.user, channel=Message.INAPP)
    notification_services.notification_read(message=message, by=request.user)
    if request.POST.get("next") == "open" and message.url.startswith("/"):
        return redirect(message.url)
    return _back_to_notifications(request)


@require_POST
def notifications_read_all(request):
    kind = _known_kind(request.POST.get("kind", ""))
    count = notification_services.notifications_read_all(by=request.user, kind=kind)
    messages.success(request, f"已将 {count} 条通知标为已读。" if count else "没有未读通知。")
    return _back_to_notifications(request)


def deliveries(request):
    """发送记录: channel status first (a channel is shown down from its first failure), then the
    delivery log (e-mail, SMS, group robots); visible to the office."""
    if not (selectors.may_receive(request.user) or request.user.is_staff):
        raise Http404("页面不存在。")
    request.nav_active = "deliveries"
    status = request.GET.get("status", "")
    channel = request.GET.get("channel", "")
    qs = selectors.messages_for_user(request.user).select_related(
        "recipient__person", "robot__unit"
    )  # to_label: no query a row
    if status in dict(Message.STATUSES):
        qs = qs.filter(status=status)
    if channel in outbox.SENDABLE:
        qs = qs.filter(channel=channel)
    page = Paginator(qs.order_by("-created_at", "-id"), 50).get_page(request.GET.get("page"))
    return render(
        request,
        "deadlines/deliveries.html",
        {
            "page": page,
            "status": status,
            "channel": channel,
            "statuses": Message.STATUSES,
            "channels": [(c, outbox.CHANNEL_LABELS[c]) for c in outbox.SENDABLE],
            **selectors.delivery_overview(),
        },
    )


@require_POST
def delivery_retry(request, pk):
    if not selectors.may_receive(request.user):
        raise Http404("页面不存在。")
    message = get_object_or_404(selectors.messages_for_user(request.user), pk=pk)
    outbox.message_retry(message=message, by=request.user)
    messages.success(request, "已重新排入发送队列。")
    return redirect("deadlines:deliveries")


@require_POST
def delivery_retry_all(request):
    """重新发送全部失败的消息 (optionally one channel's)."""
    if not selectors.may_receive(request.user):
        raise Http404("页面不存在。")
    channel = request.POST.get("channel", "")
    n = outbox.messages_retry(by=request.user, channel=channel if channel in outbox.SENDABLE else "")
    messages.success(request, f"已将 {n} 条发送失败的消息重新排入发送队列。" if n else "没有发送失败的消息。")
    return redirect("deadlines:deliveries")
