"""Targets and progress, Zhejiang's Annex 2 (page and Excel), the public list, pilots."""

from datetime import date
from io import BytesIO

import pytest
from django.test import Client
from openpyxl import load_workbook

from communities.models import Community, CreationStatus, PilotSelection
from communities.selectors import annex2, progress
from communities.services import pilot_nominate, pilot_selection_confirm, pilot_selection_record
from core.errors import DomainError, NotAllowed
from tests.conftest import verified_login

from .conftest import bulk_communities

pytestmark = pytest.mark.django_db


def test_guizhou_target_boundary_299_vs_300_per_mille(users, guiyang, zunyi):
    bulk_communities(guiyang, 299, met_on=date(2021, 3, 1), prefix="达标")
    bulk_communities(guiyang, 1, met_on=date(2022, 1, 1), prefix="次年")  # counts from 2022 only
    bulk_communities(guiyang, 700, prefix="未达标")
    bulk_communities(zunyi, 300, met_on=date(2021, 12, 31), prefix="达标")
    bulk_communities(zunyi, 700, prefix="未达标")
    p = progress(user=users["office"], year=2021)
    rows = {r.unit.code: r for r in p["rows"]}
    assert p["target"]["share"] == 30
    assert (rows["guiyang"].met, rows["guiyang"].total, rows["guiyang"].target_reached) == (299, 1000, False)
    assert (rows["zunyi"].met, rows["zunyi"].total, rows["zunyi"].target_reached) == (300, 1000, True)
    assert rows["anshun"].total == 0 and rows["anshun"].target_reached is False
    assert (p["province"].met, p["province"].total, p["province"].target_reached) == (599, 2000, False)
    p2022 = progress(user=users["office"], year=2022)
    assert p2022["target"]["share"] == 60 and p2022["province"].met == 600
    # a prefecture user sees its own row and the province
    p = progress(user=users["city_guiyang"], year=2021)
    assert [r.unit.code for r in p["rows"]] == ["guiyang"] and p["province"].total == 2000
    # the page shows 29.9% and never rounds it up to 30%
    client = Client()
    verified_login(client, users["office"])
    html = client.get("/communities/progress/?year=2021").content.decode()
    guiyang_row = html.split('id="row-guiyang"')[1].split("</tr>")[0]
    assert "29.9%" in guiyang_row and "未达到" in guiyang_row
    zunyi_row = html.split('id="row-zunyi"')[1].split("</tr>")[0]
    assert "30.0%" in zunyi_row and "已达到" in zunyi_row
    # the picture: a bar per prefecture, the target as a line; under target hatched, not only coloured
    chart = html.split('<svg class="chart progress-chart"')[1].split("</svg>")[0]
    assert "目标 30%" in chart and 'class="target-line"' in chart
    bars = chart.split("<rect ")
    guiyang_bar = next(b for b in bars if b.startswith('x="84" y="6"'))
    assert 'fill="url(#below-target)"' in guiyang_bar  # 29.9% < 30%
    assert chart.count('class="bar-met"') >= 1 and "贵阳市" in chart and "29.9%" in chart


def test_zhejiang_targets_40_then_60(users, guiyang, settings):
    settings.MECHANISM = "zhejiang"
    bulk_communities(guiyang, 40, met_on=date(2021, 6, 1), prefix="甲")
    bulk_communities(guiyang, 60, prefix="乙")
    assert progress(user=users["office"], year=2021)["rows"][0].target_reached is True
    assert progress(user=users["office"], year=2022)["rows"][0].target_reached is False
    assert progress(user=users["office"], year=2022)["renovated_share"] is None


def test_renovated_estates_must_all_meet_the_standard(users, guiyang):
    bulk_communities(guiyang, 3, met_on=date(2021, 1, 1), prefix="改造达标", renovation="finished")
    bulk_communities(guiyang, 1, prefix="改造未达标", renovation="finished")
    bulk_communities(guiyang, 2, prefix="在改", renovation="in_progress")
    row = progress(user=users["office"], year=2021)["rows"][0]
    assert (row.renovated, row.renovated_met, row.renovated_rule_kept) == (4, 3, False)
    Community.objects.filter(name="改造未达标0").update(standard_met_on=date(2021, 2, 1))
    row = progress(user=users["office"], year=2021)["rows"][0]
    assert row.renovated_rule_kept is True
    zunyi_row = [r for r in progress(user=users["office"], year=2021)["rows"] if r.unit.code == "zunyi"][0]
    assert zunyi_row.renovated_rule_kept is None  # nothing renovated yet: nothing to judge


