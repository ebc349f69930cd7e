"""Two joint meetings in one database (Guizhou and Zhejiang), each with its people and its work made
through the services: every page and API list, for every role of one, shows nothing of the other —
walked over every URL pattern, as tests/test_no_server_errors.py walks them — and the counts, the
reminder sweep, the exports and the calendar feed stay within the person's own mechanism
(docs/decisions.md, "mechanism scope")."""

import io
import re
import zipfile
from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine

from communities.services import community_create
from config.api import router
from dashboard.services import feed_token_create
from deadlines import cascade
from deadlines.models import Message, Obligation
from deadlines.reminders import reminders_plan
from deadlines.services.obligations import obligations_generate
from meetings.services.meetings import meeting_propose
from members.mechanism_config import mechanism_path, mechanism_spec_read
from members.models import Mechanism, MemberUnit, Person, ReportingUnit, Role, RoleAssignment
from members.services import account_create, mechanism_load
from tasks.models import Item
from tasks.services import item_dispatch

from .test_no_server_errors import _paths

TZ = ZoneInfo("Asia/Shanghai")
MADE = datetime(2026, 11, 2, 9, tzinfo=TZ)  # a Monday: the work is made
WALKED = datetime(2026, 11, 16, 10, tzinfo=TZ)  # a Monday two weeks on: items and reports are overdue
PASSWORD = "test-pass-2026"

# Names that exist in one mechanism only: none may ever reach a page of the other.
GUIZHOU_MARKS = ["贵州督办事项甲", "贵州会议甲", "贵州社区甲", "贵阳市", "省住房城乡建设厅", "陈维明", "贵州城东区"]
ZHEJIANG_MARKS = [
    "浙江督办事项甲",
    "浙江会议甲",
    "浙江社区甲",
    "杭州市",
    "省民政部门",
    "浙江办公室甲",
    "浙江召集人甲",
    "浙江联络员甲",
    "浙江西湖区",
]


def _zhejiang_people(zj):
    jst, mz = MemberUnit.objects.get(mechanism=zj, code="jst"), MemberUnit.objects.get(mechanism=zj, code="mz")
    division = jst.divisions.first()

    def person(name, unit, role, username, division=None):
        p = Person.objects.create(unit=unit, division=division, name=name)
        RoleAssignment.objects.create(
            mechanism=zj, person=p, role=role, unit=unit, division=division, start_date=zj.established_on
        )
        return account_create(username=username, password=PASSWORD, person=p)

    return {
        "zj_office": person("浙江办公室甲", jst, Role.OFFICE_STAFF, "zj_office", division),
        "zj_convener": person("浙江召集人甲", jst, Role.CONVENER, "zj_convener", division),
        "zj_liaison": person("浙江联络员甲", mz, Role.LIAISON, "zj_liaison"),
        "zj_city": account_create(
            username="zj_city",
            password=PASSWORD,
            reporting_unit=ReportingUnit.objects.get(mechanism=zj, code="hangzhou"),
        ),
        "zj_county": _county_account(zj, "hangzhou", "hz_xihu", "浙江西湖区", "zj_county"),
    }


def _county_account(mechanism, prefecture, code, name, username):
    """A county (docs/counties.md) under one of the mechanism's prefectures, with its account."""
    parent = ReportingUnit.objects.get(mechanism=mechanism, code=prefecture)
    county = ReportingUnit.objects.create(mechanism=mechanism, parent=parent, code=code, name=name, kind="县市区")
    return account_create(username=username, password=PASSWORD, reporting_unit=county)


def _work(*, office, convener, city, lead, participating, reporting_unit, mark, mechanism):
    """One mechanism's work, made by its own people through the services."""
    item = item_dispatch(
        by=office,
        title=f"{mark}督办事项甲",
        content="请按分工办理。",
        source="ad_hoc",
        lead_units=[lead],
        participating_units=[participating],
        due_date=date(2026, 11, 6),
    )
    meeting = meeting_propose(title=f"{mark}会议甲", topics="议题", reasons="理由", by=office)
    community = community_create(
        reporting_unit=reporting_unit,
        name=f"{mark}社区甲",
        by=city,
        old_estates=f"{mark}小区",
        renovation="in_progress",
    )
    obligations_generate(today=MADE.date(), mechanism_ids=[mechanism.pk])
    feed = feed_token_create(user=convener, by=convener)
    return {
        "item": item,
        "assignment": item.assignments.first(),
        "meeting": meeting,
        "community": community,
        "obligation": Obligation.objects.filter(rule__mechanism=mechanism).first(),
        "feed": feed,
    }


