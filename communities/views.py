"""Pages of the ledger, pilots, assessments and progress. Thin: parse, call a selector or service,
render. Who may open what is decided by `selectors`; a domain error becomes a message (or 403)."""

import functools

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_not_required
from django.core.paginator import Paginator
from django.db import transaction
from django.db.models import Q
from django.http import FileResponse, Http404, HttpResponse, HttpResponseForbidden
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import content_disposition_header
from django.views.decorators.http import require_GET, require_POST

from core.errors import DomainError, NotAllowed
from members.models import ReportingUnit
from members.selectors import is_overseer, mechanism_deployed, mechanism_id_for
from workflow.errors import back_url, form_error
from workflow.transitions import transition_allowed

from . import selectors, services
from .excel import annex2_workbook, import_rows_read, import_template
from .forms import (
    CommunityCreateForm,
    CommunityForm,
    EvidenceForm,
    ImportForm,
    NominationForm,
    PilotSelectionForm,
    PilotSupportForm,
    ReasonForm,
    assessment_form_class,
)
from .models import Assessment, AssessmentEvidence, Community, CreationStatus, PilotNomination, PilotSelection
from .scoring import engine_for

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def ledger_user(view):
    """Only prefecture users and overseers use the ledger; for anyone else it does not exist."""

    @functools.wraps(view)
    def wrapped(request, *args, **kwargs):
        if not selectors.may_use_ledger(request.user):
            raise Http404("没有找到该页面。")
        request.nav_active = "communities"
        return view(request, *args, **kwargs)

    return wrapped


def domain_errors_to_messages(view):
    """A refused action goes back where it came from with its Chinese message (the ledger when
    there is no page to go back to); a role that may never do it gets 403 with its reason
    (`workflow.errors`)."""

    @functools.wraps(view)
    def wrapped(request, *args, **kwargs):
        try:
            return view(request, *args, **kwargs)
        except NotAllowed:
            raise
        except DomainError as e:
            messages.error(request, e.message)
            return redirect(back_url(request) or "communities:ledger")

    return wrapped


def _year(request) -> int:
    try:
        year = int(request.GET.get("year", ""))
    except ValueError:
        return timezone.localdate().year
    return year if 2000 <= year <= 2100 else timezone.localdate().year


# --- Ledger -----------------------------------------------------------------------------------------


@ledger_user
def ledger(request):
    qs = selectors.communities_for_user(request.user).select_related("reporting_unit")
    units = selectors.reporting_units_visible(request.user)
    unit = request.GET.get("unit", "")
    status = request.GET.get("status", "")
    q = request.GET.get("q", "").strip()[:40]
    if unit:
        qs = qs.filter(reporting_unit__code=unit)
    if status in CreationStatus.values:
        qs = qs.filter(status=status)
    if q:
        qs = qs.filter(Q(name__contains=q) | Q(county__contains=q) | Q(residents_committee__contains=q))
    page = Paginator(qs.order_by("reporting_unit_id", "county", "name"), 50).get_page(request.GET.get("page"))
    own = selectors.own_unit_ids(request.user)
    return render(
        request,
        "communities/ledger.html",
        {
            "page": page,
            "units": units,
            "statuses": CreationStatus.choices,
            "filters": {"unit": unit, "status": status, "q": q},
            "may_add": bool(own),
            "overseer": is_overseer(request.user),
            "waiting": selectors.assessments_waiting_for(request.user)[:20],
            "pilot_ids": selectors.confirmed_pilot_ids(),
        },
    )


@ledger_user
@domain_errors_to_messages
def community_create(request):
    units = selectors.reporting_units_for_user(request.user)
    if not units.exists():
        raise NotAllowed("只有市州用户可以登记社区。")
    form = CommunityCreateForm(request.POST or None, units=units)
    if request.method == "POST" and form.is_valid():
        try:
            community = services.community_create(by=request.user, **form.cleaned_data)
        except DomainError as e:
            form_error(form, e)
        else:
            messages.success(request, f"已登记社区“{community.name}”。")
            return redirect("communities:detail", pk=community.pk)
    return render(request, "communities/community_form.html", {"form": form, "title": "登记社区"})


