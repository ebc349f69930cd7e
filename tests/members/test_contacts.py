"""个人设置: each account keeps its own contacts; a new mobile or e-mail is used only after its code is
confirmed (the code goes out through the outbox and the configured SMS backend / mail server)."""

import json
import re

import pytest

from core.models import AuditEntry
from deadlines import outbox
from deadlines.models import Message
from deadlines.reminders import _address, channels_for, notify
from members.models import Contact, User


@pytest.fixture
def sms_file(settings, tmp_path):
    path = tmp_path / "sms.jsonl"
    settings.DEADLINES_SMS_BACKEND = "deadlines.sms.FileBackend"
    settings.DEADLINES_SMS_FILE = str(path)
    settings.DEADLINES_SMS_QUIET_HOURS = "0-0"
    return path


def _sms(path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()] if path.exists() else []


def _deliver_all():
    for message_id in outbox.due_ids():
        outbox.message_deliver(message_id=message_id)


def test_a_prefecture_user_adds_a_mobile_verifies_it_and_gets_the_next_sms(users, client_for, sms_file):
    city = users["city_guiyang"]
    client = client_for(city)
    page = client.get("/me/").content.decode()
    assert "个人设置" in page and "手机号码" in page
    response = client.post(
        "/me/",
        {"action": "save", "mobile": "139 0851 0001", "email": "", "urgent": ["sms"], "normal": ["sms"], "info": []},
    )
    assert response.status_code == 302
    contact = Contact.objects.get(user=city)
    assert contact.mobile == "13908510001" and not contact.mobile_ok
    assert _address(city, "sms") == ""  # unverified: never used
    assert channels_for(city, "urgent") == ["inapp"]
    client.post("/me/", {"action": "send_mobile"})
    _deliver_all()
    [sent] = _sms(sms_file)
    assert sent["mobile"] == "13908510001" and "验证码" in sent["text"]
    code = re.search(r"\d{6}", sent["text"]).group()
    wrong = "000000" if code != "000000" else "111111"
    page = client.post("/me/", {"action": "confirm_mobile", "code": wrong}).content.decode()
    assert "验证码不正确" in page
    assert not Contact.objects.get(user=city).mobile_ok
    assert client.post("/me/", {"action": "confirm_mobile", "code": code}).status_code == 302
    assert Contact.objects.get(user=city).mobile_ok
    city = User.objects.get(pk=city.pk)  # a fresh account object, as the next request or task loads
    assert channels_for(city, "urgent") == ["inapp", "sms"]
    assert channels_for(city, "info") == ["inapp"]
    notify(
        users=[city],
        subject="test:1",
        kind="notice",
        title="【通知】测试",
        body="【通知】测试短信",
        channels=channels_for(city, "urgent"),
    )
    _deliver_all()
    assert [s["mobile"] for s in _sms(sms_file)] == ["13908510001", "13908510001"]
    assert _sms(sms_file)[-1]["text"] == "【通知】测试短信"
    actions = list(
        AuditEntry.objects.filter(object_id=str(contact.pk), action__startswith="contact.")
        .values_list("action", flat=True)
        .order_by("id")
    )
    assert actions == ["contact.update", "contact.code_send", "contact.verify"]
    update = AuditEntry.objects.get(object_id=str(contact.pk), action="contact.update")
    assert update.changes["mobile"] == ["", "13908510001"]


def test_changing_a_verified_mobile_needs_a_new_code_and_the_roster_number_serves_meanwhile(
    users, client_for, sms_file
):
    liaison = users["liaison_mzt"]
    person = liaison.person
    person.mobile = "13900000009"  # entered by the office in the roster
    person.save()
    assert _address(liaison, "sms") == "13900000009"
    client_for(liaison).post(
        "/me/", {"action": "save", "mobile": "13900000010", "email": "", "urgent": ["sms"], "normal": [], "info": []}
    )
    assert _address(liaison, "sms") == "13900000009"  # not the new, unverified one


