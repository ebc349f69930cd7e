"""The joint meeting's own rules (issue 18): who chairs (the convener, or a deputy with the convener's
delegation recorded), regular meetings (例会) from the configuration with a call for agenda items, a
重大事项 raised at any time by a unit or the office, and the meeting's duties on its page."""

import datetime as dt

import pytest
import time_machine

from core.errors import DomainError, NotAllowed
from deadlines.models import Message
from meetings.models import AgendaProposal, Escalation, Meeting
from meetings.rules import meeting_rules_parse
from meetings.services import escalations as escalation_services, meetings as meeting_services
from members.models import Person
from tests.conftest import verified_login

from .conftest import CST

pytestmark = pytest.mark.django_db


@pytest.fixture
def approved(users, unit, frozen):
    m = meeting_services.meeting_propose(title="专题会", topics="议题", reasons="理由", by=users["office"])
    meeting_services.meeting_decide(meeting=m, approve=True, by=users["convener"])
    m.refresh_from_db()
    return m


def _schedule(users, unit, meeting, chair, delegation=""):
    return meeting_services.meeting_schedule(
        meeting=meeting,
        starts_at=dt.datetime(2026, 3, 10, 9, 30, tzinfo=CST),
        place="会议室",
        chair=chair,
        chair_delegation=delegation,
        units=[unit("mzt")],
        by=users["office"],
    )


def test_the_convener_chairs(users, unit, approved):
    m = _schedule(users, unit, approved, Person.objects.get(name="陈维明"))
    assert (m.chair, m.chair_person.name, m.chair_delegation) == ("陈维明", "陈维明", "")


def test_a_deputy_chairs_only_with_the_conveners_delegation_recorded(users, unit, approved):
    deputy = Person.objects.get(name="张春晖")
    with pytest.raises(DomainError, match="须受召集人委托主持：请登记召集人的委托") as e:
        _schedule(users, unit, approved, deputy)
    assert e.value.field == "chair_delegation"
    m = _schedule(users, unit, approved, deputy, delegation="召集人陈维明3月5日书面委托")
    assert m.chair == "张春晖（受召集人委托）" and m.chair_delegation == "召集人陈维明3月5日书面委托"


def test_anyone_else_is_refused_in_chinese(users, unit, approved):
    for chair in (Person.objects.get(name="王浩然"), "王浩然", "不存在的人"):
        with pytest.raises(DomainError, match="会议由召集人主持，或由副召集人受召集人委托主持"):
            _schedule(users, unit, approved, chair, delegation="委托")
    approved.refresh_from_db()
    assert approved.status == Meeting.Status.APPROVED and approved.chair == ""


def test_the_schedule_page_offers_the_chairs_and_keeps_the_rule(users, unit, approved, client):
    office = verified_login(client, users["office"])
    page = office.get(f"/meetings/{approved.pk}/schedule/").content.decode()
    assert "陈维明（召集人）" in page and "张春晖（副召集人）" in page and "王浩然" not in page
    deputy = Person.objects.get(name="张春晖")
    data = {
        "starts_at": "2026-03-20T09:00",
        "place": "三楼会议室",
        "chair": deputy.pk,
        "units": [unit("mzt").pk],
        "version": approved.version,
    }
    r = office.post(f"/meetings/{approved.pk}/schedule/", data)
    assert "请登记召集人的委托" in r.content.decode() and "三楼会议室" in r.content.decode()
    r = office.post(f"/meetings/{approved.pk}/schedule/", {**data, "chair_delegation": "召集人口头委托（3月2日）"})
    assert r.status_code == 302
    detail = office.get(f"/meetings/{approved.pk}/").content.decode()
    assert "张春晖（受召集人委托）" in detail and "召集人口头委托（3月2日）" in detail


# --- regular meetings -----------------------------------------------------------------------------------


def test_the_guizhou_rule_reads_from_its_file(mechanism):
    from meetings.rules import meeting_rules_for

    rules = meeting_rules_for(mechanism)
    assert rules.duties == ("统筹规划", "政策保障", "检查评估", "技术指导")
    r = rules.regular
    assert (r.every, r.months, r.day, r.notice_days, r.agenda_days) == ("half_year", (6, 12), 20, 30, 10)


def test_regular_meetings_are_generated_on_the_right_dates_once(users, mechanism):
    def run(day):
        with time_machine.travel(dt.datetime(*day, 1, 0, tzinfo=CST), tick=False):
            return meeting_services.regular_meetings_generate()

    assert run((2026, 5, 20)) == []  # 31 days before 20 June: not yet
    [h1] = run((2026, 5, 21))
    assert (h1.title, h1.regular_period, h1.planned_on, h1.agenda_cutoff, h1.status) == (
        "2026年上半年绿色社区创建行动联席会议例会",
        "2026-H1",
        dt.date(2026, 6, 20),
        dt.date(2026, 6, 10),
        Meeting.Status.APPROVED,
    )
    assert run((2026, 5, 21)) == [] and run((2026, 6, 20)) == []  # idempotent
    assert run((2026, 6, 21)) == []  # past: nothing late
    [h2] = run((2026, 11, 25))
    assert (h2.regular_period, h2.planned_on, h2.agenda_cutoff) == (
        "2026-H2",
        dt.date(2026, 12, 20),
        dt.date(2026, 12, 10),
    )
    assert Meeting.objects.filter(regular_period__startswith="2026").count() == 2
    # Every unit's liaison is asked for agenda items, before the cutoff.
    calls = Message.objects.filter(kind="agenda_call", channel="inapp", subject=f"meeting:{h1.pk}")
    assert {m.recipient.username for m in calls} == {"liaison_mzt", "liaison_zjt", "liaison_gat"}
    assert all("2026年6月10日前" in m.body for m in calls)


