"""The reminder engine, the outbox and the channels, against a real SMTP server and a local HTTP
endpoint speaking Aliyun's SendSms."""

from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine

from deadlines import outbox
from deadlines.models import Message, Obligation
from deadlines.reminders import kinds_for, reminders_plan
from deadlines.schedules import DEFAULT_REMINDERS
from deadlines.services.obligations import obligation_press, obligations_generate

from .servers import AliyunSmsEndpoint, SmtpSink

TZ = ZoneInfo("Asia/Shanghai")


def at(y, m, d, h=9, minute=0):
    return datetime(y, m, d, h, minute, tzinfo=TZ)


@pytest.fixture
def contacts(users):
    for key, n in (("liaison_mzt", 1), ("liaison_zjt", 2), ("liaison_gat", 3), ("convener", 4), ("deputy", 5)):
        person = users[key].person
        person.mobile, person.email = f"1390000000{n}", f"{key}@example.gov.cn"
        person.save()
    users["city_guiyang"].email = "guiyang@example.gov.cn"
    users["city_guiyang"].save()
    return users


def test_kinds_follow_the_policy_in_working_days():
    due = date(2024, 10, 8)  # after National Day 2024
    assert kinds_for(due_on=due, today=date(2024, 9, 27), policy=DEFAULT_REMINDERS) == ["before:3"]
    assert kinds_for(due_on=due, today=date(2024, 9, 30), policy=DEFAULT_REMINDERS) == ["before:1"]
    assert kinds_for(due_on=due, today=due, policy=DEFAULT_REMINDERS) == ["due"]
    assert kinds_for(due_on=due, today=date(2024, 10, 10), policy=DEFAULT_REMINDERS) == ["overdue:2"]
    assert kinds_for(due_on=due, today=date(2024, 10, 11), policy=DEFAULT_REMINDERS) == ["escalation"]
    # Saturday 12 Oct 2024 is a make-up workday: the 4th working day overdue
    assert kinds_for(due_on=due, today=date(2024, 10, 12), policy=DEFAULT_REMINDERS) == ["overdue:4", "escalation"]


def _plan(when):
    with time_machine.travel(when, tick=False):
        return reminders_plan()


def test_plan_is_idempotent_with_one_digest_per_person(mechanism, contacts):
    with time_machine.travel(at(2024, 9, 20), tick=False):
        obligations_generate()
    first = _plan(at(2024, 9, 27))
    assert first > 0 and _plan(at(2024, 9, 27)) == 0
    mzt = contacts["liaison_mzt"]
    inapp = Message.objects.filter(recipient=mzt, channel="inapp")
    assert [m.kind for m in inapp] == ["before:3"] and inapp[0].status == "sent"
    assert "省民政厅" not in inapp[0].body and "季度工作情况" in inapp[0].body
    [digest] = Message.objects.filter(recipient=mzt, channel="email")
    assert digest.kind == "digest" and digest.status == "pending" and "2024年第3季度工作情况" in digest.body
    [sms] = Message.objects.filter(recipient=mzt, channel="sms")
    assert sms.address == "13900000001" and sms.next_attempt_at == at(2024, 9, 27)
    # nothing for units nobody has an account for, nothing on a holiday
    assert _plan(at(2024, 10, 3)) == 0


def test_quiet_hours_hold_sms_until_morning(mechanism, contacts):
    with time_machine.travel(at(2024, 9, 20), tick=False):
        obligations_generate()
    _plan(at(2024, 9, 27, 23, 10))
    sms = Message.objects.filter(channel="sms").first()
    assert sms.next_attempt_at == at(2024, 9, 28, 8)
    with time_machine.travel(at(2024, 9, 27, 23, 30), tick=False):
        assert outbox.message_deliver(message_id=sms.pk) == "skipped"
    sms.refresh_from_db()
    assert sms.status == "pending" and sms.attempts == 0


