from django.core.cache import caches
from django.urls import get_script_prefix, reverse

from .access import CACHE_ALIAS, access_for, access_key, shares_cache
from .models import UNIT_ROLES
from .selectors import is_overseer


def navigation(request):
    """The sidebar, grouped: what this user may open, in the words of journeys.md.

    Each entry is (key, label, url); views set `request.nav_active` to their key. The sidebar depends
    only on the user's access snapshot (members.access), so it is built once per snapshot."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    shared = shares_cache(user)
    key = f"nav:{access_key(user)}:{get_script_prefix()}"
    nav = caches[CACHE_ALIAS].get(key) if shared else None
    if nav is None:
        nav = _navigation(user)
        if shared:
            caches[CACHE_ALIAS].set(key, nav)
    return {**nav, "nav_active": getattr(request, "nav_active", "")}


def _navigation(user) -> dict:
    access = access_for(user)
    roles = access.roles
    overseer = is_overseer(user)
    dispatcher = user.has_perm("members.dispatch")
    has_unit = access.has_unit
    reporting_units = list(access.reporting_unit_names) if user.reporting_unit_id else []

    work = [("home", "首页", reverse("home"))]
    if overseer:
        work.append(("dashboard", "督办总览", reverse("dashboard:index")))
    if has_unit:
        work.append(("inbox", "我的待办", reverse("items:inbox")))
    if access.division_ids or access.review_division_ids:  # 二次交办 and 成员审核 (docs/divisions.md)
        work.append(("divisions", "处室事项", reverse("divisions:list")))
    if dispatcher:
        work.append(("queue", "工作台", reverse("items:queue")))
    elif overseer:
        work.append(("queue", "督办事项", reverse("items:queue")))
    work.append(("obligations", "本地区报送" if reporting_units else "报送任务", reverse("deadlines:obligations")))
    work.append(("notifications", "我的通知", reverse("deadlines:notifications")))

    oversight = []
    if overseer or user.is_superuser:
        oversight += [
            ("overdue", "逾期督办", reverse("deadlines:overdue")),
            ("preview", "截止日期预览", reverse("deadlines:preview")),
        ]
    if overseer:
        oversight += [
            ("evaluation", "年度考评", reverse("evaluation:index")),
            ("practices", "经验做法", reverse("evaluation:practices")),
        ]
    elif has_unit or reporting_units:
        work.append(("evaluation", "考评结果", reverse("evaluation:index")))

    meeting = [("mechanism", "联席会议", reverse("members:mechanism"))]
    if overseer or any(role in UNIT_ROLES for role, _ in roles):
        meeting += [
            ("meetings", "会议与纪要", reverse("meetings:list")),
            ("membership", "成员调整", reverse("meetings:changes")),
        ]
    if overseer or has_unit:  # a unit raises major matters and follows the ones it raised
        meeting.append(("escalations", "重大事项", reverse("meetings:escalations")))
    # 督导检查: overseers, prefecture users (inspections of their area) and unit people (who may be on a
    # team; the page shows only their own inspections).
    if overseer or reporting_units or has_unit:
        meeting.append(("inspections", "督导检查", reverse("inspections:list")))

    communities = []
    if reporting_units or overseer:
        communities.append(("communities", "社区台账", reverse("communities:ledger")))
        if overseer:
            communities.append(("progress", "创建进度", reverse("communities:progress")))

    system = [("me", "个人设置", reverse("me:settings")), ("calendar-feed", "日历订阅", reverse("dashboard:calendar"))]
    if dispatcher:
        system.append(("division-settings", "处室与成员审核", reverse("divisions:settings")))
    if dispatcher or user.is_staff:
        system += [
            ("calendar", "节假日日历", reverse("deadlines:calendar")),
            ("deliveries", "发送记录", reverse("deadlines:deliveries")),
            ("reach", "联系可达性", reverse("me:reach")),
        ]
    if overseer or user.is_staff:
        system.append(("health", "运行状态", reverse("health")))
    if user.is_staff:
        system.append(("admin", "管理后台", reverse("admin:index")))
    if dispatcher or user.is_staff:  # the API's Swagger page: for the office and administrators
        system.append(("api", "接口文档", reverse("api-docs")))

    groups = [
        (title, items)
        for title, items in (
            ("日常工作", work),
            ("督办", oversight),
            ("联席会议", meeting),
            ("社区创建", communities),
            ("设置与服务", system),
        )
        if items
    ]
    role_labels = sorted({label for _, label in roles})
    if reporting_units:
        role_labels.append(f"{reporting_units[0]}报送用户")
    return {
        "nav_groups": groups,
        "nav_items": [item for _, items in groups for item in items],
        "nav_roles": role_labels,
    }
