from django.http import Http404
from django.shortcuts import redirect, render

from .access import access_for
from .selectors import (
    is_overseer,
    may_see_contacts,
    mechanism_current,
    reporting_units_for_user,
    roles_for_user,
    roster,
    units_for_user,
)


def home(request):
    """Each role's first screen. Later features (我的待办, 督办总览, 工作台, 本地区报送) plug in here."""
    user = request.user
    # First screens (issue 3): a liaison/member lands on 我的待办, the office on 工作台.
    if units_for_user(user).exists():
        return redirect("items:inbox")
    # A division's liaison or member (二次交办, docs/divisions.md) lands on 处室事项.
    if access_for(user).division_ids:
        return redirect("divisions:list")
    # 督办总览 (issue 6): the convener and deputy decide and press; the office keeps 工作台.
    if user.has_perm("members.decide"):
        return redirect("dashboard:index")
    if user.has_perm("members.dispatch"):
        return redirect("items:queue")
    request.nav_active = "home"
    return render(
        request,
        "members/home.html",
        {
            "roles": roles_for_user(user),
            "units": list(units_for_user(user)),
            "reporting_units": list(reporting_units_for_user(user)),
            "overseer": is_overseer(user),
            "mechanism": mechanism_current(),
        },
    )


def mechanism_detail(request):
    """联席会议: units, roles, people, duties, work lines and reporting units, to any signed-in user."""
    mechanism = mechanism_current()
    if mechanism is None:
        raise Http404("联席会议尚未载入。")
    request.nav_active = "mechanism"
    context = roster(mechanism)
    context["show_contacts"] = may_see_contacts(request.user)
    from .mechanism_config import mechanism_duties

    context["duties_text"], context["duties"] = mechanism_duties(mechanism.code)
    return render(request, "members/mechanism.html", context)
