"""Sign-in that an attacker cannot turn against users (issue 11): lockout per account and address,
a per-address limit, the client's address behind trusted proxies, the second factor, password change
and reset, session lifetimes."""

import base64
import re
from datetime import timedelta

import pytest
import time_machine
from django.core import mail
from django.test import Client, RequestFactory
from django.utils import timezone
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice

from core.models import AuditEntry
from members.models import User
from members.security import client_ip
from tests.conftest import PASSWORD, second_factor_device, totp_code, verified_login

LOCKED = "已暂时锁定"


def _sign_in(client, username, password=PASSWORD):
    return client.post("/accounts/login/", {"username": username, "password": password})


# --- Lockout ------------------------------------------------------------------------------------------------


def test_five_wrong_passwords_from_one_address_do_not_lock_out_the_real_user_elsewhere(users):
    stranger = Client(REMOTE_ADDR="203.0.113.9")
    for _ in range(5):
        _sign_in(stranger, "liaison_mzt", "wrong-password")
    assert LOCKED in _sign_in(stranger, "liaison_mzt").content.decode()  # locked for the stranger's address
    real_user = Client(REMOTE_ADDR="198.51.100.7")
    response = _sign_in(real_user, "liaison_mzt")
    assert response.status_code == 302 and response["Location"] == "/"


def test_behind_the_proxy_the_lockout_follows_the_forwarded_address(users, settings):
    settings.TRUSTED_PROXIES = ["127.0.0.1"]
    # nginx appends the address it saw to whatever the client sent; the stranger's own entry is ignored
    stranger = Client(REMOTE_ADDR="127.0.0.1", HTTP_X_FORWARDED_FOR="198.51.100.7, 203.0.113.9")
    for _ in range(5):
        _sign_in(stranger, "liaison_mzt", "wrong-password")
    assert LOCKED in _sign_in(stranger, "liaison_mzt").content.decode()
    real_user = Client(REMOTE_ADDR="127.0.0.1", HTTP_X_FORWARDED_FOR="198.51.100.7")
    assert _sign_in(real_user, "liaison_mzt")["Location"] == "/"


def test_many_tries_from_one_address_lock_that_address(users, settings):
    settings.AXES_ADDRESS_FAILURE_LIMIT = 8
    guesser = Client(REMOTE_ADDR="203.0.113.9")
    names = ["liaison_mzt", "liaison_zjt", "liaison_gat", "member_mzt", "city_guiyang", "city_zunyi", "nobody"]
    for name in names:  # one try per account: no account reaches its own limit
        response = _sign_in(guesser, name, "wrong-password")
        assert response.status_code == 200 and LOCKED not in response.content.decode()
    assert LOCKED in _sign_in(guesser, "x", "wrong-password").content.decode()  # the eighth try
    response = _sign_in(guesser, "outsider")  # even the right password: the address is locked
    assert response.status_code == 429 and LOCKED in response.content.decode()
    assert "当前网络地址的登录 30 分钟" in response.content.decode()
    assert _sign_in(Client(REMOTE_ADDR="198.51.100.7"), "outsider")["Location"] == "/"


def test_client_address_believes_forwarded_headers_only_from_trusted_proxies(settings):
    rf = RequestFactory()
    settings.TRUSTED_PROXIES = []
    assert client_ip(rf.get("/", REMOTE_ADDR="203.0.113.9", HTTP_X_FORWARDED_FOR="198.51.100.7")) == "203.0.113.9"
    settings.TRUSTED_PROXIES = ["10.0.0.0/8", "127.0.0.1"]
    # a client that is not a proxy cannot claim another address
    assert client_ip(rf.get("/", REMOTE_ADDR="203.0.113.9", HTTP_X_FORWARDED_FOR="198.51.100.7")) == "203.0.113.9"
    # two trusted proxies: the first untrusted address from the right is the client
    request = rf.get("/", REMOTE_ADDR="127.0.0.1", HTTP_X_FORWARDED_FOR="1.2.3.4, 198.51.100.7, 10.0.0.2")
    assert client_ip(request) == "198.51.100.7"
    assert client_ip(rf.get("/", REMOTE_ADDR="127.0.0.1", HTTP_X_FORWARDED_FOR="garbage")) == "127.0.0.1"
    assert client_ip(rf.get("/", REMOTE_ADDR="127.0.0.1", HTTP_X_FORWARDED_FOR="[2001:db8::1]:443")) == "2001:db8::1"


