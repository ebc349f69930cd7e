"""Chinese error pages in the product's frame, with a way back (core/handlers.py)."""

import os
import subprocess
import sys

import pytest
from django.conf import settings
from django.test import Client, override_settings

from tests.conftest import verified_login

pytestmark = pytest.mark.django_db


def _assert_product_page(response, status, title):
    assert response.status_code == status
    html = response.content.decode()
    assert title in html and "返回首页" in html and "绿色社区创建行动联席会议工作平台" in html
    assert "Traceback" not in html and "Page not found" not in html and "Forbidden" not in html
    return html


def test_a_missing_page_is_a_chinese_404_with_a_way_back(users, client_for):
    client = client_for(users["office"])
    html = _assert_product_page(
        client.get("/no-such-page/", HTTP_REFERER="http://testserver/items/queue/"), 404, "页面不存在"
    )
    assert 'href="http://testserver/items/queue/"' in html  # 返回上一页, to where the user came from


def test_the_way_back_never_leads_off_the_site(users, client_for):
    html = _assert_product_page(
        client_for(users["office"]).get("/no-such-page/", HTTP_REFERER="https://evil.example/"), 404, "页面不存在"
    )
    assert "evil.example" not in html and "返回上一页" not in html


def test_an_object_that_is_not_yours_is_the_same_404_page(users, client_for):
    _assert_product_page(client_for(users["liaison_mzt"]).get("/deadlines/deliveries/"), 404, "页面不存在")


def test_a_refused_csrf_check_explains_itself_in_chinese(users):
    client = Client(enforce_csrf_checks=True)
    verified_login(client, users["office"])
    _assert_product_page(client.post("/accounts/logout/"), 403, "页面已过期")


def test_a_bad_host_header_is_a_chinese_400():
    _assert_product_page(Client().get("/accounts/login/", HTTP_HOST="evil.example"), 400, "请求无效")


@override_settings(ROOT_URLCONF="tests.core.error_urls")
def test_a_crash_is_a_chinese_500_page(users):
    client = Client(raise_request_exception=False)
    verified_login(client, users["office"])
    _assert_product_page(client.get("/boom/"), 500, "系统出错了")


def test_the_api_answers_json_not_html(users, client_for):
    response = client_for(users["office"]).get("/api/v1/no-such-endpoint/")
    assert response.status_code == 404 and response.json()["detail"].startswith("页面不存在")


@override_settings(DEBUG=True)
def test_with_debug_on_permission_and_csrf_pages_stay_chinese(users):
    client = Client(enforce_csrf_checks=True)
    verified_login(client, users["office"])
    _assert_product_page(client.post("/accounts/logout/"), 403, "页面已过期")


def test_make_run_settings_have_debug_off_unless_asked():
    """`make run` (config.settings.local) shows the product's pages, not Django's technical ones."""
    env = {k: v for k, v in os.environ.items() if k not in {"DJANGO_DEBUG", "DJANGO_SETTINGS_MODULE"}}
    code = (
        "import django, os; os.environ['DJANGO_SETTINGS_MODULE'] = 'config.settings.local'; django.setup(); "
        "from django.conf import settings; from django.urls import get_resolver; "
        "print(settings.DEBUG, get_resolver().resolve_error_handler(404).__module__)"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=settings.BASE_DIR, env=env, capture_output=True, text=True, check=True
    )
    assert result.stdout.split() == ["False", "core.handlers"]