def test_units_propose_agenda_items_until_the_cutoff(users, unit, client, mechanism):
    with time_machine.travel(dt.datetime(2026, 5, 25, 9, tzinfo=CST), tick=False):
        [m] = meeting_services.regular_meetings_generate()
        liaison = verified_login(client, users["liaison_gat"])
        assert liaison.get(f"/meetings/{m.pk}/").status_code == 200  # every unit sees the 例会
        r = liaison.post(f"/meetings/{m.pk}/agenda/", {"unit": unit("gat").pk, "topic": "社区治安防控设施建设"})
        assert r.status_code == 302
        assert AgendaProposal.objects.get().unit == unit("gat")
        with pytest.raises(NotAllowed):
            meeting_services.agenda_propose(meeting=m, topic="x", unit=unit("mzt"), by=users["liaison_gat"])
    with time_machine.travel(dt.datetime(2026, 6, 11, 9, tzinfo=CST), tick=False):
        with pytest.raises(DomainError, match="议题征集已于2026年6月10日截止"):
            meeting_services.agenda_propose(meeting=m, topic="迟到的议题", unit=unit("gat"), by=users["liaison_gat"])
        page = verified_login(client.__class__(), users["office"]).get(f"/meetings/{m.pk}/").content.decode()
        assert "社区治安防控设施建设" in page and "提出议题" not in page


def test_the_rule_is_checked():
    with pytest.raises(DomainError, match="months"):
        meeting_rules_parse({"regular_meetings": {"every": "half_year", "months": [6]}})
    with pytest.raises(DomainError, match="every"):
        meeting_rules_parse({"regular_meetings": {"every": "weekly", "months": [6]}})
    assert meeting_rules_parse(None).regular is None


# --- major matters raised directly ------------------------------------------------------------------------


def test_a_unit_raises_a_major_matter_at_any_time(users, unit, client, frozen):
    e = escalation_services.escalation_raise(
        title="老旧小区改造资金缺口", description="需省级财政统筹支持。", unit=unit("mzt"), by=users["liaison_mzt"]
    )
    assert e.status == Escalation.Status.DRAFTING and e.matter_id is None and e.raised_by_unit == unit("mzt")
    told = Message.objects.filter(kind="escalation_raised", channel="inapp")
    assert {m.recipient.username for m in told} == {"office", "deputy"}  # 张春晖 also directs the office
    # The office drafts and the convener decides, as for a matter from the minutes.
    e = escalation_services.escalation_submit(escalation=e, report="请示：……", by=users["office"])
    e = escalation_services.escalation_decide(escalation=e, approve=True, by=users["convener"])
    assert e.status == Escalation.Status.APPROVED
    # The raising unit follows it; another unit does not see it.
    mzt = verified_login(client, users["liaison_mzt"])
    assert "老旧小区改造资金缺口" in mzt.get("/meetings/major-matters/").content.decode()
    assert mzt.get(f"/meetings/major-matters/{e.pk}/").status_code == 200
    gat = verified_login(client.__class__(), users["liaison_gat"])
    assert gat.get(f"/meetings/major-matters/{e.pk}/").status_code == 404
    assert "老旧小区改造资金缺口" not in gat.get("/meetings/major-matters/").content.decode()
    assert (
        verified_login(client.__class__(), users["city_guiyang"]).get(f"/meetings/major-matters/{e.pk}/").status_code
        == 404
    )


def test_the_office_raises_one_and_others_may_not_raise_for_a_unit(users, unit, client, frozen):
    e = escalation_services.escalation_raise(title="试点资金", description="说明", by=users["office"])
    assert e.raised_by_unit is None
    with pytest.raises(NotAllowed):
        escalation_services.escalation_raise(title="x", description="y", unit=unit("mzt"), by=users["liaison_gat"])
    with pytest.raises(NotAllowed):
        escalation_services.escalation_raise(title="x", description="y", by=users["liaison_gat"])
    liaison = verified_login(client, users["liaison_gat"])
    r = liaison.post("/meetings/major-matters/raise/", {"unit": unit("gat").pk, "title": "", "description": "说明在此"})
    assert r.status_code == 400 and "说明在此" in r.content.decode()
    r = liaison.post(
        "/meetings/major-matters/raise/", {"unit": unit("gat").pk, "title": "交通组织", "description": "说明"}
    )
    assert r.status_code == 302 and Escalation.objects.filter(title="交通组织", raised_by_unit=unit("gat")).exists()
    assert (
        verified_login(client.__class__(), users["city_guiyang"]).get("/meetings/major-matters/raise/").status_code
        == 404
    )


def test_the_duties_are_on_the_mechanism_page(users, client):
    page = verified_login(client, users["liaison_gat"]).get("/mechanism/").content.decode()
    assert "联席会议主要职责" in page
    for duty in ("统筹规划", "政策保障", "检查评估", "技术指导"):
        assert duty in page
    assert "做好统筹规划、政策保障、检查评估和技术指导" in page