def _detail_context(request, community, *, support_form=None) -> dict:
    from .hooks import panels_for

    is_pilot = community.pk in selectors.confirmed_pilot_ids()
    return {
        "c": community,
        "history": community.status_changes.select_related("by").order_by("id"),
        "assessments": community.assessments.order_by("-created_at"),
        "nominations": community.nominations.order_by("-year"),
        "is_pilot": is_pilot,
        "may_keep": selectors.may_keep(request.user, community),
        "may_start": (
            selectors.may_keep(request.user, community)
            and transition_allowed(community, "self_assess")
            and not community.assessments.filter(status__in=Assessment.OPEN).exists()
        ),
        "nomination_form": NominationForm(initial={"year": timezone.localdate().year}),
        # A pilot's supervision (from the apps that register a panel) and the support it was given.
        "panels": panels_for([community.pk], request.user).get(community.pk, []) if is_pilot else [],
        "supports": community.supports.order_by("-given_on", "-id") if is_pilot else [],
        "support_form": (support_form or PilotSupportForm())
        if is_pilot and selectors.may_confirm(request.user)
        else None,
        "may_plan_inspection": is_pilot and selectors.may_confirm(request.user),
    }


@ledger_user
def community_detail(request, pk):
    community = selectors.community_for_user_or_404(request.user, pk)
    return render(request, "communities/community_detail.html", _detail_context(request, community))


@require_POST
@ledger_user
def pilot_support(request, pk):
    """The office records policy or funding support given to a pilot (errors keep what was typed)."""
    community = selectors.community_for_user_or_404(request.user, pk)
    form = PilotSupportForm(request.POST, request.FILES)
    if form.is_valid():
        d = form.cleaned_data
        try:
            services.pilot_support_record(
                community=community,
                kind=d["kind"],
                title=d["title"],
                amount=d["amount"],
                given_on=d["given_on"],
                document=d["document"],
                upload=d["file"],
                by=request.user,
            )
        except NotAllowed as exc:
            return HttpResponseForbidden(exc.message)
        except DomainError as exc:
            form.add_error(exc.field if exc.field in form.fields else None, exc.message)
        else:
            messages.success(request, "已登记试点社区支持。")
            return redirect(reverse("communities:detail", args=[pk]) + "#support")
    return render(
        request, "communities/community_detail.html", _detail_context(request, community, support_form=form), status=400
    )


@ledger_user
def support_file(request, pk):
    from .models import PilotSupport

    support = PilotSupport.objects.filter(pk=pk).exclude(file="").first()
    if support is None:
        raise Http404("没有找到该文件。")
    selectors.community_for_user_or_404(request.user, support.community_id)
    return FileResponse(support.file.open("rb"), as_attachment=True, filename=support.file_name)


@ledger_user
@domain_errors_to_messages
def community_edit(request, pk):
    community = selectors.community_for_user_or_404(request.user, pk)
    if not selectors.may_keep(request.user, community):
        raise NotAllowed("只能修改本地区的社区。")
    form = CommunityForm(request.POST or None, instance=Community.objects.get(pk=pk))
    if request.method == "POST" and form.is_valid():
        try:
            services.community_update(
                community=community, by=request.user, **{f: form.cleaned_data[f] for f in CommunityForm.Meta.fields}
            )
        except DomainError as e:
            form_error(form, e)
        else:
            messages.success(request, "已保存。")
            return redirect("communities:detail", pk=pk)
    return render(
        request,
        "communities/community_form.html",
        {"form": form, "title": f"修改 {community.name}", "community": community},
    )


@require_POST
@ledger_user
@domain_errors_to_messages
def community_join(request, pk):
    community = selectors.community_for_user_or_404(request.user, pk)
    services.community_join(community=community, by=request.user)
    messages.success(request, f"“{community.name}”已登记为参与创建。")
    return redirect("communities:detail", pk=pk)


@ledger_user
@domain_errors_to_messages
def community_import(request):
    if not selectors.own_unit_ids(request.user):
        raise NotAllowed("只有市州用户可以导入本地区台账。")
    form = ImportForm(request.POST or None, request.FILES or None)
    report = None
    if request.method == "POST" and form.is_valid():
        try:
            rows = import_rows_read(form.cleaned_data["file"])
            report = services.communities_import(rows=rows, by=request.user)
        except DomainError as e:
            form.add_error("file", e.message)
    return render(request, "communities/import.html", {"form": form, "report": report})