def test_bad_input_is_refused_in_chinese(users, client_for, sms_file):
    client = client_for(users["liaison_gat"])
    page = client.post("/me/", {"action": "save", "mobile": "12345", "email": "x@"}).content.decode()
    assert "手机号码格式不正确" in page
    assert not Contact.objects.filter(user=users["liaison_gat"]).exists()
    page = client.post("/me/", {"action": "confirm_mobile", "code": "123456"}, follow=True).content.decode()
    assert "请先获取验证码" in page
    client.post("/me/", {"action": "save", "mobile": "13900000011", "email": ""})
    client.post("/me/", {"action": "send_mobile"})
    page = client.post("/me/", {"action": "send_mobile"}, follow=True).content.decode()
    assert "1 分钟后再重新获取" in page
    assert Message.objects.filter(kind="code:mobile").count() == 1


def test_codes_are_the_accounts_own(users, client_for, sms_file):
    """Someone else's code does not verify my number; nobody reaches another person's settings."""
    a, b = users["liaison_mzt"], users["liaison_zjt"]
    client_for(a).post("/me/", {"action": "save", "mobile": "13900000021", "email": ""})
    client_for(b).post("/me/", {"action": "save", "mobile": "13900000022", "email": ""})
    client_for(a).post("/me/", {"action": "send_mobile"})
    _deliver_all()
    code_a = re.search(r"\d{6}", _sms(sms_file)[0]["text"]).group()
    page = client_for(b).post("/me/", {"action": "confirm_mobile", "code": code_a}).content.decode()
    assert "请先获取验证码" in page  # a's code belongs to a's number
    assert not Contact.objects.get(user=b).mobile_ok and not Contact.objects.get(user=a).mobile_ok
    # the pages carry no account id: there is no URL at which to reach another person's contacts
    assert client_for(a).get(f"/me/{b.pk}/").status_code == 404
    assert client_for(a).get("/me/units/abc/").status_code == 404


def test_an_email_is_verified_by_a_code_sent_to_it(users, client_for, settings, mailoutbox):
    settings.DEADLINES_EMAIL_URL = ""
    client = client_for(users["convener"])
    client.post(
        "/me/",
        {
            "action": "save",
            "mobile": "",
            "email": "chen@example.gov.cn",
            "urgent": ["email"],
            "normal": ["email"],
            "info": [],
        },
    )
    client.post("/me/", {"action": "send_email"})
    _deliver_all()
    [mail] = mailoutbox
    assert mail.to == ["chen@example.gov.cn"]
    code = re.search(r"\d{6}", mail.body).group()
    client.post("/me/", {"action": "confirm_email", "code": code})
    convener = User.objects.get(pk=users["convener"].pk)
    assert _address(convener, "email") == "chen@example.gov.cn"
    assert channels_for(convener, "normal") == ["inapp", "email"]


def test_a_code_goes_out_in_quiet_hours_while_reminders_wait(users, client_for, sms_file, settings):
    from datetime import datetime
    from zoneinfo import ZoneInfo

    import time_machine

    settings.DEADLINES_SMS_QUIET_HOURS = "22-8"
    city = users["city_guiyang"]
    client = client_for(city)
    person = users["liaison_mzt"].person
    person.mobile = "13900000031"
    person.save()
    with time_machine.travel(datetime(2026, 3, 3, 23, 0, tzinfo=ZoneInfo("Asia/Shanghai")), tick=True):
        client.post("/me/", {"action": "save", "mobile": "13908510002", "email": ""})
        notify(
            users=[users["liaison_mzt"]],
            subject="test:q",
            kind="notice",
            title="【通知】夜间",
            body="【通知】夜间",
            channels=("sms",),
        )
        client.post("/me/", {"action": "send_mobile"})
        _deliver_all()
    assert [s["mobile"] for s in _sms(sms_file)] == ["13908510002"]  # the code only
    assert Message.objects.get(subject="test:q").status == "pending"
