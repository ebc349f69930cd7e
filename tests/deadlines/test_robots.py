"""Group robots (WeCom, DingTalk) through the outbox, against a local HTTP endpoint that answers like
the real services: success, rate limits (45009 / DingTalk's throttle), bad signature, server errors.
Every group message arrives exactly once, however the endpoint answers on the way."""

from collections import Counter
from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone

from deadlines import outbox
from deadlines.models import ChannelState, Message
from deadlines.reminders import OFFICE, notify_units
from deadlines.robots import dingtalk_sign
from members.contacts import robot_masks, unit_contact_update
from members.models import MemberUnit, UnitContact

from .servers import RobotEndpoint

DING_SECRET = "SECabcdefgh12345678"


@pytest.fixture
def robots(mechanism, users, settings):
    """省民政厅 has both robots; 省住建厅 only DingTalk; the office a WeCom robot."""
    mzt, zjt = MemberUnit.objects.get(code="mzt"), MemberUnit.objects.get(code="zjt")
    office = users["office"]
    unit_contact_update(
        unit=mzt,
        by=office,
        phone="",
        email="",
        wecom_key="mztkey0001",
        dingtalk_token="mzttoken01",
        dingtalk_secret=DING_SECRET,
    )
    unit_contact_update(
        unit=zjt, by=office, phone="", email="", dingtalk_token="zjttoken01", dingtalk_secret=DING_SECRET
    )
    unit_contact_update(unit=None, by=office, phone="", email="", wecom_key="officekey01")
    return {"mzt": mzt, "zjt": zjt}


def _endpoint(settings, **kwargs):
    endpoint = RobotEndpoint(dingtalk_secrets={"mzttoken01": DING_SECRET, "zjttoken01": DING_SECRET}, **kwargs)
    for key, value in endpoint.env().items():
        setattr(settings, key, value)
    return endpoint


def _drain_until_done(minutes=30, step=timedelta(seconds=20)):
    """Run the drains as the beat would, moving the clock on, until nothing is pending."""
    now = timezone.now()
    for _ in range(int(minutes * 60 / step.total_seconds())):
        with time_machine.travel(now, tick=False):
            for channel in (Message.WECOM, Message.DINGTALK):
                outbox.channel_drain(channel=channel, budget_seconds=5)
        if not Message.objects.filter(channel__in=Message.ROBOT_CHANNELS).exclude(status=Message.SENT).exists():
            return
        now += step
    raise AssertionError("robot messages still pending")


def test_secrets_are_sealed_and_masked(robots):
    uc = UnitContact.objects.get(unit=robots["mzt"])
    assert DING_SECRET not in uc.dingtalk_secret and "mztkey0001" not in uc.wecom_key
    masks = robot_masks(uc)
    assert masks["dingtalk_secret"] == "••••••5678" and masks["wecom_key"] == "••••••0001"
    from core.models import AuditEntry

    entry = AuditEntry.objects.filter(action="unit_contact.update", object_id=str(uc.pk)).latest("id")
    assert DING_SECRET not in str(entry.changes) and entry.changes["dingtalk_secret"] == ["", "已设置"]


def test_dingtalk_signature_is_the_documented_hmac():
    # S = urlquote(base64(HMAC-SHA256(secret, f"{ms}\n{secret}")))
    import base64
    import hashlib
    import hmac
    from urllib.parse import quote_plus

    expected = quote_plus(base64.b64encode(hmac.new(b"SECx", b"1700000000000\nSECx", hashlib.sha256).digest()))
    assert dingtalk_sign("SECx", 1700000000000) == expected


