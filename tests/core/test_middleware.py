"""Guards every request passes (core.middleware)."""

import pytest

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    "url", ["/items/inbox/?q=a%00b", "/items/queue/?unit=%00", "/communities/?q=%00", "/api/v1/tasks/?cursor=%00"]
)
def test_a_nul_byte_in_the_query_string_is_refused_with_a_chinese_message(users, client_for, url):
    response = client_for(users["office"]).get(url)
    assert response.status_code == 400
    assert "无效字符" in response.content.decode()


@pytest.mark.parametrize("url", ["/calendar/%00.ics", "/items/1%00/", "/api/v1/units/%00/"])
def test_a_nul_byte_in_the_path_is_refused_with_a_chinese_message(users, client_for, url):
    response = client_for(users["office"]).get(url)
    assert response.status_code == 400
    assert "无效字符" in response.content.decode()


@pytest.mark.parametrize("username", ["a\x00b", "office\x00", "长" * 200])
def test_a_bad_basic_auth_username_is_refused_before_sign_in_is_tried(users, client, username):
    import base64

    from axes.models import AccessAttempt

    token = base64.b64encode(f"{username}:test-pass-2026".encode()).decode()
    response = client.get("/api/v1/units/", HTTP_AUTHORIZATION=f"Basic {token}")
    assert response.status_code == 400
    assert "无效字符或过长" in response.json()["detail"]
    assert not AccessAttempt.objects.exists()


def test_a_forged_long_sign_in_name_is_the_usual_wrong_password_message(db, client):
    response = client.post("/accounts/login/", {"username": "长" * 10_000, "password": "x"})
    assert response.status_code == 200
    errors = response.context["form"].errors
    assert errors and "正确的" in " ".join(errors.get("__all__", [])), errors