# --- Second factor -----------------------------------------------------------------------------------------


@pytest.mark.parametrize("who", ["convener", "deputy", "office", "admin"])
def test_each_privileged_role_must_verify_before_any_page(users, who):
    second_factor_device(users[who])
    client = Client()
    assert _sign_in(client, who)["Location"] == "/"
    for path in ("/", "/mechanism/", "/items/queue/", "/dashboard/", "/admin/", "/accounts/password/"):
        response = client.get(path)
        assert response.status_code == 302 and response["Location"].startswith("/accounts/2fa/?next="), path
    api = client.get("/api/v1/units/")
    assert api.status_code == 403 and "两步验证" in api.json()["detail"]
    page = client.get("/accounts/2fa/").content.decode()
    assert "两步验证" in page and "恢复码" in page
    response = client.post(
        "/accounts/2fa/", {"token": totp_code(second_factor_device(users[who])), "next": "/mechanism/"}
    )
    assert response["Location"] == "/mechanism/"
    assert client.get("/mechanism/").status_code == 200
    assert client.get("/api/v1/units/").status_code == 200


@pytest.mark.parametrize("who", ["liaison_mzt", "member_mzt", "city_guiyang"])
def test_liaisons_and_prefectures_are_not_forced(users, who):
    client = Client()
    assert _sign_in(client, who)["Location"] == "/"
    assert client.get("/mechanism/").status_code == 200


def test_basic_auth_is_no_way_round_the_second_factor(users):
    def basic(username):
        token = base64.b64encode(f"{username}:{PASSWORD}".encode()).decode()
        return Client().get("/api/v1/units/", HTTP_AUTHORIZATION=f"Basic {token}")

    refused = basic("office")
    assert refused.status_code in (401, 403) and "两步验证" in refused.json()["detail"]
    assert basic("convener").status_code in (401, 403)
    assert basic("liaison_mzt").status_code == 200


def _secret_from(page: str) -> bytes:
    secret = re.search(r'id="totp-secret">([A-Z2-7 ]+)<', page).group(1).replace(" ", "")
    return base64.b32decode(secret + "=" * (-len(secret) % 8))


def test_office_enrols_with_a_server_drawn_qr_code_and_gets_recovery_codes_once(users):
    client = Client()
    _sign_in(client, "office")
    page = client.get("/accounts/2fa/?next=/items/queue/").content.decode()
    assert "设置两步验证" in page and "<svg" in page
    assert not re.search(r"<script(?![^>]*\bsrc=)", page)  # the QR code needs no script (only app.js loads)
    key = _secret_from(page)
    wrong = client.post("/accounts/2fa/", {"token": "000000", "next": "/items/queue/"}).content.decode()
    assert "验证码不正确或已过期" in wrong
    assert client.get("/items/queue/").status_code == 302  # still not verified
    # django-otp makes the next try wait after a failure; the test does not wait
    TOTPDevice.objects.filter(user=users["office"]).update(
        throttling_failure_count=0, throttling_failure_timestamp=None
    )
    code = f"{_code(key, int(timezone.now().timestamp()) // 30):06d}"
    response = client.post("/accounts/2fa/", {"token": code, "next": "/items/queue/"})
    html = response.content.decode()
    assert response.status_code == 200 and "只显示这一次" in html
    codes = re.findall(r"<li><code>([a-z2-7]{8})</code></li>", html)
    assert len(codes) == 10
    assert client.get("/items/queue/").status_code == 200
    assert TOTPDevice.objects.get(user=users["office"]).confirmed
    assert AuditEntry.objects.filter(action="account.second_factor_enrol", object_id=str(users["office"].pk)).exists()
    # the codes are not shown again
    manage = client.get("/accounts/2fa/").content.decode()
    assert not any(c in manage for c in codes)


def _code(key: bytes, step: int) -> int:
    import hmac
    import struct

    digest = hmac.new(key, struct.pack(">Q", step), "sha1").digest()
    offset = digest[-1] & 0x0F
    return (struct.unpack(">I", digest[offset : offset + 4])[0] & 0x7FFFFFFF) % 1_000_000


