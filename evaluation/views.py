"""Pages of the annual evaluation and of good practice. Thin: parse, call a selector or a service,
render. Overseers see the evaluations of their mechanism; a unit sees its own published result; an
object someone may not see answers 404, an action their role may not take 403."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from core.documents import DOCX_CONTENT_TYPE
from core.errors import DomainError, NotAllowed
from core.exports import XLSX_CONTENT_TYPE
from deadlines.models import Submission
from members.selectors import is_overseer, mechanism_for
from workflow.transitions import transition_allowed

from . import exports, selectors, services
from .forms import AdjustForm, ComputeForm, PracticeForm, SendBackForm
from .models import EvaluationRules
from .rules import INDICATORS, indicator_codes
from .scoring import applies

PAGE_SIZE = 50


def _nav(request, key="evaluation"):
    request.nav_active = key


def _run(request, fn, success: str, form=None) -> bool:
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
    messages.success(request, success)
    return True


def _download(content: bytes, filename: str, content_type: str) -> HttpResponse:
    from urllib.parse import quote

    response = HttpResponse(content, content_type=content_type)
    response["Content-Disposition"] = f"attachment; filename*=UTF-8''{quote(filename)}"
    return response


def _years(mechanism) -> list[int]:
    today = timezone.localdate()
    return list(range(today.year, mechanism.established_on.year - 1, -1)) if mechanism else []


def index(request):
    _nav(request)
    user = request.user
    if not is_overseer(user):
        page = Paginator(
            selectors.own_scores(user).select_related("evaluation").order_by("-evaluation__year", "kind", "id"),
            PAGE_SIZE,
        ).get_page(request.GET.get("page"))
        return render(request, "evaluation/mine.html", {"page": page})
    mechanism = mechanism_for(user)
    form = ComputeForm(request.POST or None, years=_years(mechanism))
    may_run = selectors.may_run(user)
    if request.method == "POST":
        if not may_run:
            raise PermissionDenied("只有联席会议办公室可以核算考评。")
        if form.is_valid():
            result = {}

            def compute():
                result["e"] = services.evaluation_compute(mechanism=mechanism, year=form.cleaned_data["year"], by=user)

            if _run(request, compute, f"已按记录核算{form.cleaned_data['year']}年度考评。", form):
                return redirect("evaluation:detail", pk=result["e"].pk)
    evaluations = selectors.evaluations_for_user(user).order_by("-year")[:30]
    rules = EvaluationRules.objects.filter(mechanism=mechanism).first() if mechanism else None
    return render(
        request,
        "evaluation/index.html",
        {
            "evaluations": evaluations,
            "form": form,
            "may_run": may_run,
            "mechanism": mechanism,
            "rules": rules,
            "rule_lines": [
                (INDICATORS[c], rules.rules["indicators"][c]["weight"]) for c in indicator_codes(rules.rules)
            ]
            if rules
            else [],
        },
    )


def _score_rows(evaluation, scores):
    codes = indicator_codes(evaluation.rules)
    for s in scores:
        s.cells = [(INDICATORS[c], s.parts.get(c) if applies(c, s.kind) else None) for c in codes]
    return [(INDICATORS[c], evaluation.rules["indicators"][c]["weight"]) for c in codes]


def detail(request, pk):
    _nav(request)
    evaluation = selectors.get_evaluation_for_user_or_404(request.user, pk)
    scores = list(evaluation.scores.order_by("kind", "rank", "order", "id")[:500])
    columns = _score_rows(evaluation, scores)
    from .models import ScoreAdjustment

    adjustments = (
        ScoreAdjustment.objects.filter(score__evaluation=evaluation)
        .select_related("score", "by")
        .order_by("-at", "-id")[:50]
    )
    office, convener = selectors.may_run(request.user), selectors.is_convener(request.user)
    return render(
        request,
        "evaluation/detail.html",
        {
            "e": evaluation,
            "columns": columns,
            "adjustments": adjustments,
            "groups": [
                ("成员单位", [s for s in scores if s.kind == "mu"]),
                ("市州", [s for s in scores if s.kind == "ru"]),
            ],
            "may_recompute": office and transition_allowed(evaluation, "recompute"),
            "may_submit": office and transition_allowed(evaluation, "submit"),
            "may_confirm": convener and transition_allowed(evaluation, "confirm"),
            "may_publish": office and transition_allowed(evaluation, "publish"),
            "send_back_form": SendBackForm(),
        },
    )


@require_POST
def action(request, pk):
    evaluation = selectors.get_evaluation_for_user_or_404(request.user, pk)
    name, version, by = request.POST.get("action"), request.POST.get("version"), request.user
    if name == "recompute":
        _run(
            request,
            lambda: services.evaluation_compute(mechanism=evaluation.mechanism, year=evaluation.year, by=by),
            "已按最新记录重新核算（调整分保留）。",
        )
    elif name == "submit":
        _run(
            request,
            lambda: services.evaluation_submit(evaluation=evaluation, by=by, version=version),
            "已核定，报召集人确认。",
        )
    elif name == "confirm":
        _run(
            request,
            lambda: services.evaluation_confirm(evaluation=evaluation, by=by, version=version),
            "已确认考评结果，待办公室发布。",
        )
    elif name == "send_back":
        form = SendBackForm(request.POST)
        reason = form.data.get("reason", "")
        _run(
            request,
            lambda: services.evaluation_send_back(evaluation=evaluation, reason=reason, by=by, version=version),
            "已退回办公室。",
        )
    elif name == "publish":
        _run(
            request,
            lambda: services.evaluation_publish(evaluation=evaluation, by=by, version=version),
            "已发布，各参评单位已收到通知。",
        )
    else:
        raise Http404("没有这项操作。")
    return redirect("evaluation:detail", pk=pk)


def mine(request, pk):
    """Where the published-result notice links: a unit's own result, an overseer's whole table."""
    if is_overseer(request.user):
        return redirect("evaluation:detail", pk=selectors.get_evaluation_for_user_or_404(request.user, pk).pk)
    own = list(selectors.own_scores(request.user).filter(evaluation_id=pk).order_by("kind", "id")[:2])
    if not own:
        raise Http404("没有本单位的考评结果。")
    return redirect("evaluation:score", pk=pk, score_pk=own[0].pk)


def _indicator_rows(score):
    rules = score.evaluation.rules
    f = score.figures
    marks = "、".join(
        f"{label} {f['marks'][code]} 份" for code, label in zip(exports.MARK_ORDER, "优良中差") if f["marks"].get(code)
    )
    explain = {
        "ontime_rate": f"应完成 {f['due']} 项，按时完成 {f['ontime']} 项",
        "overdue_days": f"逾期合计 {f['overdue_days']} 天，每天扣 {rules['indicators'].get('overdue_days', {}).get('per_day', '')} 分",
        "returns": f"退回修改 {f['returns']} 次，每次扣 {rules['indicators'].get('returns', {}).get('per_return', '')} 分",
        "quality": f"已评定 {sum(f['marks'].values())} 份{('：' + marks) if marks else '（未评定的不扣分）'}",
        "matters_done": f"议定事项任务 {f['matters_due']} 项，已完成 {f['matters_done']} 项",
    }
    return [
        {
            "code": c,
            "label": INDICATORS[c],
            "weight": spec["weight"],
            "points": score.parts.get(c),
            "explain": explain[c],
            "applies": applies(c, score.kind),
        }
        for c, spec in ((c, rules["indicators"][c]) for c in indicator_codes(rules))
    ]


def score_detail(request, pk, score_pk):
    _nav(request)
    score = selectors.get_score_for_user_or_404(request.user, pk, score_pk)
    evaluation = score.evaluation
    overseer = is_overseer(request.user)
    may_adjust = selectors.may_run(request.user) and transition_allowed(evaluation, "adjust")
    form = AdjustForm(request.POST or None, initial={"adjustment": score.adjustment})
    if request.method == "POST":
        if not may_adjust:
            raise PermissionDenied("只有联席会议办公室可以在核算阶段调整得分。")
        if form.is_valid() and _run(
            request,
            lambda: services.score_adjust(
                score=score,
                adjustment=form.cleaned_data["adjustment"],
                reason=form.cleaned_data["reason"],
                by=request.user,
                version=request.POST.get("version"),
            ),
            "已调整得分并记录理由。",
            form,
        ):
            return redirect("evaluation:score", pk=pk, score_pk=score_pk)
    return render(
        request,
        "evaluation/score.html",
        {
            "s": score,
            "e": evaluation,
            "indicators": _indicator_rows(score),
            "form": form,
            "may_adjust": may_adjust,
            "overseer": overseer,
            "adjustments": score.adjustments.select_related("by").order_by("-at", "-id")[:50],
            "others": evaluation.scores.filter(kind=score.kind).count() if overseer else None,
        },
        status=200 if request.method == "GET" or not form.errors else 400,
    )


def score_drill(request, pk, score_pk, indicator):
    _nav(request)
    score = selectors.get_score_for_user_or_404(request.user, pk, score_pk)
    data = selectors.drill(score, indicator)
    w = data["window"]
    sections = []
    if data["obligations"] is not None:
        page = Paginator(data["obligations"], PAGE_SIZE).get_page(request.GET.get("page_o"))
        for o in page:
            o.row = selectors.obligation_row(o, w)
        sections.append(("报送任务", "o", page))
    if data["assignments"] is not None:
        page = Paginator(data["assignments"], PAGE_SIZE).get_page(request.GET.get("page_a"))
        for a in page:
            a.row = selectors.assignment_row(a, w)
        sections.append(("督办事项", "a", page))
    if data["submissions"] is not None:
        sections.append(
            ("报送记录", "s", Paginator(data["submissions"], PAGE_SIZE).get_page(request.GET.get("page_s")))
        )
    return render(
        request,
        "evaluation/drill.html",
        {"s": score, "e": score.evaluation, "data": data, "sections": sections, "overseer": is_overseer(request.user)},
    )


def export_xlsx(request, pk):
    evaluation = selectors.get_evaluation_for_user_or_404(request.user, pk)
    scores = list(evaluation.scores.order_by("kind", "rank", "order", "id")[:500])
    return _download(*exports.evaluation_xlsx(evaluation, scores), XLSX_CONTENT_TYPE)


def export_docx(request, pk):
    evaluation = selectors.get_evaluation_for_user_or_404(request.user, pk)
    scores = list(evaluation.scores.order_by("kind", "rank", "order", "id")[:500])
    return _download(*exports.evaluation_docx(evaluation, scores, today=timezone.localdate()), DOCX_CONTENT_TYPE)


# --- good practice (经验做法) ------------------------------------------------------------------------------


def practice_list(request):
    _nav(request, "practices")
    if not is_overseer(request.user):
        raise Http404("页面不存在。")
    mechanism = mechanism_for(request.user)
    may_edit = selectors.may_run(request.user)
    form = PracticeForm(request.POST or None, mechanism_id=mechanism.pk if mechanism else None)
    if request.method == "POST":
        if not may_edit:
            raise PermissionDenied("只有联席会议办公室可以收集经验做法。")
        result = {}

        def create():
            result["p"] = services.practice_create(by=request.user, **form.cleaned_data)

        if form.is_valid() and _run(request, create, "已收入经验做法。", form):
            return redirect("evaluation:practice", pk=result["p"].pk)
    qs = selectors.practices_for_user(request.user).select_related("member_unit", "reporting_unit")
    only = request.GET.get("praised") == "1"
    if only:
        qs = qs.filter(praised=True)
    page = Paginator(qs.order_by("-created_at", "-id"), PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request, "evaluation/practices.html", {"page": page, "form": form, "may_edit": may_edit, "only_praised": only}
    )


def practice_detail(request, pk):
    _nav(request, "practices")
    practice = selectors.get_practice_for_user_or_404(request.user, pk)
    may_edit = selectors.may_run(request.user)
    initial = {
        "title": practice.title,
        "text": practice.text,
        "member_unit": practice.member_unit_id,
        "reporting_unit": practice.reporting_unit_id,
        "source_url": practice.source_url,
    }
    form = PracticeForm(
        request.POST if request.POST.get("action") == "edit" else None,
        initial=initial,
        mechanism_id=practice.mechanism_id,
    )
    if request.method == "POST":
        if not may_edit:
            raise PermissionDenied("只有联席会议办公室可以修改经验做法。")
        name = request.POST.get("action")
        if name == "edit":
            if form.is_valid() and _run(
                request,
                lambda: services.practice_update(practice=practice, by=request.user, **form.cleaned_data),
                "已保存。",
                form,
            ):
                return redirect("evaluation:practice", pk=pk)
        elif name in ("praise", "unpraise"):
            _run(
                request,
                lambda: services.practice_praise(practice=practice, praised=name == "praise", by=request.user),
                "已列入通报表扬，下一期情况通报将予以表扬。" if name == "praise" else "已取消通报表扬。",
            )
            return redirect("evaluation:practice", pk=pk)
        else:
            raise Http404("没有这项操作。")
    return render(request, "evaluation/practice.html", {"p": practice, "form": form, "may_edit": may_edit})


@require_POST
def practice_from_submission(request, submission_pk):
    if not selectors.may_run(request.user):
        raise Http404("页面不存在。")
    submission = get_object_or_404(
        Submission.objects.select_related("obligation__rule", "obligation__member_unit", "obligation__reporting_unit"),
        pk=submission_pk,
        obligation__rule__mechanism_id=mechanism_for(request.user).pk,
    )
    result = {}

    def collect():
        result["p"] = services.practice_from_submission(submission=submission, by=request.user)

    if _run(request, collect, "已收入经验做法，可在此修改标题和内容。"):
        return redirect("evaluation:practice", pk=result["p"].pk)
    return redirect("deadlines:obligation", pk=submission.obligation_id)