@require_GET
@ledger_user
def import_template_download(request):
    example = selectors.reporting_units_visible(request.user).order_by("order", "pk").first()
    response = HttpResponse(
        import_template(example.name, "云岩区" if example.name == "贵阳市" else "示例区")
        if example
        else import_template(),
        content_type=XLSX,
    )
    response["Content-Disposition"] = (
        "attachment; filename*=UTF-8''%E7%A4%BE%E5%8C%BA%E5%8F%B0%E8%B4%A6%E6%A8%A1%E6%9D%BF.xlsx"
    )
    return response


# --- Pilots -----------------------------------------------------------------------------------------


@require_POST
@ledger_user
@domain_errors_to_messages
def community_nominate(request, pk):
    community = selectors.community_for_user_or_404(request.user, pk)
    form = NominationForm(request.POST)
    if not form.is_valid():
        raise DomainError("；".join(e for errs in form.errors.values() for e in errs))
    services.pilot_nominate(community=community, by=request.user, **form.cleaned_data)
    messages.success(request, f"已推荐“{community.name}”为试点社区。")
    return redirect("communities:detail", pk=pk)


@ledger_user
@domain_errors_to_messages
def pilots(request):
    year = _year(request)
    nominations = PilotNomination.objects.filter(
        year=year, community__in=selectors.communities_for_user(request.user)
    ).select_related("community", "community__reporting_unit")
    mechanism_id = mechanism_id_for(request.user)
    selection = (
        PilotSelection.objects.filter(year=year, communities__reporting_unit__mechanism_id=mechanism_id)
        .distinct()
        .prefetch_related("communities__reporting_unit")
        .first()
    )
    nominated = Community.objects.filter(
        nominations__year=year, reporting_unit__mechanism_id=mechanism_id
    ).select_related("reporting_unit")
    form = None
    if selectors.may_confirm(request.user) and selection is None:
        form = PilotSelectionForm(request.POST or None, nominated=nominated, initial={"year": year})
        if request.method == "POST" and form.is_valid():
            try:
                services.pilot_selection_record(by=request.user, **form.cleaned_data)
            except DomainError as e:
                form.add_error(None, e.message)
            else:
                messages.success(request, "已登记联席会议确定的省级试点社区，待召集人确认。")
                return redirect(f"{request.path}?year={form.cleaned_data['year']}")
    elif request.method == "POST":
        raise NotAllowed("由联席会议办公室登记。")
    return render(
        request,
        "communities/pilots.html",
        {
            "year": year,
            "nominations": nominations,
            "selection": selection,
            "form": form,
            "may_decide": selectors.may_decide(request.user),
            "nav_active": "communities",
        },
    )


@require_POST
@ledger_user
@domain_errors_to_messages
def pilot_confirm(request, pk):
    selection = PilotSelection.objects.filter(pk=pk).first()
    if selection is None or not is_overseer(request.user):
        raise Http404
    services.pilot_selection_confirm(selection=selection, by=request.user)
    messages.success(request, "已确认省级试点社区。")
    return redirect(f"{reverse('communities:pilots')}?year={selection.year}")


# --- Assessments ------------------------------------------------------------------------------------


@require_POST
@ledger_user
@domain_errors_to_messages
def assessment_start(request, pk):
    community = selectors.community_for_user_or_404(request.user, pk)
    assessment = services.assessment_start(community=community, by=request.user)
    return redirect("communities:assessment", pk=assessment.pk)


def _groups(engine, form):
    """The form's fields grouped under their item, in the standard's order."""
    by_item = {}
    for name in form.fields:
        by_item.setdefault(form.fields[name].item_no, []).append(form[name])
    out = []
    for area, item in engine.items():
        out.append({"area": area, "item": item, "fields": by_item.get(item["number"], [])})
    bonus = engine.spec.get("bonus")
    if bonus:
        out.append({"area": bonus["area"], "item": bonus, "fields": by_item.get(bonus["number"], [])})
    return out