@pytest.fixture
def world(users, mechanism):
    with time_machine.travel(MADE, tick=False):
        mechanism_load(spec=mechanism_spec_read(mechanism_path("zhejiang")))
        zj = Mechanism.objects.get(code="zhejiang")
        zj_users = _zhejiang_people(zj)
        users = {**users, "gz_county": _county_account(mechanism, "guiyang", "gy_chengdong", "贵州城东区", "gz_county")}
        gz = _work(
            office=users["office"],
            convener=users["convener"],
            city=users["city_guiyang"],
            lead=MemberUnit.objects.get(mechanism=mechanism, code="zjt"),
            participating=MemberUnit.objects.get(mechanism=mechanism, code="mzt"),
            reporting_unit=ReportingUnit.objects.get(mechanism=mechanism, code="guiyang"),
            mark="贵州",
            mechanism=mechanism,
        )
        zw = _work(
            office=zj_users["zj_office"],
            convener=zj_users["zj_convener"],
            city=zj_users["zj_city"],
            lead=MemberUnit.objects.get(mechanism=zj, code="mz"),
            participating=MemberUnit.objects.get(mechanism=zj, code="fgw"),
            reporting_unit=ReportingUnit.objects.get(mechanism=zj, code="hangzhou"),
            mark="浙江",
            mechanism=zj,
        )
        # 贵阳市 passes its 阶段性总结 down to its county: the share is Guizhou's work too.
        cascade.obligation_pass_down(
            obligation=Obligation.objects.get(
                reporting_unit__code="guiyang", rule__code="stage_summary", period="2026-1115"
            ),
            counties=[users["gz_county"].reporting_unit],
            due_on=date(2026, 11, 11),
            by=users["city_guiyang"],
        )
    assert Obligation.objects.filter(rule__mechanism=zj).exists() and gz["obligation"] is not None
    return {"gz": mechanism, "zj": zj, "users": {**users, **zj_users}, "gz_work": gz, "zj_work": zw}


def _body(response) -> str:
    content = b"".join(response.streaming_content) if response.streaming else response.content
    if content[:2] == b"PK":  # an Excel or Word export: read the XML inside
        with zipfile.ZipFile(io.BytesIO(content)) as z:
            return "".join(z.read(n).decode("utf-8", "replace") for n in z.namelist() if n.endswith(".xml"))
    return content.decode("utf-8", "replace")


def _api_paths():
    return [f"/api/v1/{prefix}/" for prefix, _, _ in router.registry]


def _object_paths(work):
    """Every URL pattern with an id, filled with each id of one mechanism's objects."""
    ids = {str(work[k].pk) for k in ("item", "assignment", "meeting", "community", "obligation")}
    patterns = [p for p in _paths() if "/1" in p and not p.startswith("/calendar/")]
    patterns += [f"/api/v1/{prefix}/1/" for prefix, _, _ in router.registry]
    out = set()
    for pattern in patterns:
        for pk in ids:
            out.add(re.sub(r"/1(?=[/.])", f"/{pk}", pattern, count=1))
    return sorted(out)


def _leaks(client, paths, marks):
    leaks = []
    for path in paths:
        response = client.get(path)
        body = _body(response)
        found = [m for m in marks if m in body]
        if found:
            leaks.append((path, response.status_code, found))
    return leaks


GUIZHOU_ROLES = [
    "convener",
    "deputy",
    "office",
    "member_mzt",
    "liaison_mzt",
    "liaison_zjt",
    "city_guiyang",
    "gz_county",
    "outsider",
    "admin",
]
ZHEJIANG_ROLES = ["zj_office", "zj_convener", "zj_liaison", "zj_city", "zj_county"]


@pytest.mark.parametrize("side", ["guizhou", "zhejiang"])
def test_no_page_or_api_list_shows_the_other_mechanism(world, client_for, side):
    roles, marks = (GUIZHOU_ROLES, ZHEJIANG_MARKS) if side == "guizhou" else (ZHEJIANG_ROLES, GUIZHOU_MARKS)
    other = world["zj_work"] if side == "guizhou" else world["gz_work"]
    failures = []
    with time_machine.travel(WALKED, tick=False):
        for role in roles:
            client = client_for(world["users"][role])
            client.raise_request_exception = False
            # The public list shows the deployment's province (Guizhou) to anyone, and says so on the page.
            paths = [p for p in _paths() + _api_paths() if not p.startswith("/communities/public/")]
            if role in ("office", "convener", "zj_office", "zj_convener"):
                paths += _object_paths(other)  # the roles that see every unit's work: the other's ids
            failures += [(role, *leak) for leak in _leaks(client, paths, marks)]
    assert failures == []