def test_wrong_code_is_refused_in_chinese_and_a_recovery_code_works_once(users):
    device = second_factor_device(users["deputy"])
    recovery = StaticDevice.objects.create(user=users["deputy"], name="恢复码")
    recovery.token_set.create(token="abcd2345")
    client = Client()
    _sign_in(client, "deputy")
    response = client.post("/accounts/2fa/", {"token": "123456"})
    assert response.status_code == 200 and "验证码不正确或已过期" in response.content.decode()
    assert client.get("/dashboard/").status_code == 302
    # django-otp throttles after a failure: the next try waits; reset the clock for the test
    TOTPDevice.objects.filter(pk=device.pk).update(throttling_failure_count=0, throttling_failure_timestamp=None)
    StaticDevice.objects.filter(pk=recovery.pk).update(throttling_failure_count=0, throttling_failure_timestamp=None)
    assert client.post("/accounts/2fa/", {"token": "ABCD 2345", "next": "/dashboard/"})["Location"] == "/dashboard/"
    assert client.get("/dashboard/").status_code == 200
    assert AuditEntry.objects.filter(action="account.recovery_code_use").exists()
    client.post("/accounts/logout/")
    again = Client()
    _sign_in(again, "deputy")
    response = again.post("/accounts/2fa/", {"token": "abcd2345"})
    assert response.status_code == 200 and "验证码不正确或已过期" in response.content.decode()


def test_repeated_wrong_codes_are_throttled_with_a_chinese_message(users):
    code = totp_code(second_factor_device(users["office"]))
    with time_machine.travel(timezone.now(), tick=False):
        client = Client()
        _sign_in(client, "office")
        client.post("/accounts/2fa/", {"token": "111111"})
        response = client.post("/accounts/2fa/", {"token": code})
    # even the right code waits: each failure doubles the wait before the next try
    assert "错误次数过多" in response.content.decode()
    assert client.get("/items/queue/").status_code == 302


def test_a_liaison_may_opt_in_and_then_must_verify(users):
    client = verified_login(Client(), users["liaison_mzt"])
    page = client.get("/accounts/2fa/").content.decode()
    key = _secret_from(page)
    step = int(timezone.now().timestamp()) // 30
    assert client.post("/accounts/2fa/", {"token": f"{_code(key, step):06d}"}).status_code == 200
    fresh = Client()
    _sign_in(fresh, "liaison_mzt")
    assert fresh.get("/items/inbox/")["Location"].startswith("/accounts/2fa/")


def test_an_administrator_resets_a_lost_authenticator_with_an_audit_row(users, client_for):
    second_factor_device(users["office"])
    StaticDevice.objects.create(user=users["office"], name="恢复码")
    url = f"/accounts/2fa/reset/{users['office'].pk}/"
    # nobody else may: the office itself, a convener, a liaison get 404
    for who in ("office", "convener", "liaison_mzt"):
        assert client_for(users[who]).post(url, {"reason": "x"}).status_code == 404, who
    admin = client_for(users["admin"])
    assert "重置两步验证" in admin.get(url).content.decode()
    assert admin.post(url, {"reason": " "}).status_code == 200  # a reason is required
    assert TOTPDevice.objects.filter(user=users["office"]).exists()
    response = admin.post(url, {"reason": "手机遗失，本人电话核实"})
    assert response.status_code == 302
    assert not TOTPDevice.objects.filter(user=users["office"]).exists()
    assert not StaticDevice.objects.filter(user=users["office"]).exists()
    entry = AuditEntry.objects.get(action="account.second_factor_reset", object_id=str(users["office"].pk))
    assert entry.actor_id == users["admin"].pk and entry.reason == "手机遗失，本人电话核实"
    # the administrator cannot reset their own
    own = admin.post(f"/accounts/2fa/reset/{users['admin'].pk}/", {"reason": "试一试"})
    assert "不能重置自己的两步验证" in own.content.decode()
    # at the next sign-in the office sets up a new authenticator
    client = Client()
    _sign_in(client, "office")
    assert "设置两步验证" in client.get("/accounts/2fa/").content.decode()


# --- Passwords ---------------------------------------------------------------------------------------------