@ledger_user
@domain_errors_to_messages
def assessment_detail(request, pk):
    assessment = selectors.assessment_for_user_or_404(request.user, pk)
    engine = engine_for(assessment.standard)
    keeper = selectors.may_keep(request.user, assessment.community)
    editable = keeper and transition_allowed(assessment, "submit")
    form = None
    if editable:
        form_class = assessment_form_class(engine)
        form = form_class(request.POST or None, initial=assessment.facts)
        if request.method == "POST" and form.is_valid():
            facts = {
                k: (str(v) if v is not None and not isinstance(v, (bool, int, str)) else v)
                for k, v in form.cleaned_data.items()
            }
            upload = request.FILES.get("file")
            try:
                # The evidence input is part of this form: what was ticked is saved with the upload, or
                # neither is (the page is drawn again with everything typed).
                with transaction.atomic():
                    services.assessment_save(assessment=assessment, facts=facts, by=request.user)
                    if "upload" in request.POST and upload is None:
                        raise DomainError("请选择要上传的证明材料。")
                    if upload is not None:
                        evidence = EvidenceForm(request.POST, request.FILES)
                        if not evidence.is_valid():
                            raise DomainError("；".join(e for errs in evidence.errors.values() for e in errs))
                        services.evidence_add(
                            assessment=assessment,
                            upload=evidence.cleaned_data["file"],
                            item_no=evidence.cleaned_data["item_no"],
                            by=request.user,
                        )
            except DomainError as e:
                form_error(form, e)
            else:
                messages.success(request, "已保存，得分已重新计算。" + ("已上传证明材料。" if upload else ""))
                return redirect("communities:assessment", pk=pk)
    elif request.method == "POST":
        raise NotAllowed("当前不能修改该评估。")
    result_items = {i["no"]: i for i in assessment.result.get("items", [])}
    return render(
        request,
        "communities/assessment.html",
        {
            "a": assessment,
            "engine": engine,
            "form": form,
            "groups": _groups(engine, form) if form else None,
            "items": [
                {"area": area, "item": item, "result": result_items.get(item["number"])}
                for area, item in engine.items()
            ],
            "bonus": engine.spec.get("bonus"),
            "bonus_result": result_items.get(engine.spec.get("bonus", {}).get("number")),
            "steps": assessment.steps.select_related("by"),
            "evidence": assessment.evidence.all(),
            "evidence_form": EvidenceForm(use_required_attribute=False) if editable else None,
            "may_submit": editable,
            "may_review": (keeper or selectors.may_confirm(request.user))
            and transition_allowed(assessment, "review")
            and request.user.pk not in services.assessment_preparer_ids(assessment),
            "own_work_to_review": keeper
            and transition_allowed(assessment, "review")
            and request.user.pk in services.assessment_preparer_ids(assessment),
            "self_review_message": services.SELF_REVIEW_MESSAGE,
            "may_confirm": selectors.may_confirm(request.user) and transition_allowed(assessment, "confirm"),
            "reason_form": ReasonForm(),
        },
    )


@require_POST
@ledger_user
@domain_errors_to_messages
def assessment_submit(request, pk):
    assessment = selectors.assessment_for_user_or_404(request.user, pk)
    services.assessment_submit(assessment=assessment, by=request.user)
    messages.success(request, "自评已提交，待市州审核。")
    return redirect("communities:assessment", pk=pk)


def _decision(request):
    form = ReasonForm(request.POST)
    form.is_valid()
    return request.POST.get("decision") == "approve", form.cleaned_data.get("reason", "")


@require_POST
@ledger_user
@domain_errors_to_messages
def assessment_review(request, pk):
    assessment = selectors.assessment_for_user_or_404(request.user, pk)
    approve, reason = _decision(request)
    services.assessment_review(assessment=assessment, approve=approve, reason=reason, by=request.user)
    messages.success(request, "审核通过，已报联席会议办公室确认。" if approve else "已退回修改。")
    return redirect("communities:assessment", pk=pk)


@require_POST
@ledger_user
@domain_errors_to_messages
def assessment_confirm(request, pk):
    assessment = selectors.assessment_for_user_or_404(request.user, pk)
    approve, reason = _decision(request)
    services.assessment_confirm(assessment=assessment, approve=approve, reason=reason, by=request.user)
    messages.success(request, "已确认评估结果。" if approve else "已退回市州。")
    return redirect("communities:assessment", pk=pk)


