"""Pages of meetings, minutes, major matters, progress notices and membership changes. Thin: parse,
call a selector or a service, render. A domain error becomes a message on the same page; an action
the user's role may not take on an object they can see answers 403; an object they may not see, 404."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from core.errors import DomainError, NotAllowed
from core.parsing import int_or_none
from members.models import MemberUnit, Person, Role, RoleAssignment
from members.selectors import is_overseer, mechanism_current, units_for_user
from workflow.errors import form_error
from workflow.steps import step_open
from workflow.transitions import transition_allowed

from . import selectors as sel
from .flows import MeetingFlow
from .forms import (
    AgendaForm,
    BackupForm,
    DecideForm,
    DecisionForm,
    IssueForm,
    MatterFormSet,
    MinutesForm,
    ProposeForm,
    RaiseForm,
    ReplaceForm,
    ReviewForm,
    ScheduleForm,
    UnitAddForm,
)
from .models import Escalation, Minutes
from .services import (
    escalations as escalation_services,
    meetings as meeting_services,
    membership as membership_services,
    minutes as minutes_services,
    notices as notice_services,
)


def _nav(request, key="meetings"):
    request.nav_active = key


def _run(request, fn, success: str, form=None):
    """Call a service; True on success. Domain errors go to the form (or a message); a role that
    may not act gets 403 with its reason (`workflow.errors`)."""
    try:
        fn()
    except NotAllowed:
        raise
    except DomainError as exc:
        if form is not None:
            form_error(form, exc)
        else:
            messages.error(request, exc.message)
        return False
    messages.success(request, success)
    return True


def _version(request):
    return request.POST.get("version") or None


# --- meetings -----------------------------------------------------------------------------------------


def meeting_list(request):
    _nav(request)
    user = request.user
    units = list(units_for_user(user))
    if not is_overseer(user) and not units:
        raise Http404("无权查看会议。")
    return render(
        request,
        "meetings/meeting_list.html",
        {
            "meetings": sel.meetings_for_user(user)[:200],
            "awaiting": sel.minutes_awaiting_user(user),
            "may_propose": sel.is_office(user) or bool(units),
            "office": sel.is_office(user),
        },
    )


def meeting_propose(request):
    _nav(request)
    units = list(units_for_user(request.user))
    office = sel.is_office(request.user)
    if not units and not office:
        raise Http404("无权提议召开会议。")
    form = ProposeForm(request.POST or None, units=units, office=office)
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        unit = next((u for u in units if str(u.pk) == d["unit"]), None)
        result = {}

        def go():
            result["m"] = meeting_services.meeting_propose(
                title=d["title"], topics=d["topics"], reasons=d["reasons"], unit=unit, by=request.user
            )

        if _run(request, go, "会议提议已提交，待召集人审批。", form):
            return redirect("meetings:detail", result["m"].pk)
    return render(request, "meetings/form.html", {"form": form, "title": "提议召开会议"})


def meeting_detail(request, pk):
    _nav(request)
    meeting = sel.get_meeting_for_user_or_404(request.user, pk)
    minutes = Minutes.objects.filter(meeting=meeting).first()
    if minutes is not None and not sel.minutes_for_user(request.user).filter(pk=minutes.pk).exists():
        minutes = None
    units = list(units_for_user(request.user))
    office = sel.is_office(request.user)
    agenda_open = (
        meeting_services.agenda_accepts(meeting)
        and (units or office)
        and not (meeting.agenda_cutoff and timezone.localdate() > meeting.agenda_cutoff)
    )
    return render(
        request,
        "meetings/meeting_detail.html",
        {
            "proposals": meeting.agenda_proposals.select_related("unit", "proposed_by"),
            "agenda_form": AgendaForm(units=units, office=office) if agenda_open else None,
            "meeting": meeting,
            "minutes": minutes,
            "agenda": sel.agenda(meeting),
            "meeting_units": meeting.meeting_units.select_related("unit"),
            "guests": meeting.guests.all(),
            "office": sel.is_office(request.user),
            "decider": sel.is_decider(request.user),
            "decide_form": DecideForm(initial={"version": meeting.version}),
            "waiting_on": step_open(MeetingFlow, meeting),
        },
    )


@require_POST
def meeting_decide(request, pk):
    meeting = sel.get_meeting_for_user_or_404(request.user, pk)
    form = DecideForm(request.POST)
    if not form.is_valid():
        messages.error(request, "请选择审批意见。")
    else:
        approve = form.cleaned_data["decision"] == "approve"
        _run(
            request,
            lambda: meeting_services.meeting_decide(
                meeting=meeting,
                approve=approve,
                note=form.cleaned_data["note"],
                by=request.user,
                version=form.cleaned_data["version"],
            ),
            "已同意召开。" if approve else "已决定不召开。",
        )
    return redirect("meetings:detail", meeting.pk)


def meeting_schedule(request, pk):
    _nav(request)
    meeting = sel.get_meeting_for_user_or_404(request.user, pk)
    if not sel.is_office(request.user):
        raise PermissionDenied("只有联席会议办公室可以安排会议。")
    form = ScheduleForm(
        request.POST or None,
        initial={"version": meeting.version},
        chairs=meeting_services.chair_choices(meeting.mechanism_id),
    )
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        if _run(
            request,
            lambda: meeting_services.meeting_schedule(
                meeting=meeting,
                starts_at=d["starts_at"],
                place=d["place"],
                chair=form.chair_person(),
                chair_delegation=d["chair_delegation"],
                units=list(d["units"]),
                guests=form.guests(),
                by=request.user,
                version=d["version"],
            ),
            "会议已安排，通知已发出。",
            form,
        ):
            return redirect("meetings:detail", meeting.pk)
    return render(request, "meetings/form.html", {"form": form, "title": f"安排会议：{meeting.title}", "back": meeting})


def meeting_attendance(request, pk):
    _nav(request)
    meeting = sel.get_meeting_for_user_or_404(request.user, pk)
    if not sel.is_office(request.user):
        raise PermissionDenied("只有联席会议办公室可以登记出席。")
    meeting_units = list(meeting.meeting_units.select_related("unit"))
    guests = list(meeting.guests.all())
    if request.method == "POST":
        ids = set(request.POST.getlist("units"))
        attended = [mu.unit for mu in meeting_units if str(mu.unit_id) in ids]
        attendees = {mu.unit_id: request.POST.get(f"attendees_{mu.unit_id}", "") for mu in meeting_units}
        guest_ids = set(request.POST.getlist("guests"))
        if _run(
            request,
            lambda: meeting_services.meeting_attendance_record(
                meeting=meeting,
                attended_units=attended,
                attendees=attendees,
                by=request.user,
                attended_guests=[g for g in guests if str(g.pk) in guest_ids],
                version=_version(request),
            ),
            "出席情况已登记，可以起草纪要。",
        ):
            return redirect("meetings:minutes_edit", meeting.minutes.pk)
    return render(
        request, "meetings/attendance.html", {"meeting": meeting, "meeting_units": meeting_units, "guests": guests}
    )


# --- minutes ------------------------------------------------------------------------------------------


def minutes_detail(request, pk):
    _nav(request)
    minutes = sel.get_minutes_for_user_or_404(request.user, pk)
    matters = sel.matters_with_status(minutes.matters.prefetch_related("unit_roles__unit"))
    return render(
        request,
        "meetings/minutes_detail.html",
        {
            "minutes": minutes,
            "meeting": minutes.meeting,
            "matters": matters,
            "reviews": sel.review_state(minutes),
            "history": minutes.reviews.select_related("unit", "by", "acting_for"),
            "my_units": sel.reviewable_units(request.user, minutes),
            "office": sel.is_office(request.user),
            "issue_form": IssueForm(initial={"doc_number": minutes.doc_number, "version": minutes.version}),
        },
    )


def minutes_print(request, pk):
    minutes = sel.get_minutes_for_user_or_404(request.user, pk)
    return render(
        request,
        "meetings/minutes_print.html",
        {
            "minutes": minutes,
            "meeting": minutes.meeting,
            "matters": minutes.matters.prefetch_related("unit_roles__unit"),
            "attended": minutes.meeting.meeting_units.filter(attended=True).select_related("unit"),
            "guests": minutes.meeting.guests.filter(attended=True),
        },
    )


def minutes_docx(request, pk):
    """The minutes as a Word document in the official layout (same access as the printable page)."""
    from urllib.parse import quote

    from core.documents import DOCX_CONTENT_TYPE

    from .documents import minutes_docx as build

    minutes = sel.get_minutes_for_user_or_404(request.user, pk)
    content, filename = build(minutes)
    response = HttpResponse(content, content_type=DOCX_CONTENT_TYPE)
    response["Content-Disposition"] = f"attachment; filename*=UTF-8''{quote(filename)}"
    return response


def _matter_initial(minutes):
    return [
        {
            "content": m.content,
            "done_criteria": m.done_criteria,
            "due_date": m.due_date,
            "lead_units": m.lead_units,
            "participating_units": m.participating_units,
            "is_major": m.is_major,
        }
        for m in minutes.matters.prefetch_related("unit_roles__unit")
    ]


def minutes_edit(request, pk):
    _nav(request)
    minutes = sel.get_minutes_for_user_or_404(request.user, pk)
    if not sel.is_office(request.user):
        raise PermissionDenied("只有联席会议办公室可以起草纪要。")
    if not minutes.is_drafting:
        messages.error(request, "纪要已送出会签或已印发，不能修改。")
        return redirect("meetings:minutes", minutes.pk)
    data = request.POST or None
    adding = data is not None and "add_matter" in data
    if adding:  # 再加一条: the same page with one more blank slot and everything typed; nothing saved
        data = data.copy()
        total = data.get("m-TOTAL_FORMS", "0")
        data["m-TOTAL_FORMS"] = str(min((int_or_none(total, max_value=1000) or 0) + 1, MatterFormSet.max_num))
    form = MinutesForm(
        data,
        initial={
            "title": minutes.title,
            "summary": minutes.summary,
            "doc_number": minutes.doc_number,
            "version": minutes.version,
        },
    )
    formset = MatterFormSet(data, initial=_matter_initial(minutes), prefix="m")
    if request.method == "POST" and not adding and form.is_valid() and formset.is_valid():
        d = form.cleaned_data
        matters = [f.cleaned_data for f in formset.forms if f.cleaned_data and not f.is_blank()]
        if _run(
            request,
            lambda: minutes_services.minutes_save(
                minutes=minutes,
                title=d["title"],
                summary=d["summary"],
                doc_number=d["doc_number"],
                matters=matters,
                by=request.user,
                version=d["version"],
            ),
            "纪要草稿已保存。",
            form,
        ):
            if "submit" in request.POST:
                minutes.refresh_from_db()
                if _run(
                    request,
                    lambda: minutes_services.minutes_submit(minutes=minutes, by=request.user),
                    "纪要已送出席单位会签。",
                ):
                    return redirect("meetings:minutes", minutes.pk)
                return redirect("meetings:minutes_edit", minutes.pk)
            return redirect("meetings:minutes_edit", minutes.pk)
    return render(
        request,
        "meetings/minutes_edit.html",
        {
            "minutes": minutes,
            "form": form,
            "formset": formset,
            "comments": minutes.reviews.filter(decision="changes").select_related("unit"),
        },
    )


@require_POST
def minutes_review(request, pk):
    minutes = sel.get_minutes_for_user_or_404(request.user, pk)
    form = ReviewForm(request.POST)
    if not form.is_valid():
        messages.error(request, "请选择意见。")
        return redirect("meetings:minutes", minutes.pk)
    d = form.cleaned_data
    unit = units_for_user(request.user).filter(pk=d["unit"]).first()
    if unit is None:
        raise Http404("单位不存在。")
    _run(
        request,
        lambda: minutes_services.minutes_review(
            minutes=minutes, unit=unit, agree=d["decision"] == "agree", comment=d["comment"], by=request.user
        ),
        "意见已提交。",
    )
    return redirect("meetings:minutes", minutes.pk)


@require_POST
def minutes_issue(request, pk):
    minutes = sel.get_minutes_for_user_or_404(request.user, pk)
    form = IssueForm(request.POST)
    if not form.is_valid():
        messages.error(request, "请填写文号。")
    else:
        _run(
            request,
            lambda: minutes_services.minutes_issue(
                minutes=minutes,
                doc_number=form.cleaned_data["doc_number"],
                by=request.user,
                version=form.cleaned_data["version"],
            ),
            "纪要已印发，议定事项已交办。",
        )
    return redirect("meetings:minutes", minutes.pk)


# --- follow-up: progress notices ---------------------------------------------------------------------


def notice_list(request):
    _nav(request)
    if not is_overseer(request.user) and not units_for_user(request.user).exists():
        raise Http404("无权查看通报。")
    mechanism = mechanism_current()
    return render(
        request,
        "meetings/notice_list.html",
        {
            "notices": sel.notices_for_user(request.user)[:100],
            "office": sel.is_office(request.user),
            "open_matters": sel.matters_open(mechanism) if mechanism and is_overseer(request.user) else [],
        },
    )


def notice_detail(request, pk):
    _nav(request)
    return render(request, "meetings/notice_detail.html", {"notice": sel.get_notice_for_user_or_404(request.user, pk)})


@require_POST
def notice_send(request):
    if not sel.is_office(request.user):
        raise PermissionDenied("只有联席会议办公室可以发送通报。")
    _run(request, lambda: notice_services.notice_send(by=request.user), "通报已发送至各成员单位。")
    return redirect("meetings:notices")


# --- major matters ------------------------------------------------------------------------------------


def escalation_list(request):
    _nav(request, "escalations")
    if not is_overseer(request.user) and not units_for_user(request.user).exists():
        raise Http404("无权查看重大事项。")
    qs = sel.escalations_for_user(request.user)
    return render(
        request,
        "meetings/escalation_list.html",
        {
            "open": qs.exclude(status=Escalation.Status.CLOSED)[:200],
            "closed": qs.filter(status=Escalation.Status.CLOSED)[:50],
        },
    )


def escalation_raise(request):
    """A unit or the office raises a 重大事项 at any time (not only from minutes)."""
    _nav(request, "escalations")
    units = list(units_for_user(request.user))
    office = sel.is_office(request.user)
    if not units and not office:
        raise Http404("无权提出重大事项。")
    form = RaiseForm(request.POST or None, units=units, office=office)
    if request.method == "POST" and form.is_valid():
        d, out = form.cleaned_data, {}
        unit = next((u for u in units if str(u.pk) == d["unit"]), None)

        def go():
            out["e"] = escalation_services.escalation_raise(
                title=d["title"], description=d["description"], unit=unit, by=request.user
            )

        if _run(request, go, "重大事项已提出，联席会议办公室将起草报告报召集人审定。", form):
            return redirect("meetings:escalation", out["e"].pk)
    return render(
        request,
        "meetings/form.html",
        {"form": form, "title": "提出重大事项"},
        status=400 if request.method == "POST" else 200,
    )


@require_POST
def agenda_propose(request, pk):
    meeting = sel.get_meeting_for_user_or_404(request.user, pk)
    units = list(units_for_user(request.user))
    form = AgendaForm(request.POST, units=units, office=sel.is_office(request.user))
    if not form.is_valid():
        messages.error(request, "请填写建议议题并选择提出单位。")
    else:
        d = form.cleaned_data
        unit = next((u for u in units if str(u.pk) == d["unit"]), None)
        _run(
            request,
            lambda: meeting_services.agenda_propose(
                meeting=meeting, topic=d["topic"], note=d["note"], unit=unit, by=request.user
            ),
            "议题建议已提交。",
        )
    return redirect("meetings:detail", meeting.pk)


def escalation_detail(request, pk):
    _nav(request, "escalations")
    e = sel.get_escalation_for_user_or_404(request.user, pk)
    return render(
        request,
        "meetings/escalation_detail.html",
        {
            "e": e,
            "office": sel.is_office(request.user),
            "decider": sel.is_decider(request.user),
            "today": timezone.localdate(),
        },
    )


@require_POST
def escalation_act(request, pk, action):
    e = sel.get_escalation_for_user_or_404(request.user, pk)
    p, by, v = request.POST, request.user, _version(request)

    def parse_date(name):
        try:
            return timezone.datetime.strptime(p.get(name, ""), "%Y-%m-%d").date()
        except ValueError:
            return None

    actions = {
        "submit": (
            lambda: escalation_services.escalation_submit(escalation=e, report=p.get("report", ""), by=by, version=v),
            "报告已送召集人审定。",
        ),
        "approve": (
            lambda: escalation_services.escalation_decide(
                escalation=e, approve=p.get("decision") != "no", note=p.get("note", ""), by=by, version=v
            ),
            "审定意见已记录。",
        ),
        "send": (
            lambda: escalation_services.escalation_send(escalation=e, sent_on=parse_date("sent_on"), by=by, version=v),
            "已登记报送。",
        ),
        "reply": (
            lambda: escalation_services.escalation_reply(
                escalation=e, reply=p.get("reply", ""), reply_on=parse_date("reply_on"), by=by, version=v
            ),
            "批复已登记。",
        ),
        "close": (lambda: escalation_services.escalation_close(escalation=e, by=by, version=v), "重大事项已办结。"),
    }
    if action not in actions:
        raise Http404()
    fn, ok = actions[action]
    _run(request, fn, ok)
    return redirect("meetings:escalation", e.pk)


# --- membership changes -------------------------------------------------------------------------------


def change_list(request):
    _nav(request, "membership")
    units = list(units_for_user(request.user))
    if not is_overseer(request.user) and not units:
        raise Http404("无权查看成员调整。")
    return render(
        request,
        "meetings/change_list.html",
        {
            "changes": sel.changes_for_user(request.user)[:200],
            "units": units,
            "office": sel.is_office(request.user),
            "backups": RoleAssignment.objects.filter(
                role=Role.BACKUP_LIAISON,
                unit__in=units if not is_overseer(request.user) else MemberUnit.objects.in_current_mechanism(),
                end_date__gt=timezone.localdate(),
            ).select_related("person", "acting_for__person", "unit"),
        },
    )


def _own_assignments(user):
    return (
        RoleAssignment.objects.active()
        .filter(unit__in=units_for_user(user), role__in=[Role.MEMBER, Role.LIAISON])
        .select_related("unit", "person")
    )


def change_propose(request):
    _nav(request, "membership")
    units = units_for_user(request.user)
    if not units.exists():
        raise Http404("只有成员单位可以提出本单位人员调整。")
    form = ReplaceForm(
        request.POST or None, assignments=_own_assignments(request.user), people=Person.objects.filter(unit__in=units)
    )
    if request.method == "POST":
        # Another unit's role or person is not offered, so it fails as "not found" (404), not 403.
        ids = {k: int_or_none(request.POST.get(k)) for k in ("assignment", "new_person")}
        ids = {k: v for k, v in ids.items() if v is not None}  # anything else: the form says what is wrong
        if "assignment" in ids and not _own_assignments(request.user).filter(pk=ids["assignment"]).exists():
            raise Http404("职务不存在。")
        if "new_person" in ids and not Person.objects.filter(unit__in=units, pk=ids["new_person"]).exists():
            raise Http404("人员不存在。")
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        out = {}

        def go():
            out["c"] = membership_services.change_propose_replace(
                assignment=d["assignment"],
                new_person=d["new_person"],
                new_person_name=d["new_person_name"],
                new_person_title=d["new_person_title"],
                effective_date=d["effective_date"],
                reason=d["reason"],
                by=request.user,
            )

        if _run(request, go, "调整申请已提交，待办公室审核。", form):
            return redirect("meetings:change", out["c"].pk)
    return render(request, "meetings/form.html", {"form": form, "title": "提出人员调整"})


def change_unit_add(request):
    _nav(request, "membership")
    if not sel.is_office(request.user):
        raise Http404("只有联席会议办公室可以提出增补成员单位。")
    form = UnitAddForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        divisions = [x.strip() for x in d["divisions"].splitlines() if x.strip()]
        out = {}

        def go():
            out["c"] = membership_services.change_propose_unit_add(
                name=d["name"],
                code=d["code"],
                full_name=d["full_name"],
                divisions=divisions,
                member={"name": d["member_name"], "title": d["member_title"]},
                liaison={"name": d["liaison_name"], "title": d["liaison_title"]},
                effective_date=d["effective_date"],
                reason=d["reason"],
                by=request.user,
            )

        if _run(request, go, "增补申请已提交，待召集人确认。", form):
            return redirect("meetings:change", out["c"].pk)
    return render(request, "meetings/form.html", {"form": form, "title": "增补成员单位"})


def change_detail(request, pk):
    _nav(request, "membership")
    change = sel.get_change_for_user_or_404(request.user, pk)
    action = None
    if transition_allowed(change, "check") and sel.is_office(request.user):
        action = "check"
    elif transition_allowed(change, "confirm") and sel.is_decider(request.user):
        action = "confirm"
    return render(request, "meetings/change_detail.html", {"change": change, "action": action})


@require_POST
def change_act(request, pk, action):
    change = sel.get_change_for_user_or_404(request.user, pk)
    form = DecisionForm(request.POST)
    if not form.is_valid():
        messages.error(request, "请选择意见。")
        return redirect("meetings:change", change.pk)
    d = form.cleaned_data
    yes = d["decision"] == "yes"
    if action == "check":
        fn = lambda: membership_services.change_check(  # noqa: E731
            change=change,
            passed=yes,
            note=d["note"],
            by=request.user,
            version=d["version"],
        )
    elif action == "confirm":
        fn = lambda: membership_services.change_confirm(  # noqa: E731
            change=change,
            confirm=yes,
            note=d["note"],
            by=request.user,
            version=d["version"],
        )
    else:
        raise Http404()
    _run(request, fn, "意见已记录。")
    return redirect("meetings:change", change.pk)


def backup_name(request):
    _nav(request, "membership")
    units = units_for_user(request.user)
    if not units.exists():
        raise Http404("只有成员单位可以指定B角。")
    liaisons = (
        RoleAssignment.objects.active().filter(unit__in=units, role=Role.LIAISON).select_related("unit", "person")
    )
    form = BackupForm(request.POST or None, liaisons=liaisons, people=Person.objects.filter(unit__in=units))
    if request.method == "POST":
        liaison = int_or_none(request.POST.get("liaison"))
        if liaison is not None and not liaisons.filter(pk=liaison).exists():
            raise Http404("联络员不存在。")
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        if _run(
            request,
            lambda: membership_services.backup_name(
                liaison=d["liaison"],
                backup=d["backup"],
                start_date=d["start_date"],
                end_date=d["end_date"],
                reason=d["reason"],
                by=request.user,
            ),
            "B角已指定。",
            form,
        ):
            return redirect("meetings:changes")
    return render(request, "meetings/form.html", {"form": form, "title": "指定B角（请假期间代为办理）"})
