"""Demo accounts for `make run`: clearly marked (is_demo, “演示” in the name), never in production."""

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import transaction

from .models import Division, Mechanism, Person, Role, RoleAssignment, User
from .services import account_create

DEMO_PASSWORD = "demo-2026"  # noqa: S105 — public by design (README); refused with production settings


def _person_with(mechanism, role, unit_code=None):
    qs = RoleAssignment.objects.active().filter(mechanism=mechanism, role=role).select_related("person")
    if unit_code:
        qs = qs.filter(unit__code=unit_code)
    a = qs.order_by("division__order", "id").first()
    return a.person if a else None


@transaction.atomic
def demo_accounts_ensure(mechanism: Mechanism) -> list[tuple[str, str]]:
    """Create the demo accounts that do not exist yet; return (username, description) for all of them."""
    if not getattr(settings, "DEMO_ACCOUNTS_ALLOWED", False):
        raise ImproperlyConfigured("此环境不允许创建演示账号。")
    lead = mechanism.units.get(is_lead=True)
    office_division = Division.objects.filter(unit=lead).order_by("order").first()
    office_person, created = Person.objects.get_or_create(
        unit=lead, name="演示办公室人员", defaults={"division": office_division, "title": "", "is_demo": True}
    )
    if created:
        RoleAssignment.objects.create(
            mechanism=mechanism,
            person=office_person,
            role=Role.OFFICE_STAFF,
            unit=lead,
            division=office_division,
            start_date=mechanism.established_on,
            basis="演示数据",
        )
    plan = [
        ("demo_convener", "召集人", _person_with(mechanism, Role.CONVENER), None),
        ("demo_deputy", "副召集人、办公室主任", _person_with(mechanism, Role.DEPUTY_CONVENER), None),
        ("demo_office", "联席会议办公室工作人员", office_person, None),
    ]
    for unit in mechanism.units.current().order_by("order"):
        liaison = _person_with(mechanism, Role.LIAISON, unit.code)
        if liaison:
            plan.append((f"demo_liaison_{unit.code}", f"{unit.name}联络员", liaison, None))
    member = _person_with(mechanism, Role.MEMBER, "mzt") or _person_with(mechanism, Role.MEMBER)
    if member:
        plan.append((f"demo_member_{member.unit.code}", f"{member.unit.name}成员", member, None))
    # 二次交办 and 成员审核 (docs/divisions.md): a division of the lead unit other than its coordinating one.
    if lead.coordinating_division_id:
        division = (
            Division.objects.filter(unit=lead).exclude(pk=lead.coordinating_division_id).order_by("order").first()
        )
        for role, key, label in ((Role.LIAISON, "liaison", "联络员"), (Role.MEMBER, "head", "成员（处长）")):
            a = (
                (
                    RoleAssignment.objects.active()
                    .filter(mechanism=mechanism, role=role, division=division)
                    .select_related("person")
                    .order_by("id")
                    .first()
                )
                if division
                else None
            )
            username = f"demo_division_{key}"
            if a and (
                User.objects.filter(username=username).exists() or not User.objects.filter(person=a.person).exists()
            ):
                plan.append((username, f"{lead.name}{division.name}{label}", a.person, None))
    for ru in mechanism.reporting_units.current().prefectures().order_by("order")[:2]:
        plan.append((f"demo_city_{ru.code}", f"{ru.name}{ru.bureau or '报送用户'}", None, ru))

    out = []
    for username, description, person, reporting_unit in plan:
        if person is None and reporting_unit is None:
            continue
        if not User.objects.filter(username=username).exists():
            name = person.name if person else reporting_unit.name
            account_create(
                username=username,
                password=DEMO_PASSWORD,
                person=person,
                reporting_unit=reporting_unit,
                display_name=f"{name}（演示）",
                is_demo=True,
            )
        out.append((username, f"{description}（{person.name if person else reporting_unit.name}）"))
    if not User.objects.filter(username="demo_admin").exists():
        account_create(
            username="demo_admin",
            password=DEMO_PASSWORD,
            display_name="系统管理员（演示）",
            is_demo=True,
            is_staff=True,
            is_superuser=True,
        )
    out.append(("demo_admin", "系统管理员"))
    return out
