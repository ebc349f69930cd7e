"""县区分解与汇总: one page per prefecture obligation — pass it down to counties, read their returns side
by side, receive or return each, and submit the consolidated answer. Thin: deadlines.cascade does the work."""

from django import forms
from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone

from core.errors import Conflict, DomainError
from core.forms import DateInput
from core.parsing import int_or_none
from members.selectors import is_overseer

from . import cascade, selectors
from .models import Obligation
from .services import obligations as services
from .views import _decorate


class PassDownForm(forms.Form):
    due_on = forms.DateField(
        label="县（市、区）截止日期",
        widget=DateInput(),
        error_messages={"invalid": "请按 年-月-日 填写日期，例如 2026-03-20。", "required": "请填写截止日期。"},
    )
    instructions = forms.CharField(
        label="要求（可选）", required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 3})
    )


class ConsolidateForm(forms.Form):
    text = forms.CharField(
        label="汇总报送内容",
        widget=forms.Textarea(attrs={"rows": 12}),
        max_length=20000,
        error_messages={"required": "请填写汇总报送内容。"},
    )


class ReceiveForm(forms.Form):
    reason = forms.CharField(
        label="退回理由", required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 2})
    )


def county_returns(request, pk):
    parent = selectors.get_obligation_for_user_or_404(request.user, pk)
    if cascade.is_county_obligation(parent):
        raise Http404("页面不存在。")
    user = request.user
    request.nav_active = "obligations"
    today = timezone.localdate()
    owner = cascade.may_pass_down(user, parent)
    if not owner and not ((is_overseer(user) or user.is_superuser) and parent.reporting_unit_id):
        raise Http404("页面不存在。")
    shares = cascade.shares_of(parent)
    if not owner and not shares:
        raise Http404("页面不存在。")  # the province sees this page only once the prefecture has passed work down
    pass_form = PassDownForm(initial={"due_on": cascade.default_share_due(parent, today)})
    consolidate_form = ConsolidateForm(initial={"text": cascade.consolidation_text(shares)})
    receive_form = ReceiveForm()
    chosen: set[int] = set()
    status = 200
    if request.method == "POST":
        action = request.POST.get("action", "")
        if not owner:
            raise Http404("不能进行该操作。")
        try:
            if action == "pass_down":
                pass_form = PassDownForm(request.POST)
                chosen = {k for k in map(int_or_none, request.POST.getlist("counties")) if k is not None}
                if pass_form.is_valid():
                    created = cascade.obligation_pass_down(
                        obligation=parent,
                        counties=chosen,
                        due_on=pass_form.cleaned_data["due_on"],
                        instructions=pass_form.cleaned_data["instructions"],
                        by=user,
                    )
                    messages.success(request, f"已下发 {len(created)} 个县（市、区），并通知其报送用户。")
                    return redirect("deadlines:county_returns", pk=pk)
            elif action in ("accept", "return"):
                share = next((s for s in shares if s.pk == int_or_none(request.POST.get("share"))), None)
                if share is None:
                    raise Http404("没有找到该县（市、区）的报送。")
                receive_form = ReceiveForm(request.POST)
                if receive_form.is_valid():
                    cascade.county_return_decide(
                        obligation=share, accept=action == "accept", reason=receive_form.cleaned_data["reason"], by=user
                    )
                    messages.success(
                        request,
                        f"已接收{share.reporting_unit.name}的报送。"
                        if action == "accept"
                        else f"已将{share.reporting_unit.name}的报送退回修改，并通知其报送用户。",
                    )
                    return redirect("deadlines:county_returns", pk=pk)
                receive_form.share_id = share.pk
            elif action == "consolidate":
                consolidate_form = ConsolidateForm(request.POST)
                if consolidate_form.is_valid():
                    services.obligation_submit(obligation=parent, text=consolidate_form.cleaned_data["text"], by=user)
                    messages.success(request, "已汇总报送，等待联席会议办公室接收。")
                    return redirect("deadlines:obligation", pk=pk)
            else:
                raise Http404("不能进行该操作。")
        except DomainError as exc:
            messages.error(request, exc.message)
            status = exc.status if isinstance(exc, Conflict) else 400
            form = {"pass_down": pass_form, "consolidate": consolidate_form}.get(action, receive_form)
            if exc.field and exc.field in form.fields:
                form.add_error(exc.field, exc.message)
            parent.refresh_from_db()
            shares = cascade.shares_of(parent)
        else:
            status = 400
    _decorate([parent], today)
    _decorate(shares, today)
    owed = parent.status in Obligation.OWED
    not_passed = cascade.counties_not_passed(parent, shares) if owner and owed else []
    counts = {
        "all": len(shares),
        "in": sum(1 for s in shares if s.status in (Obligation.SUBMITTED, Obligation.ACCEPTED)),
        "accepted": sum(1 for s in shares if s.status == Obligation.ACCEPTED),
    }
    counts["missing"] = counts["all"] - counts["in"]
    return render(
        request,
        "deadlines/county_returns.html",
        {
            "o": parent,
            "shares": shares,
            "owner": owner,
            "owed": owed,
            "not_passed": not_passed,
            "chosen": chosen if request.POST.get("action") == "pass_down" else {c.pk for c in not_passed},
            "pass_form": pass_form,
            "consolidate_form": consolidate_form,
            "receive_form": receive_form,
            "counts": counts,
            "can_consolidate": owner and owed and today >= parent.opens_on,
        },
        status=status,
    )
