"""Another app's subjects (e.g. the supervised items of `tasks`) plug into the same engine through
`register_source`, without deadlines importing that app."""

from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine

from core.models import AuditEntry
from deadlines.models import Message
from deadlines.reminders import Reminder, register_source, reminders_plan, unregister_source

TZ = ZoneInfo("Asia/Shanghai")


class ItemSource:
    """What tasks/ would register: its owed items as Reminders."""

    name = "item"

    def __init__(self, users):
        self.items = {
            7: Reminder(
                subject="item:7",
                title="督办事项：老旧小区改造进展",
                due_on=date(2024, 10, 8),
                unit_label="省民政厅",
                recipients=[users["liaison_mzt"]],
                escalate_to=[users["convener"]],
                url="/tasks/items/7/",
                policy={"before": [2], "on_due": True, "after_every": 1, "escalate_after": 2, "channels": ["inapp"]},
            )
        }

    def owed(self, *, until, mechanism_ids):
        return [r for r in self.items.values() if r.due_on <= until]

    def get(self, subject, *, mechanism_ids):
        return self.items.get(int(subject.split(":")[1]))


@pytest.fixture
def item_source(users):
    source = ItemSource(users)
    register_source(source)
    yield source
    unregister_source("item")


def test_items_are_reminded_escalated_and_pressed_like_obligations(users, item_source, client_for):
    for day in (date(2024, 9, 29), date(2024, 10, 8), date(2024, 10, 9), date(2024, 10, 10)):
        with time_machine.travel(datetime.combine(day, datetime.min.time()).replace(hour=9, tzinfo=TZ), tick=False):
            reminders_plan()
    kinds = sorted(Message.objects.filter(subject="item:7").values_list("kind", flat=True))
    # 29 Sep 2024 (a make-up Sunday) is 2 working days before; escalation once, to the convener
    assert kinds == ["before:2", "due", "escalation", "overdue:1", "overdue:2"]
    assert Message.objects.get(subject="item:7", kind="escalation").recipient == users["convener"]
    with time_machine.travel(datetime(2024, 10, 10, 10, tzinfo=TZ), tick=False):
        board = client_for(users["convener"]).get("/deadlines/overdue/").content.decode()
        assert "督办事项：老旧小区改造进展" in board and "/tasks/items/7/" in board
        client_for(users["office"]).post("/deadlines/press/", {"subject": "item:7"})
    assert Message.objects.filter(subject="item:7", kind__startswith="press:").count() == 1
    assert AuditEntry.objects.filter(action="subject.press").count() == 1
    assert client_for(users["office"]).post("/deadlines/press/", {"subject": "nothing:1"}).status_code == 404
    assert client_for(users["office"]).post("/deadlines/press/", {"subject": "obligation:x'"}).status_code == 404
