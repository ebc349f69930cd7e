"""Pages of supervised items: the item page with its per-unit progress, 交办, and the POST actions.
Thin: parse, call a service or selector, render. A DomainError becomes a Chinese message on the same
page and changes nothing (`workflow.errors`: a role that may not act answers 403)."""

from datetime import date

from django.contrib import messages
from django.db import transaction
from django.http import FileResponse, Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from core.errors import DomainError, NotAllowed
from core.parsing import int_or_none
from members.models import MemberUnit, WorkLine
from members.selectors import is_overseer
from workflow.errors import form_error

from . import selectors, services as ts
from .forms import ItemForm
from .models import Assignment, UnitRequest


def _nav(request, key):
    request.nav_active = key


def _query_without_cursor(request):
    q = request.GET.copy()
    q.pop("after", None)
    return q.urlencode()


# --- create (交办) -------------------------------------------------------------------------------------


def item_create(request):
    if not request.user.has_perm("members.dispatch"):
        raise Http404
    _nav(request, "queue")
    if request.method == "POST":
        form = ItemForm(request.POST)
        if form.is_valid():
            try:
                item = ts.item_dispatch(by=request.user, **form.service_kwargs())
            except DomainError as exc:
                form_error(form, exc)
            else:
                messages.success(request, f"已交办“{item.title}”，各单位已收到任务。")
                return redirect("items:detail", pk=item.pk)
        status = 400
    else:
        initial = {}
        line_id = int_or_none(request.GET.get("work_line"))
        if line_id is not None:
            line = (
                WorkLine.objects.in_current_mechanism().prefetch_related("assignments__unit").filter(pk=line_id).first()
            )
            if line:
                initial = ItemForm.initial_from_work_line(line)
        form = ItemForm(initial=initial)
        status = 200
    work_lines = WorkLine.objects.in_current_mechanism().order_by("order", "pk")
    return render(request, "tasks/item_form.html", {"form": form, "work_lines": work_lines}, status=status)


# --- the item page --------------------------------------------------------------------------------------


def _detail_context(request, item, *, error=None, posted=None):
    ctx = selectors.item_detail(item)
    user = request.user
    my_units = set(selectors.unit_ids_for_user(user))
    pending_by_assignment = {r.assignment_id: r for r in ctx["requests"] if r.is_pending}
    mine = []
    for a in ctx["assignments"]:
        a.pending_request = pending_by_assignment.get(a.pk)
        if a.unit_id in my_units and a.is_live:
            mine.append(a)
    ctx.update(
        {
            "mine": mine,
            "may_review": selectors.may_review(user, item),
            "may_decide": user.has_perm("members.decide"),
            "pending_requests": [r for r in ctx["requests"] if r.is_pending],
            "units": MemberUnit.objects.current().in_current_mechanism().order_by("order", "pk"),
            "error": error,
            "posted": posted or {},
            "submitted": [a for a in ctx["assignments"] if a.result and a.is_live],
        }
    )
    return ctx


def item_detail(request, pk):
    item = selectors.get_item_for_user_or_404(request.user, pk)
    _nav(request, "queue" if is_overseer(request.user) else "inbox")
    return render(request, "tasks/item_detail.html", _detail_context(request, item))


def _act(request, item, action, success: str, anchor: str = ""):
    """Run `action()`; on a DomainError show the item page again with the message and the user's input
    (a `NotAllowed` goes on to `workflow.errors`: 403 with its reason)."""
    try:
        action()
    except NotAllowed:
        raise
    except DomainError as exc:
        item.refresh_from_db()
        return render(
            request,
            "tasks/item_detail.html",
            _detail_context(request, item, error=exc.message, posted=request.POST),
            status=exc.status,
        )
    messages.success(request, success)
    return redirect(reverse("items:detail", args=[item.pk]) + anchor)


def _assignment(request, pk) -> Assignment:
    """The user's own unit's task, or 404 (overseers see tasks but do not act on them)."""
    a = selectors.get_assignment_for_user_or_404(request.user, pk)
    if a.unit_id not in selectors.unit_ids_for_user(request.user):
        raise Http404
    return a


def _date(value):
    try:
        return date.fromisoformat(value) if value else None
    except ValueError:
        raise DomainError("日期格式不正确，请按“年-月-日”填写。", field="date") from None


@require_POST
def task_claim(request, pk):
    a = _assignment(request, pk)
    return _act(
        request, a.item, lambda: ts.assignment_claim(assignment=a, by=request.user), "已签收，请办理。", f"#task-{a.pk}"
    )


