"""Rules as data: read from the mechanism file through members' signal, checked, idempotent."""

import re
from datetime import date

import pytest

from core.models import AuditEntry
from deadlines.models import DeadlineRule
from deadlines.schedules import RuleError, rules_parse
from members.mechanism_config import mechanism_path, mechanism_spec_parse
from members.models import Mechanism
from members.services import mechanism_load

GUIZHOU = mechanism_path("guizhou").read_text(encoding="utf-8")


def test_rules_loaded_with_the_mechanism_and_reload_changes_nothing(mechanism):
    assert list(DeadlineRule.objects.filter(mechanism=mechanism).values_list("code", flat=True)) == [
        "quarterly_report",
        "implementation_plan",
        "pilot_communities",
        "stage_summary",
    ]
    audits = AuditEntry.objects.filter(action="deadline_rules.load").count()
    assert audits == 1
    mechanism_load(spec=mechanism_spec_parse(GUIZHOU.encode(), filename="guizhou.yaml"))
    assert AuditEntry.objects.filter(action="deadline_rules.load").count() == 1
    assert DeadlineRule.objects.count() == 4


def _load(text):
    return mechanism_load(spec=mechanism_spec_parse(text.encode(), filename="guizhou.yaml"))


def test_changed_rule_is_updated_and_removed_rule_retired(mechanism):
    text = re.sub(r'^version: "([^"]+)"', r'version: "\1-rules-test"', GUIZHOU, count=1, flags=re.M).replace(
        "reading: after_quarter_end, days: 5, counting: calendar",
        "reading: last_days_of_quarter, days: 5, counting: working",
    )
    text = text[: text.index("  - code: stage_summary")]
    _load(text)
    q = DeadlineRule.objects.get(code="quarterly_report").spec().schedule
    assert (q.reading, q.counting) == ("last_days_of_quarter", "working")
    assert not DeadlineRule.objects.get(code="stage_summary").active
    entry = AuditEntry.objects.filter(action="deadline_rules.load").latest("id")
    assert entry.changes["retired"] == ["stage_summary"]


@pytest.mark.parametrize(
    "old,new,field,message,on_line",
    [
        (
            "reading: after_quarter_end, days: 5",
            "reading: after_quarter_end, days: 0",
            "deadline_rules[0].schedule.days",
            "应为 1 到 60 之间的整数",
            "days: 0",
        ),
        ("counting: calendar}", "counting: lunar}", "deadline_rules[0].schedule.counting", "未知取值 'lunar'", "lunar"),
        (
            'dates: ["05-15", "11-15"]',
            'dates: ["05-15", "11-31"]',
            "deadline_rules[3].schedule.dates[1]",
            "MM-DD",
            "11-31",
        ),
        (
            "obligors: reporting_units\n    schedule: {kind: once, date: 2020-09-30}",
            "obligors: cities\n    schedule: {kind: once, date: 2020-09-30}",
            "deadline_rules[1].obligors",
            "未知取值",
            "obligors: cities",
        ),
        ("code: pilot_communities", "code: implementation_plan", "deadline_rules[2].code", "重复", "试点社区"),
    ],
)
def test_bad_rules_name_the_field_and_line_and_write_nothing(
    db, tmp_path, monkeypatch, old, new, field, message, on_line
):
    assert old in GUIZHOU
    text = GUIZHOU.replace(old, new)
    # the line finder reads the file on disk; point it at a temporary copy with the bad text
    path = tmp_path / "guizhou.yaml"
    path.write_text(text, encoding="utf-8")
    monkeypatch.setattr("members.mechanism_config.mechanism_path", lambda code: path)
    with pytest.raises(RuleError) as err:
        _load(text)
    assert err.value.field == field
    assert message in err.value.message and "guizhou.yaml 第 " in err.value.message and field in err.value.message
    line = int(err.value.message.split("第 ")[1].split(" 行")[0])
    lines = text.splitlines()
    # the reported line is the field's own line (for a duplicate code: the second rule's, next to its title)
    assert on_line in lines[line - 1] or on_line in lines[line]
    assert not Mechanism.objects.exists() and not DeadlineRule.objects.exists()


def test_yaml_on_key_is_refused_with_a_hint():
    with pytest.raises(RuleError, match="布尔值"):
        rules_parse(
            [{"code": "x", "title": "x", "obligors": "member_units", "schedule": {"kind": "once", True: 1}}],
            established_on=date(2020, 1, 1),
        )


def test_reminder_policy_is_read_and_checked():
    [spec] = rules_parse(
        [
            {
                "code": "x",
                "title": "测试",
                "obligors": "member_units",
                "schedule": {"kind": "annual", "dates": ["03-01"]},
                "reminders": {"before": [1, 5], "channels": ["inapp", "sms"], "escalate_after": 2},
            }
        ],
        established_on=date(2020, 1, 1),
    )
    assert spec.reminders["before"] == [5, 1] and spec.reminders["channels"] == ["inapp", "sms"]
    with pytest.raises(RuleError, match="reminders.channels"):
        rules_parse(
            [
                {
                    "code": "x",
                    "title": "测试",
                    "obligors": "member_units",
                    "schedule": {"kind": "annual", "dates": ["03-01"]},
                    "reminders": {"channels": ["fax"]},
                }
            ],
            established_on=date(2020, 1, 1),
        )
