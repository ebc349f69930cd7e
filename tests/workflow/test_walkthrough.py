"""What a walk-through of the item page found (issue 14): input lost, countdowns on finished work,
words that do not follow the state, refusals without reasons."""

import datetime as dt
import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from deadlines.ladder import countdown
from tasks import services as fs, services as ts
from tasks.models import Attachment
from tests.formhtml import forms_in

pytestmark = pytest.mark.django_db


def share(item, code):
    return item.assignments.exclude(status="rerouted").get(unit__code=code)


def work(a, user, text="已按要求办理。"):
    a = ts.assignment_claim(assignment=a, by=user)
    return fs.assignment_submit(assignment=a, result=text, version=a.version, by=user)


def finished_item(users, dispatch, **kw):
    item = dispatch(**kw)
    work(share(item, "mzt"), users["liaison_mzt"])
    work(share(item, "gat"), users["liaison_gat"])
    work(share(item, "zjt"), users["liaison_zjt"], "汇总")
    item.refresh_from_db()
    fs.item_accept(item=item, version=item.version, by=users["office"])
    item.refresh_from_db()
    return item


# --- 8. countdowns ---------------------------------------------------------------------------------


def test_countdown_words():
    today = dt.date(2026, 3, 2)
    assert countdown(dt.date(2026, 3, 18), today) == "剩余 16 天"
    assert countdown(today, today) == "今日到期"
    assert countdown(dt.date(2026, 2, 28), today) == "逾期 2 天"
    assert countdown(dt.date(2026, 3, 18), today, finished=True) == ""


def test_a_finished_item_does_not_count_down(users, dispatch, client_for):
    item = finished_item(users, dispatch)
    for who in ("office", "liaison_zjt", "liaison_mzt"):
        page = client_for(users[who]).get(f"/items/{item.pk}/").content.decode()
        assert not re.search(r"剩余 \d+ 天", page) and "已办结" in page, who
    queue = client_for(users["office"]).get("/items/queue/?status=all").content.decode()
    assert item.title in queue and not re.search(r"剩余 \d+ 天", queue)


def test_a_submitted_share_does_not_count_down_on_its_page(users, dispatch, client_for):
    item = dispatch(participating=("mzt",))
    work(share(item, "mzt"), users["liaison_mzt"])
    page = client_for(users["liaison_mzt"]).get(f"/items/{item.pk}/").content.decode()
    assert "剩余 16 天" not in page  # mzt's share is submitted; the lead's own date is not mzt's countdown


def test_due_today_says_due_today(users, dispatch, client_for, frozen):
    item = dispatch(due=frozen, contribution_due_date=frozen)
    c = client_for(users["liaison_zjt"])
    assert "今日到期" in c.get("/items/inbox/").content.decode()
    page = c.get(f"/items/{item.pk}/").content.decode()
    assert "今日到期" in page and "剩余 0 天" not in page
    queue = client_for(users["office"]).get("/items/queue/").content.decode()
    assert "今日到期" in queue and "剩余 0 天" not in queue


# --- 1. typed text and attachments in one form ------------------------------------------------------


def _claimed(users, dispatch, code="mzt"):
    item = dispatch()
    a = ts.assignment_claim(assignment=share(item, code), by=users[f"liaison_{code}"])
    return item, a


def pdf(name):
    return SimpleUploadedFile(name, b"%PDF-1.4 test")


def test_the_text_and_the_file_input_are_one_form(users, dispatch, client_for):
    item, a = _claimed(users, dispatch)
    page = client_for(users["liaison_mzt"]).get(f"/items/{item.pk}/").content.decode()
    [work] = [f for f in forms_in(page) if any(name == "result" for name, _ in f["fields"])]
    assert work["files"] == ["file"] and work["attrs"].get("enctype") == "multipart/form-data"