def test_escalation_reaches_convener_and_deputy_once(mechanism, contacts):
    with time_machine.travel(at(2024, 9, 20), tick=False):
        obligations_generate()
    for day in (8, 9, 10, 11, 12, 14):
        _plan(at(2024, 10, day))
    esc = Message.objects.filter(kind="escalation", channel="inapp")
    per_subject = {}
    for m in esc:
        per_subject.setdefault(m.subject, set()).add(m.recipient_id)
    assert per_subject and all(r == {contacts["convener"].pk, contacts["deputy"].pk} for r in per_subject.values())
    assert len(per_subject) == 7  # one escalation per overdue unit report, however many sweeps ran
    assert Message.objects.filter(kind="escalation", channel="inapp").count() == 14


def test_digest_and_press_mails_reach_a_real_smtp_server(mechanism, contacts, settings):
    with time_machine.travel(at(2024, 9, 20), tick=False):
        obligations_generate()
    with SmtpSink() as smtp:
        settings.DEADLINES_EMAIL_URL = smtp.url
        settings.DEADLINES_SMS_BACKEND = "deadlines.sms.ConsoleBackend"
        _plan(at(2024, 10, 10))
        o = Obligation.objects.get(member_unit__code="mzt", period="2024Q3")
        with time_machine.travel(at(2024, 10, 10, 10), tick=False):
            obligation_press(obligation=o, by=contacts["office"])
        with time_machine.travel(at(2024, 10, 10, 10, 5), tick=True):
            for message_id in outbox.due_ids():
                assert outbox.message_deliver(message_id=message_id) == "sent"
            assert outbox.due_ids() == []
        subjects = sorted((m["to"][0], m["subject"]) for m in smtp.messages)
    assert ("liaison_mzt@example.gov.cn", "【催办】2024年第3季度工作情况") in subjects
    digests = [s for s in subjects if s[1].startswith("【每日汇总】")]
    assert len(digests) == len({to for to, _ in digests}) == 3  # one per person (3 liaisons with accounts)
    assert all(m.status == "sent" and m.attempts == 1 for m in Message.objects.exclude(channel="inapp"))
    assert len({m["message_id"] for m in smtp.messages}) == len(smtp.messages)


def test_aliyun_adapter_talks_http_and_records_receipt_and_failures(mechanism, contacts, settings, monkeypatch):
    with time_machine.travel(at(2024, 9, 20), tick=False):
        obligations_generate()
    _plan(at(2024, 9, 27))
    sms = Message.objects.get(recipient=contacts["liaison_mzt"], channel="sms")
    with AliyunSmsEndpoint(fail_codes=["isv.BUSINESS_LIMIT_CONTROL"]) as endpoint:
        for key, value in endpoint.env().items():
            setattr(settings, key, value)
        with time_machine.travel(at(2024, 9, 27, 9, 1), tick=False):
            with pytest.raises(outbox.DeliveryFailed):
                outbox.message_deliver(message_id=sms.pk)
        sms.refresh_from_db()
        assert sms.status == "pending" and sms.attempts == 1 and "isv.BUSINESS_LIMIT_CONTROL" in sms.last_error
        with time_machine.travel(at(2024, 9, 27, 9, 3), tick=False):  # after the 1-minute backoff
            assert outbox.message_deliver(message_id=sms.pk) == "sent"
    sms.refresh_from_db()
    assert sms.status == "sent" and sms.attempts == 2 and sms.provider_id == "biz-2^0"
    last = endpoint.requests[-1]
    assert last["PhoneNumbers"] == "13900000001" and last["OutId"] == f"outbox-{sms.pk}"
    assert "季度工作情况" in last["TemplateParam"] and last["SignName"] == "联席会议"