def test_each_mechanism_sees_its_own_work_and_counts(world, client_for):
    """The walk above could pass on empty pages: each side's overseers do see their own work, and the
    counts are exactly their own mechanism's."""
    with time_machine.travel(WALKED, tick=False):
        for office, convener, own, marks in (
            ("office", "convener", world["gz"], GUIZHOU_MARKS[:4]),
            ("zj_office", "zj_convener", world["zj"], ZHEJIANG_MARKS[:4]),
        ):
            o, c = client_for(world["users"][office]), client_for(world["users"][convener])
            overdue = _body(c.get("/deadlines/overdue/"))
            assert marks[0] in overdue  # the item's shares are overdue
            own_owed = Obligation.objects.filter(
                rule__mechanism=own, status__in=Obligation.OWED, due_on__lt=WALKED.date()
            )
            assert own_owed.exists()
            assert all(o_.obligor_name in overdue for o_ in own_owed)
            assert marks[0] in _body(o.get("/items/queue/"))
            assert marks[1] in _body(o.get("/meetings/"))
            assert marks[2] in _body(o.get("/communities/"))
            api = o.get("/api/v1/obligations/").json()
            assert api["count"] == Obligation.objects.filter(rule__mechanism=own).count()
            items = o.get("/api/v1/items/").json()
            ids = [row["id"] for row in items["results"]]
            assert ids == list(
                Item.objects.filter(assignments__unit__mechanism=own)
                .distinct()
                .order_by("due_date", "pk")
                .values_list("pk", flat=True)
            )
            dashboard = _body(c.get("/dashboard/list/?metric=overdue"))
            assert marks[0] in dashboard


def test_sweep_and_feed_stay_within_the_mechanism(world, client_for):
    with time_machine.travel(WALKED, tick=False):
        before = Message.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
        written = reminders_plan()  # the deployment's mechanism: Guizhou (settings.MECHANISM)
        assert written > 0
        swept = Message.objects.filter(pk__gt=before)
        zj_subjects = {
            f"obligation:{pk}"
            for pk in Obligation.objects.filter(rule__mechanism=world["zj"]).values_list("pk", flat=True)
        }
        zj_subjects |= {f"task:{a.pk}" for a in world["zj_work"]["item"].assignments.all()}
        assert not swept.filter(subject__in=zj_subjects).exists()
        zj_people = [u.pk for k, u in world["users"].items() if k.startswith("zj_")]
        assert not swept.filter(recipient_id__in=zj_people).exists()
        assert swept.filter(subject=f"task:{world['gz_work']['assignment'].pk}").exists()
        # Zhejiang's own sweep reminds Zhejiang only
        reminders_plan(mechanism_ids=[world["zj"].pk])
        assert Message.objects.filter(subject__in=zj_subjects).exists()
        assert set(Message.objects.filter(subject__in=zj_subjects).values_list("recipient_id", flat=True)) <= set(
            zj_people
        )
        for side, marks in (("gz_work", ZHEJIANG_MARKS), ("zj_work", GUIZHOU_MARKS)):
            token = world[side]["feed"].token
            ics = _body(client_for(world["users"]["admin"]).get(f"/calendar/{token}.ics"))
            assert "BEGIN:VCALENDAR" in ics and not [m for m in marks if m in ics]
    # the office's delivery log (now holding both sweeps' messages) shows its own people only
    for office, marks in (("office", ZHEJIANG_MARKS), ("zj_office", GUIZHOU_MARKS)):
        body = _body(client_for(world["users"][office]).get("/deadlines/deliveries/"))
        assert not [m for m in marks if m in body]


def test_the_public_list_names_its_province(world, client):
    body = client.get("/communities/public/old-estates/").content.decode()
    assert "贵州省进行改造的老旧小区清单" in body
    assert "贵州社区甲" in body and "浙江社区甲" not in body and "杭州市" not in body


def test_a_press_on_the_other_mechanisms_subject_is_404(world, client_for):
    with time_machine.travel(WALKED, tick=False):
        office = client_for(world["users"]["office"])
        zj_task = world["zj_work"]["assignment"]
        zj_ob = world["zj_work"]["obligation"]
        assert office.post("/deadlines/press/", {"subject": f"obligation:{zj_ob.pk}"}).status_code == 404
        office.post("/deadlines/press/", {"subject": f"task:{zj_task.pk}"})
    assert not Message.objects.filter(subject=f"task:{zj_task.pk}").exists()
    assert not Message.objects.filter(subject=f"obligation:{zj_ob.pk}").exists()