def test_uploading_keeps_the_typed_text(users, dispatch, client_for):
    item, a = _claimed(users, dispatch)
    c = client_for(users["liaison_mzt"])
    r = c.post(
        f"/items/tasks/{a.pk}/work/",
        {"result": "已指导 12 个社区。", "version": a.version, "upload": "", "file": [pdf("一.pdf"), pdf("二.pdf")]},
    )
    assert r.status_code == 302
    assert sorted(Attachment.objects.values_list("name", flat=True)) == ["一.pdf", "二.pdf"]
    a.refresh_from_db()
    assert a.result == "已指导 12 个社区。"
    page = c.get(r["Location"]).content.decode()
    assert "已指导 12 个社区。</textarea>" in page
    # A bad file: nothing written, the text is drawn again.
    r = c.post(
        f"/items/tasks/{a.pk}/work/",
        {"result": "又写了一段。", "version": a.version, "upload": "", "file": SimpleUploadedFile("x.exe", b"MZ")},
    )
    assert r.status_code == 400 and "又写了一段。</textarea>" in r.content.decode()
    assert Attachment.objects.count() == 2
    # Submitting with a file chosen attaches it and submits.
    r = c.post(
        f"/items/tasks/{a.pk}/work/", {"result": "最终反馈", "version": a.version, "submit": "", "file": pdf("三.pdf")}
    )
    assert r.status_code == 302
    a.refresh_from_db()
    assert a.status == "submitted" and a.result == "最终反馈"
    assert Attachment.objects.filter(assignment=a).count() == 3


# --- 12. words follow the state ---------------------------------------------------------------------


def test_the_lead_is_told_to_consolidate_only_while_it_has_to(users, dispatch, client_for):
    item = dispatch()
    c = client_for(users["liaison_zjt"])
    hint = "请在各单位反馈后汇总报送办公室"
    assert hint in c.get(f"/items/{item.pk}/").content.decode()
    work(share(item, "mzt"), users["liaison_mzt"])
    work(share(item, "gat"), users["liaison_gat"])
    work(share(item, "zjt"), users["liaison_zjt"], "汇总")
    page = c.get(f"/items/{item.pk}/").content.decode()
    assert hint not in page and "已汇总报送办公室" in page


# --- 4a. a colleague was faster; a double click ---------------------------------------------------


def test_a_colleague_submitted_first_the_page_says_so_and_keeps_the_text(users, dispatch, client_for):
    item, a = _claimed(users, dispatch)
    stale_version = a.version
    fs.assignment_submit(assignment=a, result="同事的反馈", version=a.version, by=users["member_mzt"])
    r = client_for(users["liaison_mzt"]).post(
        f"/items/tasks/{a.pk}/work/", {"result": "我写的反馈", "version": stale_version, "submit": ""}
    )
    page = r.content.decode()
    assert r.status_code == 409
    assert "本单位已由方海于" in page and "我写的反馈" in page  # who, and the typed text kept
    assert 'name="submit"' not in page  # the page shows the current state: no form to submit again
    a.refresh_from_db()
    assert a.result == "同事的反馈"


def test_a_double_click_on_submit_says_it_succeeded(users, dispatch, client_for):
    item, a = _claimed(users, dispatch)
    c = client_for(users["liaison_mzt"])
    data = {"result": "反馈", "version": a.version, "submit": ""}
    assert c.post(f"/items/tasks/{a.pk}/work/", data).status_code == 302
    r = c.post(f"/items/tasks/{a.pk}/work/", data, follow=True)
    assert r.status_code == 200 and "已提交反馈" in r.content.decode() and "已被他人修改" not in r.content.decode()


def test_a_double_click_on_accept_says_it_succeeded(users, dispatch, client_for):
    item = dispatch()
    work(share(item, "mzt"), users["liaison_mzt"])
    work(share(item, "gat"), users["liaison_gat"])
    work(share(item, "zjt"), users["liaison_zjt"], "汇总")
    item.refresh_from_db()
    c = client_for(users["office"])
    data = {"version": item.version}
    assert c.post(f"/items/{item.pk}/accept/", data).status_code == 302
    r = c.post(f"/items/{item.pk}/accept/", data, follow=True)
    page = r.content.decode()
    assert r.status_code == 200 and "已办结" in page and "已被他人修改" not in page