@require_POST
@ledger_user
@domain_errors_to_messages
def evidence_upload(request, pk):
    assessment = selectors.assessment_for_user_or_404(request.user, pk)
    form = EvidenceForm(request.POST, request.FILES)
    if not form.is_valid():
        raise DomainError("；".join(e for errs in form.errors.values() for e in errs))
    services.evidence_add(
        assessment=assessment, upload=form.cleaned_data["file"], item_no=form.cleaned_data["item_no"], by=request.user
    )
    messages.success(request, "已上传证明材料。")
    return redirect("communities:assessment", pk=pk)


@require_GET
@ledger_user
def evidence_download(request, pk):
    evidence = AssessmentEvidence.objects.filter(
        pk=pk, assessment__in=selectors.assessments_for_user(request.user)
    ).first()
    if evidence is None:
        raise Http404("没有找到该材料。")
    return FileResponse(evidence.file.open("rb"), as_attachment=True, filename=evidence.original_name)


# --- Progress ---------------------------------------------------------------------------------------


@require_GET
@ledger_user
def progress(request):
    request.nav_active = "progress"
    year = _year(request)
    context = selectors.progress(user=request.user, year=year)
    context["years"] = context["engine"].report_years(max(timezone.localdate().year, year))
    context["pilots"] = selectors.pilots_supervision(request.user)
    return render(request, "communities/progress.html", context)


def _annex2_context(request):
    units = selectors.reporting_units_visible(request.user)
    code = request.GET.get("unit") or (units.first().code if units.exists() else "")
    unit = units.filter(code=code).first()
    if unit is None:
        raise Http404("没有找到该市州。")
    engine = engine_for(settings.MECHANISM)
    years = engine.report_years(timezone.localdate().year)
    return units, selectors.annex2(unit=unit, years=years), engine


@require_GET
@ledger_user
def annex2(request):
    request.nav_active = "progress"
    units, table, engine = _annex2_context(request)
    return render(
        request, "communities/annex2.html", {"units": units, "t": table, "spec": engine.spec.get("annex2") or {}}
    )


@require_GET
@ledger_user
def annex2_export(request):
    _units, table, engine = _annex2_context(request)
    spec = engine.spec.get("annex2") or {}
    data = annex2_workbook(table, title=spec.get("title", "绿色社区建设任务完成情况汇总表"), note=spec.get("note", ""))
    response = HttpResponse(data, content_type=XLSX)
    filename = f"附件2-{table['unit'].name}-{spec.get('title', '绿色社区建设任务完成情况汇总表')}.xlsx"
    response["Content-Disposition"] = content_disposition_header(True, filename)  # RFC 5987 filename*
    return response


# --- Public -----------------------------------------------------------------------------------------


@login_not_required
@require_GET
def public_old_estates(request):
    """公开：全省进行改造的老旧小区清单 (Guizhou plan 五（三）). No sign-in; nothing but the list: 50 rows a
    page, filtered by prefecture and a search, with each row's date of last update."""
    from django.db.models import Max

    mechanism = mechanism_deployed()  # None before the mechanism is loaded: an empty list, not an error
    units = list(
        ReportingUnit.objects.prefectures()
        .filter(mechanism=mechanism)
        .order_by("order", "pk")
        .values_list("code", "name")
    )
    unit = request.GET.get("unit", "")
    if unit not in dict(units):
        unit = ""
    q = request.GET.get("q", "").strip()[: selectors.PUBLIC_QUERY_MAX]
    qs = selectors.public_renovation_list(mechanism=mechanism, unit_code=unit, q=q)
    page = Paginator(qs, selectors.PUBLIC_PAGE_SIZE).get_page(request.GET.get("page"))
    latest = selectors.public_renovation_list(mechanism=mechanism).aggregate(at=Max("updated_at"))["at"]
    return render(
        request,
        "communities/public_old_estates.html",
        {
            "page": page,
            "rows": selectors.public_rows(page.object_list),
            "units": units,
            "filters": {"unit": unit, "q": q},
            "province": mechanism.province if mechanism else "",
            "latest": timezone.localdate(latest) if latest else None,
        },
    )