def test_unit_events_reach_each_units_group_once(robots, settings):
    with _endpoint(settings) as endpoint:
        n = notify_units(
            units=[robots["mzt"], robots["zjt"], OFFICE],
            subject="item:1",
            kind="dispatched",
            title="【交办】测试事项",
            body="【交办】测试事项，请签收。",
            url="/items/1/",
        )
        assert n == 4  # mzt: wecom + dingtalk; zjt: dingtalk; office: wecom
        assert (
            notify_units(
                units=[robots["mzt"]],
                subject="item:1",
                kind="dispatched",
                title="x",
                body="y",
                period=Message.objects.filter(channel="wecom").first().period,
            )
            == 0
        )
        _drain_until_done()
    groups = Counter(a["robot"] for a in endpoint.accepted)
    assert groups == Counter(
        {"wecom:mztkey0001": 1, "dingtalk:mzttoken01": 1, "dingtalk:zjttoken01": 1, "wecom:officekey01": 1}
    )
    assert all("【交办】测试事项" in a["text"] and "/items/1/" in a["text"] for a in endpoint.accepted)


def test_rate_limits_bad_signature_and_errors_retry_without_loss_or_duplicates(robots, settings):
    # 45 events for one unit: more than 20 posts' worth if sent one by one; the endpoint also
    # answers throttle, a server error and a bad signature on the way.
    with _endpoint(settings, script=["500", "throttle", "badsign"]) as endpoint:
        for i in range(45):
            notify_units(
                units=[robots["mzt"], robots["zjt"]],
                subject=f"item:{i}",
                kind="dispatched",
                title=f"【交办】事项{i:02d}" + "说明" * 200,
                body=f"【交办】事项{i:02d}" + "说明" * 200,
                period="p",
            )
        _drain_until_done(minutes=60)
    rows = Message.objects.filter(channel__in=Message.ROBOT_CHANNELS)
    assert rows.count() == 135 and not rows.exclude(status=Message.SENT).exists()
    for robot in ("wecom:mztkey0001", "dingtalk:mzttoken01", "dingtalk:zjttoken01"):
        texts = "\n".join(a["text"] for a in endpoint.accepted if a["robot"] == robot)
        for i in range(45):
            assert texts.count(f"事项{i:02d}") == 1, (robot, i)  # each event once in each group
    # never more than 20 posts a minute to one robot (the endpoint would have refused them)
    refused = [r for r in endpoint.requests if r["robot"] == "wecom:mztkey0001"]
    assert len(refused) >= len([a for a in endpoint.accepted if a["robot"] == "wecom:mztkey0001"])
    # messages waited through the failures: none used up its attempts or failed
    assert not rows.filter(status=Message.FAILED).exists()


def test_a_robot_with_a_wrong_secret_waits_and_the_office_sees_it(robots, settings, client_for, users):
    with _endpoint(settings) as endpoint:
        endpoint.secrets["zjttoken01"] = "SECsomethingelse999"  # the group's robot was re-created
        notify_units(
            units=[robots["zjt"]],
            subject="item:9",
            kind="dispatched",
            title="【交办】九",
            body="【交办】九",
            period="p",
        )
        outbox.channel_drain(channel=Message.DINGTALK, budget_seconds=5)
        row = Message.objects.get(channel="dingtalk")
        assert row.status == "pending" and row.attempts == 0 and "加签" in row.last_error
        state = ChannelState.objects.get(key=f"dingtalk:{row.robot_id}")
        assert state.is_down
        page = client_for(users["office"]).get("/deadlines/deliveries/").content.decode()
        assert "钉钉群" in page and "加签校验失败" in page
        # the office enters the right secret: the message goes out by itself, once
        unit_contact_update(
            unit=robots["zjt"], by=users["office"], phone="", email="", dingtalk_secret="SECsomethingelse999"
        )
        outbox.channel_drain(channel=Message.DINGTALK, budget_seconds=5)
    row.refresh_from_db()
    assert row.status == "sent" and [a["robot"] for a in endpoint.accepted] == ["dingtalk:zjttoken01"]
    assert not ChannelState.objects.get(key=f"dingtalk:{row.robot_id}").is_down