def test_annex2_table_and_export(users, guiyang, client_for, settings):
    settings.MECHANISM = "zhejiang"
    bulk_communities(guiyang, 2, met_on=date(2020, 9, 1), prefix="早", county="云岩区")
    bulk_communities(guiyang, 1, met_on=date(2021, 9, 1), prefix="甲", county="云岩区")
    bulk_communities(guiyang, 1, met_on=date(2022, 9, 1), prefix="乙", county="云岩区")
    bulk_communities(guiyang, 6, prefix="丙", county="云岩区")
    bulk_communities(guiyang, 4, met_on=date(2022, 3, 1), prefix="丁", county="南明区")
    bulk_communities(guiyang, 1, prefix="=HYPERLINK(", county="@南明区")
    t = annex2(unit=guiyang, years=[2021, 2022])
    rows = {r["county"]: r for r in t["rows"]}
    yy = rows["云岩区"]
    assert yy["total"] == 10
    assert [(c["count"], c["ratio"]) for c in yy["cells"]] == [(3, 0.3), (1, 0.1)]
    assert yy["cells"][0]["names"] == ["早0", "早1", "甲0"] and yy["overall"] == 0.4
    assert [(c["count"], c["ratio"]) for c in rows["南明区"]["cells"]] == [(0, 0.0), (4, 1.0)]
    assert t["total"] == 15 and [x["count"] for x in t["totals"]] == [3, 5] and t["overall"] == 8 / 15
    html = client_for(users["office"]).get("/communities/progress/annex2/?unit=guiyang").content.decode()
    assert "2021年绿色社区名单" in html and "地区合计" in html and "早0、早1、甲0" in html and "53.3%" in html

    response = client_for(users["city_guiyang"]).get("/communities/progress/annex2.xlsx?unit=guiyang")
    wb = load_workbook(BytesIO(response.content))
    ws = wb.active
    values = [[c.value for c in row] for row in ws.iter_rows()]
    assert values[2][:4] == ["县（市、区）", "2021年绿色社区名单", "2021年完成数量", "2021年完成比例"]
    assert values[2][-1] == "合计完成比例"
    total_row = next(v for v in values if v[0] == "地区合计")
    assert total_row[1:7] == ["/", 3, 0.2, "/", 5, pytest.approx(1 / 3)]
    for row in ws.iter_rows():
        for cell in row:
            assert cell.data_type != "f", cell.coordinate
            if isinstance(cell.value, str):
                assert not cell.value.startswith(("=", "+", "-", "@")), cell.coordinate
    assert any(isinstance(v, str) and v.startswith("'@南明区") for row in values for v in row)
    assert "本表由设区市住房和城乡建设部门汇总填写" in values[-1][0]


def test_public_page_shows_only_the_list(users, gy_community, zunyi):
    Community.objects.create(reporting_unit=zunyi, name="不改造社区", renovation="none")
    Community.objects.create(
        reporting_unit=zunyi,
        name="达标社区",
        renovation="finished",
        status=CreationStatus.MEETS_STANDARD,
        standard_met_on=date(2021, 1, 1),
    )
    html = Client().get("/communities/public/old-estates/").content.decode()
    assert "中华南路社区" in html and "中华南路小区" in html and "已完成改造" in html and "创建中" in html
    assert "达标社区" in html and "达到绿色社区创建标准" in html
    assert "不改造社区" not in html
    for secret in ("city_guiyang", "退出", "社区台账", "自评", "得分", "办公室测试员"):
        assert secret not in html, secret


