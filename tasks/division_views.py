"""Pages and actions of 二次交办 and 成员审核 (docs/divisions.md). Thin: parse, call a service in
`tasks.divisions` (or `tasks.division_flow` for the consolidation, which moves the item's flow), render.
The actions answer on the item page, where the panel (`{% division_panel %}`) shows them; a
DomainError shows the item page again with the message and what was typed."""

from datetime import date

from django.contrib import messages
from django.db import transaction
from django.http import FileResponse, Http404
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from core.errors import DomainError
from core.parsing import int_or_none
from members.models import Division, MemberUnit
from members.selectors import is_overseer

from . import divisions as ds, selectors
from .division_inbox import pending_for
from .division_selectors import (
    get_part_attachment_for_user_or_404,
    get_part_for_user_or_404,
    get_review_for_user_or_404,
)


def _act(request, item, action, success: str, anchor: str = ""):
    # The item page and its error rendering are the items' own (tasks.views).
    from .views import _act as item_act

    return item_act(request, item, action, success, anchor)


def _date(value):
    try:
        return date.fromisoformat(value) if value else None
    except ValueError:
        raise DomainError("日期格式不正确，请按“年-月-日”填写。", field="due_date") from None


def _share(request, pk):
    """A share the user may pass down: their own unit's, or (the office) any of their joint meeting's."""
    a = selectors.get_assignment_for_user_or_404(request.user, pk)
    if not ds.may_manage_share(request.user, a):
        raise Http404
    return a


# --- the unit's liaison (or the office) -------------------------------------------------------------------


@require_POST
def share_assign(request, pk):
    a = _share(request, pk)
    ids = [n for n in map(int_or_none, request.POST.getlist("divisions")) if n is not None]
    divisions = list(Division.objects.filter(unit_id=a.unit_id, pk__in=ids).order_by("order", "pk"))

    def run():
        if len(divisions) != len(set(ids)):
            raise DomainError("所选处室不属于该单位。", field="divisions")
        ds.share_assign_divisions(
            assignment=a,
            divisions=divisions,
            note=request.POST.get("note", ""),
            due_date=_date(request.POST.get("due_date")),
            by=request.user,
        )

    return _act(request, a.item, run, "已交由处室办理，处室联络员已收到通知。", f"#divisions-{a.pk}")


def _own_share(request, pk):
    """The user's own unit's share (the office does not act for a unit)."""
    a = selectors.get_assignment_for_user_or_404(request.user, pk)
    if a.unit_id not in selectors.unit_ids_for_user(request.user):
        raise Http404
    return a


@require_POST
def share_review(request, pk):
    """The unit's liaison submits the unit's feedback to its member (成员审核)."""
    a = _own_share(request, pk)
    return _act(
        request,
        a.item,
        lambda: ds.feedback_review_request(
            assignment=a, result=request.POST.get("result", ""), version=request.POST.get("version"), by=request.user
        ),
        "已提交成员审核。",
        f"#task-{a.pk}",
    )


@require_POST
def share_approve(request, pk):
    """The unit's member approves the liaison's feedback: it is reported to the office (or the lead)."""
    from .division_flow import share_consolidate

    a = _own_share(request, pk)
    return _act(
        request,
        a.item,
        lambda: share_consolidate(assignment=a, result="", version=None, by=request.user),
        "已审核通过，本单位反馈已报出。",
    )


@require_POST
def part_return(request, pk):
    p = get_part_for_user_or_404(request.user, pk)
    if not ds.may_manage_share(request.user, p.assignment):
        raise Http404
    return _act(
        request,
        p.item,
        lambda: ds.division_part_return(part=p, reason=request.POST.get("reason", ""), by=request.user),
        "已退回处室修改。",
        f"#divisions-{p.assignment_id}",
    )


@require_POST
def part_withdraw(request, pk):
    p = get_part_for_user_or_404(request.user, pk)
    if not ds.may_manage_share(request.user, p.assignment):
        raise Http404
    return _act(
        request,
        p.item,
        lambda: ds.division_part_withdraw(part=p, reason=request.POST.get("reason", ""), by=request.user),
        "已撤回处室任务。",
        f"#divisions-{p.assignment_id}",
    )


