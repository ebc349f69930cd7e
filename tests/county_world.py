"""A generated prefecture with three counties (and one county of another prefecture), with accounts:
the county tree the tests of docs/counties.md work on."""

from members.models import ReportingUnit, User
from members.services import account_create

PASSWORD = "correct-horse-battery-9"
COUNTIES = [
    ("gy_chengdong", "城东区", "city_chengdong"),
    ("gy_chengxi", "城西区", "city_chengxi"),
    ("gy_shannan", "山南县", "city_shannan"),
]
OTHER = ("zy_beishan", "北山县", "city_beishan")  # a county of 遵义市: 贵阳市 must not see it


def county_world(users=None) -> dict:
    """Three counties under 贵阳市 and one under 遵义市, each with an account named city_<code> (the
    `city_` prefix: reporting-unit accounts hold no mobile). Adds the accounts to `users` if given."""
    guiyang = ReportingUnit.objects.get(code="guiyang")
    zunyi = ReportingUnit.objects.get(code="zunyi")
    out = {}
    for order, (code, name, username) in enumerate([*COUNTIES, OTHER]):
        parent = zunyi if code == OTHER[0] else guiyang
        county = ReportingUnit.objects.create(
            mechanism=parent.mechanism,
            parent=parent,
            code=code,
            name=name,
            kind="县市区",
            order=order,
            bureau=parent.bureau,
        )
        user = account_create(
            username=username, password=PASSWORD, reporting_unit=county, email=f"{username}@example.gov.cn"
        )
        out[username] = user
        out[code] = county
    if users is not None:
        users.update({k: v for k, v in out.items() if isinstance(v, User)})
    return out