def test_pilots_nominated_selected_and_confirmed(users, guiyang, zunyi):
    city_gy, city_zy, office, convener = (users[k] for k in ("city_guiyang", "city_zunyi", "office", "convener"))
    gy = [Community.objects.create(reporting_unit=guiyang, name=f"贵阳{i}", status="taking_part") for i in range(3)]
    zy = Community.objects.create(reporting_unit=zunyi, name="遵义0")
    for c in gy:
        pilot_nominate(community=c, year=2020, reason="基础好，居民意愿强", by=city_gy)
    with pytest.raises(NotAllowed):
        pilot_nominate(community=zy, year=2020, reason="x", by=city_gy)
    pilot_nominate(community=zy, year=2020, reason="有工作基础", by=city_zy)
    with pytest.raises(DomainError, match="已推荐"):
        pilot_nominate(community=zy, year=2020, reason="again", by=city_zy)
    kwargs = dict(year=2020, decision="第1次联席会议纪要", decided_on=date(2020, 11, 10))
    with pytest.raises(DomainError, match="2至3个省级试点社区，本次选择了4个"):
        pilot_selection_record(communities=[*gy, zy], by=office, **kwargs)
    with pytest.raises(DomainError, match="本次选择了1个"):
        pilot_selection_record(communities=[zy], by=office, **kwargs)
    with pytest.raises(NotAllowed):
        pilot_selection_record(communities=[gy[0], zy], by=city_gy, **kwargs)
    other = Community.objects.create(reporting_unit=zunyi, name="未推荐")
    with pytest.raises(DomainError, match="未经市州推荐：未推荐"):
        pilot_selection_record(communities=[gy[0], other], by=office, **kwargs)
    assert not PilotSelection.objects.exists()
    selection = pilot_selection_record(communities=[gy[0], zy], by=office, **kwargs)
    with pytest.raises(DomainError, match="已登记"):
        pilot_selection_record(communities=[gy[1], gy[2]], by=office, **kwargs)
    with pytest.raises(NotAllowed):
        pilot_selection_confirm(selection=selection, by=office)
    gy[0].refresh_from_db()
    assert gy[0].status == "taking_part"  # not a pilot until the convener confirms
    pilot_selection_confirm(selection=selection, by=convener)
    gy[0].refresh_from_db()
    zy.refresh_from_db()
    assert gy[0].status == zy.status == CreationStatus.PILOT
    assert gy[0].status_changes.last().reason == "第1次联席会议纪要确定为省级试点社区"


def test_pilot_pages(users, client_for, guiyang, zunyi):
    a = Community.objects.create(reporting_unit=guiyang, name="贵阳甲")
    b = Community.objects.create(reporting_unit=zunyi, name="遵义乙")
    r = client_for(users["city_guiyang"]).post(f"/communities/{a.pk}/nominate/", {"year": 2020, "reason": "好"})
    assert r.status_code == 302
    pilot_nominate(community=b, year=2020, reason="好", by=users["city_zunyi"])
    page = client_for(users["city_guiyang"]).get("/communities/pilots/?year=2020").content.decode()
    assert "贵阳甲" in page and "遵义乙" not in page  # a prefecture sees its own nominations
    assert client_for(users["city_guiyang"]).post("/communities/pilots/?year=2020", {}).status_code == 403
    office = client_for(users["office"])
    r = office.post(
        "/communities/pilots/?year=2020",
        {"year": 2020, "communities": [a.pk], "decision": "纪要", "decided_on": "2020-11-10"},
    )
    assert "本次选择了1个" in r.content.decode()
    r = office.post(
        "/communities/pilots/?year=2020",
        {"year": 2020, "communities": [a.pk, b.pk], "decision": "第1次联席会议纪要", "decided_on": "2020-11-10"},
    )
    assert r.status_code == 302
    selection = PilotSelection.objects.get()
    assert office.post(f"/communities/pilots/{selection.pk}/confirm/").status_code == 403
    assert client_for(users["city_guiyang"]).post(f"/communities/pilots/{selection.pk}/confirm/").status_code == 404
    assert client_for(users["convener"]).post(f"/communities/pilots/{selection.pk}/confirm/").status_code == 302
    selection.refresh_from_db()
    assert selection.status == "confirmed"
    assert "省级试点" in client_for(users["office"]).get("/communities/").content.decode()


def test_nomination_rides_on_the_october_pilot_submission(users, guiyang, gy_community):
    """Guizhou's 试点社区相关情况 (due end of October 2020) carries the prefecture's nomination."""
    import time_machine

    from deadlines.models import Obligation
    from deadlines.services.obligations import obligations_generate

    with time_machine.travel(date(2020, 10, 12), tick=False):
        obligations_generate()
    owed = Obligation.objects.get(rule__code="pilot_communities", reporting_unit__code="guiyang")
    community = gy_community
    nomination = pilot_nominate(community=community, year=2020, reason="基础好", by=users["city_guiyang"])
    assert nomination.obligation == owed and owed.title.endswith("试点社区相关情况")
    page = Client()
    page.force_login(users["city_guiyang"])
    html = page.get(f"/communities/{community.pk}/").content.decode()
    assert f"/deadlines/obligations/{owed.pk}/" in html and "随" in html
    later = pilot_nominate(community=community, year=2021, reason="次年推荐", by=users["city_guiyang"])
    assert later.obligation is None  # no October submission owed in 2021: the nomination stands alone


