from django.urls import reverse

from .models import UNIT_ROLES
from .selectors import is_overseer, reporting_units_for_user, roles_for_user, units_for_user


def navigation(request):
    """The sidebar: what this user may open. Each later feature adds its entry here."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    roles = roles_for_user(user)
    items = [("home", "首页", reverse("home"))]
    # 督办总览 (issue 6): the convener's, deputy's and office's overview.
    if is_overseer(user):
        items.append(("dashboard", "督办总览", reverse("dashboard:index")))
    # 督办事项 (issue 3): liaisons and members work their unit's tasks; the office and conveners see all.
    if units_for_user(user).exists():
        items.append(("inbox", "我的待办", reverse("items:inbox")))
    if user.has_perm("members.dispatch"):
        items.append(("queue", "工作台", reverse("items:queue")))
    elif is_overseer(user):
        items.append(("queue", "督办事项", reverse("items:queue")))
    items.append(("mechanism", "联席会议", reverse("members:mechanism")))
    items.append(("obligations", "报送任务", reverse("deadlines:obligations")))
    if is_overseer(user) or any(a.role in UNIT_ROLES for a in roles):
        items.append(("meetings", "会议与纪要", reverse("meetings:list")))
        items.append(("membership", "成员调整", reverse("meetings:changes")))
    if is_overseer(user):
        items.append(("escalations", "重大事项", reverse("meetings:escalations")))
    items.append(("notifications", "我的通知", reverse("deadlines:notifications")))
    items.append(("calendar-feed", "日历订阅", reverse("dashboard:calendar")))
    if is_overseer(user) or user.is_superuser:
        items.append(("overdue", "逾期督办", reverse("deadlines:overdue")))
        items.append(("preview", "截止日期预览", reverse("deadlines:preview")))
    if user.has_perm("members.dispatch") or user.is_staff:
        items.append(("calendar", "节假日日历", reverse("deadlines:calendar")))
        items.append(("deliveries", "发送记录", reverse("deadlines:deliveries")))
    if is_overseer(user) or user.is_staff:
        items.append(("health", "运行状态", reverse("health")))
    if user.is_staff:
        items.append(("admin", "管理后台", reverse("admin:index")))
    items.append(("api", "接口文档", reverse("api-docs")))
    role_labels = sorted({a.get_role_display() for a in roles})
    reporting_units = list(reporting_units_for_user(user)) if user.reporting_unit_id else []
    if reporting_units:
        role_labels.append(f"{reporting_units[0].name}报送用户")
    # communities app: 社区台账 for prefecture users and overseers, 创建进度 for overseers.
    at = next(i for i, item in enumerate(items) if item[0] == "mechanism") + 1
    if reporting_units or is_overseer(user):
        items.insert(at, ("communities", "社区台账", reverse("communities:ledger")))
        if is_overseer(user):
            items.insert(at + 1, ("progress", "创建进度", reverse("communities:progress")))
    return {"nav_items": items, "nav_roles": role_labels, "nav_active": getattr(request, "nav_active", "")}