# --- the division's liaison -------------------------------------------------------------------------------


@require_POST
def part_work(request, pk):
    """The division's one work form: 暂存, 上传附件 or 提交 (as the unit's work form)."""
    p = get_part_for_user_or_404(request.user, pk)
    if not ds.may_work_part(request.user, p):
        raise Http404
    result, version = request.POST.get("result", ""), request.POST.get("version")
    files = request.FILES.getlist("file")
    anchor = f"#part-{p.pk}"

    def attach():
        with transaction.atomic():
            for upload in files:
                ds.part_attachment_add(part=p, upload=upload, by=request.user)

    if "submit" in request.POST:

        def submit():
            if files:
                attach()
            ds.division_part_submit(part=p, result=result, version=version, by=request.user)

        label = "已提交成员审核。" if p.assignment.unit.head_review else "已报送本单位。"
        return _act(request, p.item, submit, label, anchor)
    if "upload" in request.POST or files:

        def upload():
            if not files:
                raise DomainError("请选择要上传的文件。", field="file")
            with transaction.atomic():
                if result.strip() != p.result:
                    ds.division_part_save(part=p, result=result, version=version, by=request.user)
                attach()

        return _act(request, p.item, upload, "附件已上传。", anchor)
    return _act(
        request,
        p.item,
        lambda: ds.division_part_save(part=p, result=result, version=version, by=request.user),
        "已暂存。",
        anchor,
    )


def part_file(request, pk):
    att = get_part_attachment_for_user_or_404(request.user, pk)
    return FileResponse(att.file.open("rb"), as_attachment=True, filename=att.name)


# --- the member (成员审核) -------------------------------------------------------------------------------


@require_POST
def review_decide(request, pk):
    r = get_review_for_user_or_404(request.user, pk)
    decision = request.POST.get("decision")
    reason = request.POST.get("reason", "")

    def run():
        if decision not in ("approve", "return"):
            raise DomainError("请选择审核通过或退回修改。")
        if decision == "approve" and r.part_id is None:
            from .division_flow import share_consolidate

            share_consolidate(assignment=r.assignment, result="", version=None, by=request.user)
        else:
            ds.feedback_review(review=r, approve=decision == "approve", reason=reason, by=request.user)

    return _act(request, r.item, run, "已审核通过。" if decision == "approve" else "已退回修改。")


# --- lists and settings ---------------------------------------------------------------------------------


def division_list(request):
    """处室事项: the division's open parts, what waits for the member's review, and (for the unit's
    liaison) the parts reported and waiting to be consolidated."""
    request.nav_active = "divisions"
    return render(request, "tasks/divisions.html", {"rows": pending_for(request.user, limit=100)})


def division_settings(request):
    """The office sets, per unit, the coordinating division and whether 成员审核 is on (audited)."""
    from members.services import unit_division_settings_set

    if not request.user.has_perm("members.dispatch"):
        raise Http404
    request.nav_active = "division-settings"
    units = list(
        MemberUnit.objects.current()
        .in_current_mechanism()
        .prefetch_related("divisions")
        .select_related("coordinating_division")
        .order_by("order", "pk")
    )
    error, status = None, 200
    if request.method == "POST":
        unit = next((u for u in units if u.pk == int_or_none(request.POST.get("unit"))), None)
        if unit is None:
            raise Http404
        division_id = int_or_none(request.POST.get("coordinating_division"))
        division = next((d for d in unit.divisions.all() if d.pk == division_id), None)
        try:
            if request.POST.get("coordinating_division") and division is None:
                raise DomainError("统筹处室不属于该单位。")
            unit_division_settings_set(
                unit=unit,
                coordinating_division=division,
                head_review=request.POST.get("head_review") == "on",
                by=request.user,
            )
        except DomainError as exc:
            error, status = exc.message, exc.status
        else:
            messages.success(request, f"已保存{unit.name}的设置。")
            return redirect("divisions:settings")
    return render(
        request,
        "tasks/division_settings.html",
        {"units": units, "error": error, "overseer": is_overseer(request.user)},
        status=status,
    )