def test_urgent_messages_mention_the_units_people(robots, settings, users):
    from members.contacts import contact_update

    contact_update(
        user=users["liaison_mzt"],
        by=users["liaison_mzt"],
        mobile="",
        email="",
        wecom_userid="wanghr",
        dingtalk_userid="ding-wang",
    )
    with _endpoint(settings) as endpoint:
        notify_units(
            units=[robots["mzt"]],
            subject="item:3",
            kind="press",
            title="【催办】三",
            body="【催办】三",
            urgency="urgent",
            period="p",
        )
        _drain_until_done()
    mentions = {a["robot"]: a["mention"] for a in endpoint.accepted}
    assert mentions == {"wecom:mztkey0001": ["wanghr"], "dingtalk:mzttoken01": ["ding-wang"]}


def test_only_the_office_edits_unit_contacts(robots, client_for, users):
    mzt = robots["mzt"]
    for key in ("liaison_mzt", "convener", "city_guiyang"):
        assert client_for(users[key]).get(f"/me/units/{mzt.pk}/").status_code == 404
        assert client_for(users[key]).get("/me/reachability/").status_code == 404
    office = client_for(users["office"])
    page = office.get(f"/me/units/{mzt.pk}/").content.decode()
    assert "••••••5678" in page and DING_SECRET not in page and "mztkey0001" not in page
    response = office.post(f"/me/units/{mzt.pk}/", {"phone": "0851-12345678", "email": "bad", "wecom_key": ""})
    assert "电子邮箱格式不正确" in response.content.decode()
    response = office.post(
        f"/me/units/{mzt.pk}/",
        {
            "phone": "0851-12345678",
            "email": "mzt@example.gov.cn",
            "wecom_key": "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=newkey0002",
        },
    )
    assert response.status_code == 302
    from members.secrets import secret_open

    uc = UnitContact.objects.get(unit=mzt)
    assert secret_open(uc.wecom_key) == "newkey0002" and secret_open(uc.dingtalk_secret) == DING_SECRET
    reach = office.get("/me/reachability/").content.decode()
    assert "联系可达性" in reach and "省公安厅" in reach  # a unit without any robot is listed


def test_messages_for_a_removed_robot_fail_visibly(robots, settings, users):
    with _endpoint(settings) as endpoint:
        notify_units(
            units=[robots["zjt"]],
            subject="item:5",
            kind="dispatched",
            title="【交办】五",
            body="【交办】五",
            period="p",
        )
        settings.DEADLINES_MAX_ATTEMPTS = 1
        unit_contact_update(unit=robots["zjt"], by=users["office"], phone="", email="", clear_dingtalk=True)
        outbox.channel_drain(channel=Message.DINGTALK, budget_seconds=5)
    row = Message.objects.get(channel="dingtalk")
    assert row.status == "failed" and "已被移除" in row.last_error and endpoint.requests == []


def test_failed_rows_are_retried_in_bulk_per_channel(robots, settings, users, client_for):
    notify_units(
        units=[robots["mzt"]], subject="item:6", kind="dispatched", title="【交办】六", body="【交办】六", period="p"
    )
    Message.objects.filter(channel__in=Message.ROBOT_CHANNELS).update(status="failed", attempts=6)
    office = client_for(users["office"])
    page = office.get("/deadlines/deliveries/").content.decode()
    assert "有 <strong>2</strong> 条消息发送失败" in page
    office.post("/deadlines/deliveries/retry-failed/", {"channel": "sms"})
    assert Message.objects.filter(status="failed").count() == 2
    office.post("/deadlines/deliveries/retry-failed/", {"channel": "wecom"})
    assert list(Message.objects.filter(status="failed").values_list("channel", flat=True)) == ["dingtalk"]
    office.post("/deadlines/deliveries/retry-failed/")
    assert not Message.objects.filter(status="failed").exists()
    assert all(m.attempts == 0 for m in Message.objects.filter(channel__in=Message.ROBOT_CHANNELS))