def test_years_after_the_last_target_are_reported_too(users, guiyang, client_for, settings):
    """Annex 2 has a column for every year up to this one (a community confirmed in 2026 counts), and
    创建进度 for 2026 says it carries the 2022 target rather than labelling 2026 with “到2022年…”."""
    import time_machine

    settings.MECHANISM = "zhejiang"
    bulk_communities(guiyang, 1, met_on=date(2021, 9, 1), prefix="甲", county="云岩区")
    bulk_communities(guiyang, 1, met_on=date(2026, 3, 1), prefix="新", county="云岩区")
    bulk_communities(guiyang, 2, prefix="丙", county="云岩区")
    with time_machine.travel(date(2026, 11, 20), tick=False):
        html = client_for(users["office"]).get("/communities/progress/annex2/?unit=guiyang").content.decode()
        assert "2026年绿色社区名单" in html and "2023年完成数量" in html and "新0" in html
        response = client_for(users["office"]).get("/communities/progress/annex2.xlsx?unit=guiyang")
        values = [[c.value for c in row] for row in load_workbook(BytesIO(response.content)).active.iter_rows()]
        header = values[2]
        assert header[-4:] == ["2026年绿色社区名单", "2026年完成数量", "2026年完成比例", "合计完成比例"]
        yy = next(v for v in values if v[0] == "云岩区")
        assert yy[-4:] == ["新0", 1, 0.25, 0.5]
        page = client_for(users["office"]).get("/communities/progress/?year=2026").content.decode()
        assert "2026年沿用2022年目标" in page and "2026年目标" not in page
        assert '<option value="2026" selected>' in page and '<option value="2024"' in page
    settings.MECHANISM = "guizhou"
    page = client_for(users["office"]).get("/communities/progress/?year=2022").content.decode()
    assert "2022年目标：" in page and "沿用" not in page


def test_annex2_downloads_under_a_chinese_file_name(users, guiyang, client_for, settings):
    from urllib.parse import quote

    settings.MECHANISM = "zhejiang"
    response = client_for(users["office"]).get("/communities/progress/annex2.xlsx?unit=guiyang")
    disposition = response["Content-Disposition"]
    assert "annex2" not in disposition
    assert f"filename*=utf-8''{quote('附件2-贵阳市-绿色社区建设任务完成情况汇总表.xlsx')}" in disposition


def test_public_list_pages_filters_searches_and_names_its_province(users, guiyang, zunyi):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    bulk_communities(guiyang, 60, prefix="贵阳改造", renovation="in_progress", county="云岩区")
    bulk_communities(zunyi, 3, prefix="遵义改造", renovation="finished", county="汇川区")
    Community.objects.create(
        reporting_unit=zunyi, name="湘江社区", renovation="in_progress", old_estates="丁字口小区", county="红花岗区"
    )
    client = Client()
    first = client.get("/communities/public/old-estates/").content.decode()
    assert "贵州省进行改造的老旧小区清单" in first and "共 64 个社区" in first and "第 1 / 2 页" in first
    assert "最近更新" in first and "数据更新至" in first
    assert first.count("<tr><td>") == 50
    second = client.get("/communities/public/old-estates/?page=2").content.decode()
    assert second.count("<tr><td>") == 14 and "湘江社区" in second
    only_zunyi = client.get("/communities/public/old-estates/?unit=zunyi").content.decode()
    assert "共 4 个社区" in only_zunyi and "贵阳改造" not in only_zunyi
    found = client.get("/communities/public/old-estates/", {"q": "丁字口"}).content.decode()
    assert "共 1 个社区" in found and "湘江社区" in found
    none = client.get("/communities/public/old-estates/", {"q": "不存在的小区", "unit": "nowhere"}).content.decode()
    assert "没有符合条件的社区" in none
    # Bounded: a page costs the same few queries whatever the list's size.
    with CaptureQueriesContext(connection) as small:
        client.get("/communities/public/old-estates/?page=2")
    bulk_communities(guiyang, 200, prefix="又一批", renovation="planned", county="南明区")
    with CaptureQueriesContext(connection) as large:
        assert "第 2 / 6 页" in client.get("/communities/public/old-estates/?page=2").content.decode()
    assert len(large) == len(small) <= 8
