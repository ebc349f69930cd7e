"""Sign-in, the UI shell, and who sees what of the joint meeting."""

import re

import pytest
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver
from guardian.shortcuts import get_objects_for_user

from members.models import MemberUnit, Role, RoleAssignment
from members.services import access_sync
from tests.conftest import second_factor_device, totp_code


def _all_paths():
    """Every concrete URL of the site (pattern parameters filled with 1)."""
    out = []

    def walk(patterns, prefix):
        for p in patterns:
            if isinstance(p, URLResolver):
                walk(p.url_patterns, prefix + str(p.pattern))
            elif isinstance(p, URLPattern):
                if "format" in str(p.pattern):  # DRF's ".json" suffix variants of the same views
                    continue
                route = prefix + str(p.pattern)
                route = route.replace("^", "").replace("$", "").replace("\\Z", "").replace("\\.", ".")
                route = re.sub(r"<[^>]+>", "1", route)
                route = re.sub(r"\(\?P<[^>]+>[^)]*\)", "1", route)
                if "(" in route or "[" in route:
                    continue
                out.append("/" + route)

    walk(get_resolver().url_patterns, "")
    return sorted(set(out))


PUBLIC = {
    "/accounts/login/",
    "/admin/login/",
    "/communities/public/old-estates/",
    # 找回密码: the reset pages work signed out (a wrong link says so)
    "/accounts/password/reset/",
    "/accounts/password/reset/sent/",
    "/accounts/password/reset/1/1/",
    "/accounts/password/reset/complete/",
}
# Calendar programs have no session: the feed's secret token is its credential; a wrong one is 404.
# So is /metrics: only a scraper holding METRICS_TOKEN (tests/core/test_observability.py).
TOKEN_ONLY = {"/calendar/1.ics", "/metrics"}


@pytest.mark.django_db
def test_anonymous_reaches_nothing_but_sign_in():
    client = Client()
    paths = _all_paths()
    assert len(paths) > 10
    for path in paths:
        response = client.get(path)
        if path in PUBLIC:
            assert response.status_code == 200, path
            continue
        if path in TOKEN_ONLY:
            assert response.status_code == 404, path
            continue
        assert response.status_code in (302, 401, 403), (path, response.status_code)
        if response.status_code == 302:
            assert "/login/" in response["Location"], (path, response["Location"])


def test_sign_in_page_is_chinese(db):
    response = Client().get("/accounts/login/")
    html = response.content.decode()
    assert 'lang="zh-CN"' in html and "登录" in html and "用户名" in html and "密码" in html


def test_convener_signs_in_and_sees_the_roster(users):
    client = Client()
    response = client.post("/accounts/login/", {"username": "convener", "password": "test-pass-2026"})
    assert response.status_code == 302 and response["Location"] == "/"
    assert client.get("/")["Location"] == "/accounts/2fa/?next=%2F"  # the convener's second factor
    code = totp_code(second_factor_device(users["convener"]))
    assert client.post("/accounts/2fa/", {"token": code, "next": "/"})["Location"] == "/"
    home = client.get("/", follow=True).content.decode()  # the convener lands on 督办总览
    assert "召集人" in home and "督办总览" in home
    page = client.get("/mechanism/").content.decode()
    for text in (
        "陈维明",
        "张春晖",
        "蔡立智",
        "罗雄",
        "省市场监督管理局",
        "贵安新区",
        "牵头单位",
        "成员 14 人，联络员 15 人",
    ):
        assert text in page, text


def test_wrong_password_gives_a_chinese_message_and_locks_after_five(users):
    client = Client()
    for _ in range(4):
        response = client.post("/accounts/login/", {"username": "convener", "password": "wrong"})
        assert "用户名或密码不正确" in response.content.decode()
    response = client.post("/accounts/login/", {"username": "convener", "password": "wrong"})
    assert "已暂时锁定" in response.content.decode()
    response = client.post("/accounts/login/", {"username": "convener", "password": "test-pass-2026"})
    assert "已暂时锁定" in response.content.decode()


@pytest.mark.parametrize(
    "who", ["convener", "deputy", "office", "member_mzt", "liaison_mzt", "city_guiyang", "outsider"]
)
def test_every_signed_in_user_sees_the_roster_but_only_overseers_see_contacts(users, client_for, who):
    person = users["liaison_gat"].person
    person.mobile = "13800000000"
    person.save()
    page = client_for(users[who]).get("/mechanism/").content.decode()
    assert "陈显伟" in page
    assert ("13800000000" in page) == (who in {"convener", "deputy", "office"})


