"""Words the walk-through found wrong (issue 14, item 14): the doubled 季度 on 截止日期预览, ASCII colons
after form labels, the 会议与纪要 page's title, and the Swagger link in every role's sidebar."""

import re
from datetime import datetime
from zoneinfo import ZoneInfo

import time_machine

TZ = ZoneInfo("Asia/Shanghai")


def test_preview_does_not_say_quarter_twice(users, client_for):
    with time_machine.travel(datetime(2026, 12, 1, 10, tzinfo=TZ), tick=False):
        html = client_for(users["office"]).get("/deadlines/preview/").content.decode()
    assert "2026年第4季度工作情况" in html and "季度季度" not in html


def test_form_labels_end_with_the_full_width_colon(users, client_for):
    html = client_for(users["office"]).get("/deadlines/calendar/2027/").content.decode()
    labels = re.findall(r"<label[^>]*>([^<]*)</label>", html)
    assert "依据：" in labels and "法定节假日（放假的周一至周五）：" in labels
    assert not [label for label in labels if label.rstrip().endswith(":")]


def test_meetings_page_is_titled_as_its_heading(users, client_for):
    html = client_for(users["office"]).get("/meetings/").content.decode()
    assert "<title>会议与纪要 ·" in html and "<h1>会议与纪要</h1>" in html


def test_api_docs_link_only_for_the_office_and_administrators(users, client_for):
    for who in ("office", "deputy", "admin"):  # the deputy convener is also the office's director
        assert 'href="/api/docs/"' in client_for(users[who]).get("/mechanism/").content.decode(), who
    for who in ("convener", "liaison_mzt", "member_mzt", "city_guiyang", "outsider"):
        assert 'href="/api/docs/"' not in client_for(users[who]).get("/mechanism/").content.decode(), who