def test_a_channel_down_is_shown_at_the_first_failure_and_messages_wait(mechanism, contacts, settings, client_for):
    settings.DEADLINES_SMS_BACKEND = "deadlines.sms.AliyunBackend"  # not configured: the channel is unusable
    settings.DEADLINES_MAX_ATTEMPTS = 1
    with time_machine.travel(at(2024, 9, 20), tick=False):
        obligations_generate()
    _plan(at(2024, 9, 27))
    sms = Message.objects.get(recipient=contacts["liaison_mzt"], channel="sms")
    with time_machine.travel(at(2024, 9, 27, 9, 1), tick=False):
        assert outbox.message_deliver(message_id=sms.pk) == "waiting"
        # while it is down nothing is tried before the probe time
        other = Message.objects.filter(channel="sms").exclude(pk=sms.pk).first()
        assert outbox.message_deliver(message_id=other.pk) == "skipped"
    sms.refresh_from_db()
    assert sms.status == "pending" and sms.attempts == 0 and "阿里云短信未配置" in sms.last_error
    page = client_for(contacts["office"]).get("/deadlines/deliveries/").content.decode()
    assert "短信暂时不可用" in page and "阿里云短信未配置" in page and "恢复后自动发送" in page
    # a message-level refusal uses the attempts and ends failed; the office retries in bulk
    with AliyunSmsEndpoint(fail_codes=["isv.MOBILE_NUMBER_ILLEGAL"]) as endpoint:
        for key, value in endpoint.env().items():
            setattr(settings, key, value)
        with time_machine.travel(at(2024, 9, 27, 9, 2), tick=False):  # after the 15-s probe delay
            assert outbox.message_deliver(message_id=sms.pk) == "failed"
    page = client_for(contacts["office"]).get("/deadlines/deliveries/?status=failed").content.decode()
    assert "发送失败" in page and "MOBILE_NUMBER_ILLEGAL" in page and "全部重新发送" in page
    assert "短信暂时不可用" not in page  # the provider answered: the channel is up again
    assert client_for(contacts["liaison_mzt"]).get("/deadlines/deliveries/").status_code == 404
    assert client_for(contacts["liaison_mzt"]).post("/deadlines/deliveries/retry-failed/").status_code == 404
    client_for(contacts["office"]).post("/deadlines/deliveries/retry-failed/")
    sms.refresh_from_db()
    assert sms.status == "pending" and sms.attempts == 0
    from core.models import AuditEntry

    assert AuditEntry.objects.filter(action="message.retry", object_id=str(sms.pk)).count() == 1


def test_sweep_command_is_repeatable(mechanism, contacts, settings):
    from io import StringIO

    from django.core.management import call_command

    settings.DEADLINES_SMS_QUIET_HOURS = "0-0"
    out = StringIO()
    with time_machine.travel(at(2024, 9, 27), tick=False):
        call_command("deadlines_sweep", stdout=out)
        call_command("deadlines_sweep", stdout=out)
    text = out.getvalue()
    assert "报送任务：新建 " in text and "已发送" in text and "提醒：新写入 0 条" in text
    assert not Message.objects.exclude(status="sent").exists()


def test_sms_batches_go_in_one_provider_call_and_a_spoiled_batch_is_sent_one_by_one(mechanism, contacts, settings):
    with time_machine.travel(at(2024, 9, 20), tick=False):
        obligations_generate()
    _plan(at(2024, 9, 27))
    sms = list(Message.objects.filter(channel="sms").order_by("pk"))
    assert len(sms) >= 3
    with AliyunSmsEndpoint() as endpoint:
        for key, value in endpoint.env().items():
            setattr(settings, key, value)
        with time_machine.travel(at(2024, 9, 27, 9, 1), tick=False):
            assert outbox.channel_drain(channel="sms", budget_seconds=5)["sent"] == len(sms)
    [call] = endpoint.requests
    import json

    assert json.loads(call["PhoneNumberJson"]) == [m.address for m in sms]
    assert [p["content"] for p in json.loads(call["TemplateParamJson"])] == [m.body for m in sms]
    assert all(m.status == "sent" and m.provider_id == "biz-1^0" for m in Message.objects.filter(channel="sms"))
    # a number the provider refuses spoils the batch call: the others still go, one by one
    Message.objects.filter(channel="sms").update(status="pending", attempts=0, next_attempt_at=at(2024, 9, 27, 9))
    with AliyunSmsEndpoint(fail_codes=["isv.MOBILE_NUMBER_ILLEGAL", "isv.MOBILE_NUMBER_ILLEGAL"]) as endpoint:
        for key, value in endpoint.env().items():
            setattr(settings, key, value)
        with time_machine.travel(at(2024, 9, 27, 9, 2), tick=False):
            outbox.channel_drain(channel="sms", budget_seconds=5)
    assert len(endpoint.requests) == 1 + len(sms)
    states = sorted(Message.objects.filter(channel="sms").values_list("status", flat=True))
    assert states == ["pending"] + ["sent"] * (len(sms) - 1)  # the refused one waits for its retry