@pytest.mark.parametrize(
    "who,can_see",
    [
        ("convener", True),
        ("deputy", True),
        ("office", True),
        ("admin", True),
        ("liaison_mzt", False),
        ("member_mzt", False),
        ("city_guiyang", False),
        ("outsider", False),
    ],
)
def test_health_page_for_operators_only(users, client_for, who, can_see):
    response = client_for(users[who]).get("/health/?format=json")
    if can_see:
        assert response.status_code in (200, 503)
        data = response.json()
        assert data["database"]["ok"] is True and "beat" in data and "broker" in data
    else:
        assert response.status_code == 404


def test_health_token_for_monitors(db, settings):
    settings.HEALTH_TOKEN = "s3cret-token"
    assert Client().get("/health/?format=json", HTTP_X_HEALTH_TOKEN="wrong").status_code == 302
    response = Client().get("/health/?format=json", HTTP_X_HEALTH_TOKEN="s3cret-token")
    assert response.status_code in (200, 503) and response.json()["database"]["ok"]


def test_health_reports_beat_tick(users, client_for):
    from core.tasks import beat_heartbeat

    assert client_for(users["office"]).get("/health/?format=json").json()["beat"]["last_tick"] is None
    beat_heartbeat.delay()
    data = client_for(users["office"]).get("/health/?format=json").json()
    assert data["beat"]["ok"] is True and data["beat"]["last_tick"]


def test_navigation_depends_on_role(users, client_for):
    # `/` sends the office to 工作台 and a liaison to 我的待办 (issue 3).
    office = client_for(users["office"]).get("/", follow=True).content.decode()
    liaison = client_for(users["liaison_mzt"]).get("/", follow=True).content.decode()
    assert "运行状态" in office and "运行状态" not in liaison
    assert "管理后台" not in liaison
    assert "省民政厅" in liaison and "联络员" in liaison


def test_liaison_and_member_get_grants_on_their_own_unit_only(users):
    liaison, member = users["liaison_mzt"], users["member_mzt"]
    assert [
        u.code for u in get_objects_for_user(liaison, "members.handle_unit_work", MemberUnit, accept_global_perms=False)
    ] == ["mzt"]
    assert not get_objects_for_user(liaison, "members.review_unit_work", MemberUnit, accept_global_perms=False).exists()
    assert [
        u.code for u in get_objects_for_user(member, "members.review_unit_work", MemberUnit, accept_global_perms=False)
    ] == ["mzt"]
    assert users["convener"].has_perm("members.oversee") and users["convener"].has_perm("members.decide")
    assert not users["convener"].has_perm("members.dispatch")
    assert users["office"].has_perm("members.dispatch") and not users["office"].has_perm("members.decide")
    assert users["deputy"].has_perm("members.decide") and users["deputy"].has_perm("members.dispatch")
    for who in ("liaison_mzt", "member_mzt", "city_guiyang", "outsider"):
        assert not users[who].has_perm("members.oversee"), who


def test_ended_role_loses_its_grant_on_sync(users):
    from datetime import date, timedelta

    liaison = users["liaison_mzt"]
    RoleAssignment.objects.filter(person=liaison.person, role=Role.LIAISON).update(
        end_date=date.today() - timedelta(days=1)
    )
    access_sync(user=liaison)
    assert not get_objects_for_user(liaison, "members.handle_unit_work", MemberUnit, accept_global_perms=False).exists()


def test_prefecture_user_holds_its_own_reporting_unit(users):
    from members.selectors import reporting_units_for_user

    assert [ru.code for ru in reporting_units_for_user(users["city_guiyang"])] == ["guiyang"]
    assert [ru.code for ru in reporting_units_for_user(users["city_zunyi"])] == ["zunyi"]
    assert not reporting_units_for_user(users["liaison_mzt"]).exists()


def test_office_works_in_the_admin_and_others_do_not(users, client_for):
    assert users["office"].is_staff and users["deputy"].is_staff
    assert not users["convener"].is_staff and not users["liaison_mzt"].is_staff
    office = client_for(users["office"])
    assert office.get("/admin/members/person/").status_code == 200
    assert office.get("/admin/members/user/").status_code == 200
    assert office.get("/admin/django_celery_beat/periodictask/").status_code == 403
    assert client_for(users["liaison_mzt"]).get("/admin/members/person/").status_code == 302


def test_navigation_is_grouped_and_uses_each_roles_words(users, client_for):
    city = client_for(users["city_guiyang"]).get("/mechanism/").content.decode()
    assert "本地区报送" in city and "社区台账" in city and "督办总览" not in city and "我的待办" not in city
    convener = client_for(users["convener"]).get("/mechanism/").content.decode()
    for text in ("日常工作", "督办总览", "督办", "逾期督办", "社区创建", "创建进度", "重大事项"):
        assert text in convener, text
    assert "工作台" not in convener and "节假日日历" not in convener
    office = client_for(users["office"]).get("/mechanism/").content.decode()
    assert "工作台" in office and "节假日日历" in office and 'aria-current="page"' in office
