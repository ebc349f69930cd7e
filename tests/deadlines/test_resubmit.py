"""Issue 14 on the report page: a returned report starts from the earlier text and files; a colleague's
earlier 报送, a race, and one's own double click are each said plainly, and nothing typed is lost."""

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile

from core.errors import DomainError
from core.models import AuditEntry
from deadlines.models import Attachment
from deadlines.services import obligations as obligation_services
from deadlines.services.obligations import obligation_decide, obligation_submit
from tests.deadlines.test_submission_and_pages import at, obligations  # noqa: F401 - fixture
from tests.formhtml import forms_in

pytestmark = pytest.mark.django_db


def url(o):
    return f"/deadlines/obligations/{o.pk}/"


def test_a_returned_report_starts_from_the_earlier_text_and_keeps_its_files(users, obligations, client_for):
    o = obligations["mzt"]
    liaison = client_for(users["liaison_mzt"])
    with time_machine.travel(at(2024, 10, 8), tick=False):
        liaison.post(
            url(o),
            {
                "action": "submit",
                "text": "第三季度工作情况：第一部分。",
                "files": [SimpleUploadedFile("季度报告.pdf", b"%PDF-1.4 report")],
            },
        )
        obligation_decide(obligation=o, accept=False, reason="缺少第二部分", by=users["office"])
        page = liaison.get(url(o)).content.decode()
    [form] = [f for f in forms_in(page) if ("action", "submit") in f["fields"]]
    fields = dict(form["fields"])
    assert fields["text"] == "第三季度工作情况：第一部分。"  # the earlier text to revise, not an empty box
    earlier = Attachment.objects.get()
    assert ("keep", str(earlier.pk)) in form["fields"]  # the earlier file, ticked to be carried over
    with time_machine.travel(at(2024, 10, 9), tick=False):
        r = liaison.post(
            url(o),
            {
                "action": "submit",
                "text": fields["text"] + "第二部分。",
                "keep": [str(earlier.pk)],
                "files": [SimpleUploadedFile("补充.pdf", b"%PDF-1.4 more")],
            },
        )
    assert r.status_code == 302
    latest = o.submissions.order_by("-submitted_at").first()
    assert sorted(a.name for a in latest.attachments.all()) == ["季度报告.pdf", "补充.pdf"]
    carried = latest.attachments.get(name="季度报告.pdf")
    assert carried.file.open("rb").read() == b"%PDF-1.4 report"
    # A file of another obligation cannot be "kept" into this one.
    with pytest.raises(DomainError, match="不属于"):
        obligation_submit(obligation=obligations["zjt"], text="x", keep=[carried.pk], by=users["liaison_zjt"])


def test_a_colleague_submitted_first(users, obligations, client_for):
    o = obligations["mzt"]
    with time_machine.travel(at(2024, 10, 8), tick=False):
        obligation_submit(obligation=o, text="方海报送的内容", by=users["member_mzt"])
        r = client_for(users["liaison_mzt"]).post(url(o), {"action": "submit", "text": "我写的季度情况"})
    page = r.content.decode()
    assert r.status_code == 409
    assert "方海" in page and "已报送" in page and "我写的季度情况" in page
    assert 'value="submit"' not in page and "已报送待接收" in page


def test_the_loser_of_a_race_sees_the_current_state(users, obligations, client_for, monkeypatch):
    o = obligations["mzt"]
    real = obligation_submit

    def colleague_first(**kw):  # the colleague's 报送 commits while this request is on its way
        real(obligation=o, text="同事先报送", by=users["member_mzt"])
        return real(**kw)

    monkeypatch.setattr(obligation_services, "obligation_submit", colleague_first)
    with time_machine.travel(at(2024, 10, 8), tick=False):
        r = client_for(users["liaison_mzt"]).post(url(o), {"action": "submit", "text": "我写的季度情况"})
    page = r.content.decode()
    assert r.status_code == 409 and "我写的季度情况" in page and "方海" in page
    assert 'value="submit"' not in page and "已报送待接收" in page


def test_a_double_click_on_submit_says_it_succeeded(users, obligations, client_for):
    o = obligations["mzt"]
    c = client_for(users["liaison_mzt"])
    with time_machine.travel(at(2024, 10, 8), tick=False):
        assert c.post(url(o), {"action": "submit", "text": "季度情况"}).status_code == 302
        count = AuditEntry.objects.count()
        r = c.post(url(o), {"action": "submit", "text": "季度情况"}, follow=True)
    assert r.status_code == 200 and "已报送" in r.content.decode() and "页面不存在" not in r.content.decode()
    assert AuditEntry.objects.count() == count and o.submissions.count() == 1