def test_password_change_signed_in(users, client_for):
    client = client_for(users["liaison_mzt"])
    page = client.get("/accounts/password/").content.decode()
    assert "修改密码" in page and "旧密码" in page
    bad = client.post("/accounts/password/", {"old_password": "nope", "new_password1": "x", "new_password2": "x"})
    assert bad.status_code == 200 and "你的旧密码不正确" in bad.content.decode()
    response = client.post(
        "/accounts/password/",
        {"old_password": PASSWORD, "new_password1": "绿色社区-新密码-2026", "new_password2": "绿色社区-新密码-2026"},
    )
    assert response["Location"] == "/accounts/password/done/"
    assert AuditEntry.objects.filter(action="account.password_change", object_id=str(users["liaison_mzt"].pk)).exists()
    assert _sign_in(Client(), "liaison_mzt", "绿色社区-新密码-2026")["Location"] == "/"


def test_password_reset_mails_only_the_address_on_the_account(users):
    User.objects.filter(pk=users["liaison_mzt"].pk).update(email="Wang.Haoran@example.gov.cn")
    client = Client()
    assert "找回密码" in client.get("/accounts/password/reset/").content.decode()
    unknown = client.post("/accounts/password/reset/", {"email": "nobody@example.gov.cn"})
    known = client.post("/accounts/password/reset/", {"email": "wang.haoran@EXAMPLE.gov.cn"})
    # the same answer either way: nothing tells whether an account has that address
    assert unknown.status_code == known.status_code == 302
    assert unknown["Location"] == known["Location"] == "/accounts/password/reset/sent/"
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["Wang.Haoran@example.gov.cn"]  # the stored address, not the one typed
    assert "重设密码" in message.subject and "liaison_mzt" in message.body
    link = re.search(r"http://testserver(/accounts/password/reset/\S+/)", message.body).group(1)
    form = client.get(link, follow=True)
    assert "设置新密码" in form.content.decode()
    response = client.post(
        form.redirect_chain[-1][0], {"new_password1": "重设后的新密码-2026", "new_password2": "重设后的新密码-2026"}
    )
    assert response["Location"] == "/accounts/password/reset/complete/"
    assert _sign_in(Client(), "liaison_mzt", "重设后的新密码-2026")["Location"] == "/"
    assert AuditEntry.objects.filter(action="account.password_reset").exists()
    # the link works once
    assert "该链接无效或已过期" in client.get(link, follow=True).content.decode()


def test_password_reset_does_not_skip_the_second_factor(users):
    second_factor_device(users["office"])
    User.objects.filter(pk=users["office"].pk).update(email="office@example.gov.cn")
    client = Client()
    client.post("/accounts/password/reset/", {"email": "office@example.gov.cn"})
    link = re.search(r"http://testserver(/accounts/password/reset/\S+/)", mail.outbox[0].body).group(1)
    form = client.get(link, follow=True)
    client.post(
        form.redirect_chain[-1][0], {"new_password1": "重设后的新密码-2026", "new_password2": "重设后的新密码-2026"}
    )
    _sign_in(client, "office", "重设后的新密码-2026")
    assert client.get("/items/queue/")["Location"].startswith("/accounts/2fa/")


# --- Session lifetimes ---------------------------------------------------------------------------------------


def test_an_idle_session_is_signed_out(users, settings):
    settings.SESSION_IDLE_SECONDS = 30 * 60
    with time_machine.travel(timezone.now(), tick=False) as clock:
        client = verified_login(Client(), users["liaison_mzt"])
        assert client.get("/mechanism/").status_code == 200
        clock.shift(timedelta(minutes=29))
        assert client.get("/mechanism/").status_code == 200  # activity renews the idle clock
        clock.shift(timedelta(minutes=29))
        assert client.get("/mechanism/").status_code == 200
        clock.shift(timedelta(minutes=31))
        response = client.get("/mechanism/")
        assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")
        page = client.get(response["Location"]).content.decode()
        assert "自动退出" in page
        assert client.get("/mechanism/").status_code == 302  # signed out for good


def test_a_busy_session_still_ends_after_the_absolute_lifetime(users, settings):
    settings.SESSION_IDLE_SECONDS = 30 * 60
    settings.SESSION_ABSOLUTE_SECONDS = 2 * 3600
    with time_machine.travel(timezone.now(), tick=False) as clock:
        client = verified_login(Client(), users["office"])
        for _ in range(4):  # busy every 25 minutes: 100 minutes
            assert client.get("/mechanism/").status_code == 200
            clock.shift(timedelta(minutes=25))
        clock.shift(timedelta(minutes=21))  # 121 minutes after signing in
        response = client.get("/mechanism/")
        assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")