@require_POST
def task_work(request, pk):
    """The unit's one work form: 暂存, 上传附件 or 提交 the 办理情况. The text and the file input are one
    form, so choosing a file never loses what was typed: an upload also keeps the text as the draft."""
    a = _assignment(request, pk)
    result, version = request.POST.get("result", ""), request.POST.get("version")
    files = request.FILES.getlist("file")
    if "submit" in request.POST:

        def submit():
            if files:  # attached first, in their own transaction; the version does not move
                _attach(a, files, request.user)
            # A repeat of the user's own submission (a double click) succeeds without writing again.
            ts.assignment_submit(assignment=a, result=result, version=version, by=request.user)

        label = "已汇总报送办公室审核。" if a.is_primary_lead else "已提交反馈。"
        return _act(request, a.item, submit, label)
    if "upload" in request.POST or files:
        return _upload(request, a, result, version, files)
    return _act(
        request,
        a.item,
        lambda: ts.assignment_save(assignment=a, result=result, version=version, by=request.user),
        "已暂存。",
        f"#task-{a.pk}",
    )


def _attach(a, files, user):
    with transaction.atomic():  # all or none of the chosen files
        for upload in files:
            ts.attachment_add(assignment=a, upload=upload, by=user)


def _upload(request, a, result, version, files):
    def run():
        if not files:
            raise DomainError("请选择要上传的文件。", field="file")
        with transaction.atomic():
            if result is not None and result.strip() != a.result:
                ts.assignment_save(assignment=a, result=result, version=version, by=request.user)
            _attach(a, files, request.user)

    kept = "办理情况已暂存。" if (result or "").strip() else ""
    return _act(request, a.item, run, f"附件已上传。{kept}", f"#task-{a.pk}")


@require_POST
def task_attach(request, pk):
    """The upload on its own (older pages and scripts): the same as the work form's 上传附件."""
    a = _assignment(request, pk)
    return _upload(request, a, request.POST.get("result"), request.POST.get("version"), request.FILES.getlist("file"))


@require_POST
def task_extension(request, pk):
    a = _assignment(request, pk)
    return _act(
        request,
        a.item,
        lambda: ts.extension_request(
            assignment=a,
            reason=request.POST.get("reason", ""),
            new_due_date=_date(request.POST.get("new_due_date")),
            by=request.user,
        ),
        "延期申请已提交，等待召集人决定。",
    )


@require_POST
def task_return(request, pk):
    a = _assignment(request, pk)
    return _act(
        request,
        a.item,
        lambda: ts.return_request(assignment=a, reason=request.POST.get("reason", ""), by=request.user),
        "已退回，等待召集人决定。",
    )


@require_POST
def item_accept(request, pk):
    item = selectors.get_item_for_user_or_404(request.user, pk)
    return _act(
        request,
        item,
        lambda: ts.item_accept(item=item, version=request.POST.get("version"), by=request.user),
        "已办结。",
    )


@require_POST
def item_revise(request, pk):
    item = selectors.get_item_for_user_or_404(request.user, pk)
    return _act(
        request,
        item,
        lambda: ts.item_return_for_revision(
            item=item, reason=request.POST.get("reason", ""), version=request.POST.get("version"), by=request.user
        ),
        "已退回主牵头单位修改。",
    )


@require_POST
def item_comment(request, pk):
    item = selectors.get_item_for_user_or_404(request.user, pk)
    return _act(
        request,
        item,
        lambda: ts.comment_add(item=item, body=request.POST.get("body", ""), by=request.user),
        "意见已发表。",
        "#comments",
    )


@require_POST
def request_decide(request, pk):
    req = selectors.get_request_for_decider_or_404(request.user, pk)
    item = req.assignment.item
    decision = request.POST.get("decision")
    note = request.POST.get("note", "")

    def run():
        if decision not in ("approve", "refuse"):
            raise DomainError("请选择同意或不同意。")
        approve = decision == "approve"
        if req.kind == UnitRequest.Kind.EXTENSION:
            ts.extension_decide(
                request=req,
                approve=approve,
                note=note,
                by=request.user,
                granted_due_date=_date(request.POST.get("granted_due_date")),
            )
        else:
            ids = [n for n in map(int_or_none, request.POST.getlist("units")) if n is not None]
            units = list(MemberUnit.objects.current().in_current_mechanism().filter(pk__in=ids))
            ts.return_decide(request=req, approve=approve, units=units, note=note, by=request.user)

    return _act(request, item, run, "已决定。")


def attachment_download(request, pk):
    att = selectors.get_attachment_for_user_or_404(request.user, pk)
    return FileResponse(att.file.open("rb"), as_attachment=True, filename=att.name)
