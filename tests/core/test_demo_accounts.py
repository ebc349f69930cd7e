"""Demo accounts never sign in where demo accounts are not allowed (production settings)."""

import base64

import pytest
from django.test import Client, override_settings

from members.models import User
from members.services import account_create

pytestmark = pytest.mark.django_db

DEMO_PASSWORD = "demo-2026"


@pytest.fixture
def demo_admin(db):
    # As a trial database copied into production would hold them (load_demo refuses to create them there).
    account_create(username="demo_liaison", password=DEMO_PASSWORD, display_name="联络员（演示）", is_demo=True)
    return account_create(username="demo_admin", password=DEMO_PASSWORD, is_demo=True, is_staff=True, is_superuser=True)


def _login(username, password):
    client = Client()
    response = client.post("/accounts/login/", {"username": username, "password": password}, follow=True)
    return client, response


@override_settings(DEMO_ACCOUNTS_ALLOWED=False)
def test_the_demo_superuser_cannot_sign_in_under_production_rules(demo_admin):
    client, response = _login(demo_admin.username, DEMO_PASSWORD)
    assert "_auth_user_id" not in client.session
    assert "演示账号不能在正式环境登录" in response.content.decode()
    assert client.get("/admin/").status_code == 302  # still sent to the login page


@override_settings(DEMO_ACCOUNTS_ALLOWED=False)
def test_every_demo_account_is_refused_and_real_accounts_still_sign_in(demo_admin):
    for user in User.objects.filter(is_demo=True):
        client, _ = _login(user.username, DEMO_PASSWORD)
        assert "_auth_user_id" not in client.session, user.username
    real = account_create(username="real_office_admin", password="Real-pass-2026!", is_staff=True)
    client, _ = _login(real.username, "Real-pass-2026!")
    assert client.session["_auth_user_id"] == str(real.pk)


@override_settings(DEMO_ACCOUNTS_ALLOWED=False)
def test_the_api_refuses_a_demo_account_over_basic_auth(demo_admin):
    token = base64.b64encode(f"{demo_admin.username}:{DEMO_PASSWORD}".encode()).decode()
    response = Client().get("/api/v1/units/", HTTP_AUTHORIZATION=f"Basic {token}")
    assert response.status_code in (401, 403)


def test_demo_accounts_sign_in_where_they_are_allowed(demo_admin):
    client, _ = _login(demo_admin.username, DEMO_PASSWORD)
    assert client.session["_auth_user_id"] == str(demo_admin.pk)


@override_settings(DEMO_ACCOUNTS_ALLOWED=False)
def test_a_demo_session_that_already_exists_is_ended(demo_admin):
    client = Client()
    client.force_login(demo_admin)  # signed in before production rules applied
    response = client.get("/mechanism/")
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")
    assert "_auth_user_id" not in client.session
    assert "演示账号不能在正式环境登录" in client.get(response["Location"]).content.decode()