# --- 9. decisions carry their reasons ---------------------------------------------------------------


def _extension(users, dispatch, new=dt.date(2026, 3, 27)):
    item = dispatch()
    lead = ts.assignment_claim(assignment=share(item, "zjt"), by=users["liaison_zjt"])
    return item, ts.extension_request(assignment=lead, reason="需要补充调研", new_due_date=new, by=users["liaison_zjt"])


def test_a_refusal_needs_a_reason(users, dispatch, client_for):
    from core.errors import DomainError
    from tasks.models import UnitRequest

    item, req = _extension(users, dispatch)
    with pytest.raises(DomainError, match="请填写不同意的理由"):
        ts.extension_decide(request=req, approve=False, note="  ", by=users["convener"])
    r = client_for(users["convener"]).post(f"/items/requests/{req.pk}/decide/", {"decision": "refuse", "note": ""})
    assert r.status_code == 400 and "请填写不同意的理由" in r.content.decode()
    req.refresh_from_db()
    assert req.status == UnitRequest.Status.PENDING
    mzt = ts.assignment_claim(assignment=share(item, "mzt"), by=users["liaison_mzt"])
    ret = ts.return_request(assignment=mzt, reason="非本单位职责", by=users["liaison_mzt"])
    with pytest.raises(DomainError, match="请填写不同意的理由"):
        fs.return_decide(request=ret, approve=False, note="", by=users["convener"])
    fs.return_decide(request=ret, approve=False, note="属于社区治理，请继续办理", by=users["convener"])
    ret.refresh_from_db()
    assert ret.status == UnitRequest.Status.REFUSED and ret.decision_note == "属于社区治理，请继续办理"


def test_a_partial_extension_grants_another_date_and_records_it(users, dispatch, client_for):
    item, req = _extension(users, dispatch)
    c = client_for(users["convener"])
    r = c.post(
        f"/items/requests/{req.pk}/decide/", {"decision": "approve", "note": "给一周", "granted_due_date": "2026-03-25"}
    )
    assert r.status_code == 302
    req.refresh_from_db()
    lead = share(item, "zjt")
    item.refresh_from_db()
    assert req.requested_due_date == dt.date(2026, 3, 27) and req.granted_due_date == dt.date(2026, 3, 25)
    assert lead.due_date == item.due_date == dt.date(2026, 3, 25)
    page = c.get(f"/items/{item.pk}/").content.decode()
    assert "同意延至 2026-03-25" in page
    # A granted date not after the current one is refused with a message.
    item2, req2 = _extension(users, dispatch)
    r = c.post(
        f"/items/requests/{req2.pk}/decide/", {"decision": "approve", "note": "", "granted_due_date": "2026-03-19"}
    )
    assert r.status_code == 400 and "须晚于现时限" in r.content.decode()


def test_the_reason_for_revision_is_beside_the_leads_form(users, dispatch, client_for):
    item = dispatch()
    work(share(item, "mzt"), users["liaison_mzt"])
    work(share(item, "gat"), users["liaison_gat"])
    work(share(item, "zjt"), users["liaison_zjt"], "汇总")
    item.refresh_from_db()
    fs.item_return_for_revision(item=item, reason="请补充改造小区的数量", version=item.version, by=users["office"])
    lead = share(item, "zjt")
    page = client_for(users["liaison_zjt"]).get(f"/items/{item.pk}/").content.decode()
    section = page[page.index(f'id="task-{lead.pk}"') :]
    section = section[: section.index("</section>")]
    assert "请补充改造小区的数量" in section and 'name="result"' in section
