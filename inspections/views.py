"""Pages of 督导检查: the list, planning, the inspection page (record findings on a phone, issue
rectifications, finish), photos, and the report as .docx. Thin: parse, call a selector or a
service, render. Objects a user may not see answer 404; an action their role may not take, 403."""

from urllib.parse import quote

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from communities.selectors import confirmed_pilot_ids
from core.errors import DomainError, NotAllowed
from members.models import MemberUnit
from members.selectors import mechanism_for
from workflow.transitions import transition_allowed

from . import selectors as sel, services
from .forms import FindingForm, FinishForm, IssueForm, PlanForm
from .models import Inspection

PAGE_SIZE = 20


def _nav(request):
    request.nav_active = "inspections"


def _run(request, fn, form=None) -> bool:
    try:
        fn()
    except NotAllowed as exc:
        raise PermissionDenied(exc.message) from exc
    except DomainError as exc:
        if form is not None:
            form.add_error(exc.field if exc.field in form.fields else None, exc.message)
        else:
            messages.error(request, exc.message)
        return False
    return True


def inspection_list(request):
    if not sel.may_use(request.user):
        raise Http404("没有找到该页面。")
    _nav(request)
    status = request.GET.get("status", "")
    qs = sel.inspections_for_user(request.user).select_related("reporting_unit", "community", "leader__person")
    if status in Inspection.Status.values:
        qs = qs.filter(status=status)
    page = Paginator(qs.order_by("-starts_on", "-id"), PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "inspections/list.html",
        {
            "page": page,
            "status": status,
            "statuses": Inspection.Status.choices,
            "may_plan": services.may_plan(request.user),
        },
    )


def inspection_plan(request):
    if not services.may_plan(request.user):
        raise Http404("没有找到该页面。")
    _nav(request)
    form = PlanForm(
        request.POST or None,
        mechanism=mechanism_for(request.user),
        pilot_ids=confirmed_pilot_ids(),
        initial={"community": request.GET.get("community")},
    )
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            d, out = form.cleaned_data, {}

            def go():
                out["i"] = services.inspection_plan(
                    title=d["title"],
                    purpose=d["purpose"],
                    reporting_unit=d["reporting_unit"],
                    community=d["community"],
                    starts_on=d["starts_on"],
                    ends_on=d["ends_on"],
                    team=list(d["team"]),
                    leader=d["leader"],
                    by=request.user,
                )

            if _run(request, go, form):
                messages.success(request, "督导检查已安排，检查组成员已收到通知。")
                return redirect("inspections:detail", out["i"].pk)
    return render(request, "inspections/plan.html", {"form": form}, status=status)


def _detail(request, inspection, *, finding_form=None, status=200):
    user = request.user
    office = services.may_plan(user)
    may_record = transition_allowed(inspection, "finish") and services.may_record(user, inspection)
    findings = sel.findings_of(inspection)
    # One list of units for every finding's issue form (a form per finding would query per finding).
    units = (
        list(
            MemberUnit.objects.current()
            .filter(mechanism_id=inspection.mechanism_id)
            .order_by("order", "pk")
            .values_list("pk", "name")
        )
        if office and any(f.item_id is None for f in findings)
        else []
    )
    return render(
        request,
        "inspections/detail.html",
        {
            "unit_choices": units,
            "i": inspection,
            "team": inspection.team.select_related("person__unit"),
            "findings": findings,
            "office": office,
            "may_record": may_record,
            "finding_form": finding_form or (FindingForm(office=office) if may_record else None),
            "may_finish": transition_allowed(inspection, "finish") and (office or user.pk == inspection.leader_id),
            "finish_form": FinishForm(initial={"version": inspection.version}),
        },
        status=status,
    )


def inspection_detail(request, pk):
    _nav(request)
    inspection = sel.get_inspection_for_user_or_404(request.user, pk)
    return _detail(request, inspection)


@require_POST
def finding_record(request, pk):
    _nav(request)
    inspection = sel.get_inspection_for_user_or_404(request.user, pk)
    office = services.may_plan(request.user)
    form = FindingForm(request.POST, request.FILES, office=office)
    if form.is_valid():
        d, out = form.cleaned_data, {}

        def go():
            out["f"] = services.finding_record(
                inspection=inspection,
                description=d["description"],
                requirement=d["requirement"],
                location=d["location"],
                photos=request.FILES.getlist("photos"),
                by=request.user,
                lead_unit=d.get("lead_unit"),
                due_date=d.get("due_date"),
            )

        if _run(request, go, form):
            f = out["f"]
            messages.success(
                request, f"已记录问题{f.number}" + ("，已交办整改。" if f.item_id else "，待办公室交办整改。")
            )
            return redirect(reverse("inspections:detail", args=[pk]) + f"#finding-{f.number}")
    inspection.refresh_from_db()
    return _detail(request, inspection, finding_form=form, status=400)


@require_POST
def finding_issue(request, pk):
    finding = sel.get_finding_for_user_or_404(request.user, pk)
    form = IssueForm(request.POST, prefix=f"f{finding.pk}")
    if not form.is_valid():
        messages.error(request, "请选择整改牵头单位并填写整改时限（格式：2026-12-31）。")
    else:
        d = form.cleaned_data
        if _run(
            request,
            lambda: services.finding_issue(
                finding=finding, lead_unit=d["lead_unit"], due_date=d["due_date"], version=d["version"], by=request.user
            ),
        ):
            messages.success(request, f"问题{finding.number}已交办整改，牵头单位已收到督办事项。")
    return redirect(reverse("inspections:detail", args=[finding.inspection_id]) + f"#finding-{finding.number}")


def finding_anchor(request, pk):
    finding = sel.get_finding_for_user_or_404(request.user, pk)
    return redirect(reverse("inspections:detail", args=[finding.inspection_id]) + f"#finding-{finding.number}")


@require_POST
def inspection_finish(request, pk):
    inspection = sel.get_inspection_for_user_or_404(request.user, pk)
    form = FinishForm(request.POST)
    if not form.is_valid():
        messages.error(request, "请填写检查结论。")
    elif _run(
        request,
        lambda: services.inspection_finish(
            inspection=inspection,
            conclusion=form.cleaned_data["conclusion"],
            version=form.cleaned_data["version"],
            by=request.user,
        ),
    ):
        messages.success(request, "检查已结束。")
    return redirect("inspections:detail", pk)


def photo_download(request, pk):
    from .models import FindingPhoto

    photo = FindingPhoto.objects.select_related("finding").filter(pk=pk).first()
    if photo is None:
        raise Http404("没有找到该照片。")
    sel.get_finding_for_user_or_404(request.user, photo.finding_id)
    return FileResponse(photo.file.open("rb"), as_attachment=False, filename=photo.name)


def report_docx(request, pk):
    from core.documents import DOCX_CONTENT_TYPE

    from .documents import inspection_docx

    inspection = sel.get_inspection_for_user_or_404(request.user, pk)
    content, filename = inspection_docx(inspection, sel.findings_of(inspection))
    response = HttpResponse(content, content_type=DOCX_CONTENT_TYPE)
    response["Content-Disposition"] = f"attachment; filename*=UTF-8''{quote(filename)}"
    return response
