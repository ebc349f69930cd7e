"""Pilots: the supervision visits (督导检查 of a pilot community) and the support given (policy, funds,
amount, date, document) are recorded and shown on the pilot's page and in the progress report."""

from datetime import date, timedelta

import pytest
from django.utils import timezone

from communities import services as cs
from communities.models import PilotSupport
from core.errors import DomainError, NotAllowed
from inspections.services import inspection_plan
from tests.conftest import verified_login

from .conftest import photo

pytestmark = pytest.mark.django_db


@pytest.fixture
def pilots(users, guiyang):
    from members.models import ReportingUnit

    city = users["city_guiyang"]
    made = []
    for name in ("中华南路社区", "花果园社区"):
        c = cs.community_join(
            community=cs.community_create(reporting_unit=guiyang, name=name, county="云岩区", by=city), by=city
        )
        cs.pilot_nominate(community=c, year=2026, reason="基础好", by=city)
        made.append(c)
    zunyi = ReportingUnit.objects.get(code="zunyi")
    z = cs.community_join(
        community=cs.community_create(reporting_unit=zunyi, name="丁字口社区", by=users["city_zunyi"]),
        by=users["city_zunyi"],
    )
    cs.pilot_nominate(community=z, year=2026, reason="基础好", by=users["city_zunyi"])
    made.append(z)
    selection = cs.pilot_selection_record(
        year=2026, communities=made, decision="第一次联席会议纪要", decided_on=date(2026, 1, 10), by=users["office"]
    )
    cs.pilot_selection_confirm(selection=selection, by=users["convener"])
    return made


def test_support_rules(users, pilots, guiyang):
    c = pilots[0]
    with pytest.raises(NotAllowed):
        cs.pilot_support_record(
            community=c, kind="policy", title="政策", given_on=timezone.localdate(), by=users["city_guiyang"]
        )
    with pytest.raises(DomainError, match="资金支持请填写金额"):
        cs.pilot_support_record(
            community=c, kind="funds", title="省级补助", given_on=timezone.localdate(), by=users["office"]
        )
    with pytest.raises(DomainError, match="不能晚于今天"):
        cs.pilot_support_record(
            community=c,
            kind="policy",
            title="政策",
            by=users["office"],
            given_on=timezone.localdate() + timedelta(days=1),
        )
    other = cs.community_create(reporting_unit=guiyang, name="非试点社区", by=users["city_guiyang"])
    with pytest.raises(DomainError, match="不是已确认的省级试点社区"):
        cs.pilot_support_record(
            community=other, kind="policy", title="政策", given_on=timezone.localdate(), by=users["office"]
        )


def test_visits_and_support_shown_on_the_pilot_page_and_in_the_progress_report(
    users, pilots, client, settings, tmp_path
):
    settings.MEDIA_ROOT = tmp_path
    c = pilots[0]
    today = timezone.localdate()
    cs.pilot_support_record(
        community=c,
        kind="funds",
        title="省级绿色社区创建补助资金",
        amount="120.50",
        given_on=today,
        document="黔建城通〔2026〕5号",
        by=users["office"],
    )
    cs.pilot_support_record(
        community=c, kind="policy", title="纳入老旧小区改造优先支持", given_on=today, by=users["office"]
    )
    inspection_plan(
        title="中华南路社区试点督导",
        starts_on=today,
        ends_on=today,
        team=[users["liaison_gat"]],
        leader=None,
        community=c,
        by=users["office"],
    )
    assert PilotSupport.objects.filter(community=c).count() == 2

    office = verified_login(client, users["office"])
    page = office.get(f"/communities/{c.pk}/").content.decode()
    for text in (
        "中华南路社区试点督导",
        "共 1 次",
        "省级绿色社区创建补助资金",
        "120.50",
        "黔建城通〔2026〕5号",
        "纳入老旧小区改造优先支持",
        "登记支持",
        "安排督导检查",
    ):
        assert text in page, text
    city = verified_login(client.__class__(), users["city_guiyang"])
    page = city.get(f"/communities/{c.pk}/").content.decode()
    assert "省级绿色社区创建补助资金" in page and "登记支持" not in page  # the city reads, the office records
    assert city.get(f"/communities/{pilots[2].pk}/").status_code == 404  # another prefecture's pilot

    report = office.get("/communities/progress/").content.decode()
    section = report.split("省级试点社区督导与支持")[1]
    assert "中华南路社区" in section and "1 次" in section and "120.50" in section and "丁字口社区" in section


def test_support_form_keeps_what_was_typed(users, pilots, client, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    office = verified_login(client, users["office"])
    c = pilots[0]
    r = office.post(
        f"/communities/{c.pk}/support/", {"kind": "funds", "title": "补助资金说明", "given_on": "2026-01-05"}
    )
    assert r.status_code == 400 and "资金支持请填写金额" in r.content.decode() and "补助资金说明" in r.content.decode()
    r = office.post(
        f"/communities/{c.pk}/support/",
        {
            "kind": "policy",
            "title": "政策文件",
            "given_on": "2026-01-05",
            "document": "黔府办发〔2026〕1号",
            "file": photo("文件.jpg"),
        },
    )
    assert r.status_code == 302
    s = PilotSupport.objects.get(title="政策文件")
    assert s.file_name == "文件.jpg"
    assert office.get(f"/communities/support/{s.pk}/file/").status_code == 200
    city = verified_login(client.__class__(), users["city_zunyi"])
    assert city.get(f"/communities/support/{s.pk}/file/").status_code == 404
    assert city.post(f"/communities/{c.pk}/support/", {"kind": "policy"}).status_code == 404
