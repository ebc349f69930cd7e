"""Every page × role: who sees it (200), who may see the object but not act (403), who does not see it (404)."""

import pytest
from django.urls import reverse

from meetings.models import Meeting, MembershipChange, Minutes
from meetings.services.meetings import meeting_decide
from meetings.services.membership import change_check
from meetings.services.minutes import minutes_review
from members.models import Person, Role, RoleAssignment

ROLES = ["convener", "deputy", "office", "liaison_mzt", "liaison_zjt", "liaison_gat", "city_guiyang", "outsider"]


O = ("convener", "deputy", "office")
OFFICE = ("deputy", "office")  # the deputy convener is also the office's director (members.dispatch)
ALL_UNITS = ("liaison_mzt", "liaison_zjt", "liaison_gat")


def expect(ok=(), forbidden=()):
    return {r: 200 if r in ok else 403 if r in forbidden else 404 for r in ROLES}


PAGES = {
    "list": (lambda w: reverse("meetings:list"), expect(O + ALL_UNITS)),
    "propose": (lambda w: reverse("meetings:propose"), expect(OFFICE + ALL_UNITS)),
    "detail_convened": (lambda w: reverse("meetings:detail", args=[w["draft"].meeting_id]), expect(O + ALL_UNITS)),
    "detail_not_convened": (lambda w: reverse("meetings:detail", args=[w["proposed"].pk]), expect(O)),
    "schedule": (
        lambda w: reverse("meetings:schedule", args=[w["proposed"].pk]),
        expect(OFFICE, forbidden=("convener",)),
    ),
    "attendance": (
        lambda w: reverse("meetings:attendance", args=[w["draft"].meeting_id]),
        expect(OFFICE, forbidden=("convener", "liaison_mzt", "liaison_zjt", "liaison_gat")),
    ),
    "draft_minutes": (
        lambda w: reverse("meetings:minutes", args=[w["draft"].pk]),
        expect(O + ("liaison_mzt", "liaison_zjt")),
    ),
    "draft_minutes_print": (
        lambda w: reverse("meetings:minutes_print", args=[w["draft"].pk]),
        expect(O + ("liaison_mzt", "liaison_zjt")),
    ),
    "draft_minutes_docx": (
        lambda w: reverse("meetings:minutes_docx", args=[w["draft"].pk]),
        expect(O + ("liaison_mzt", "liaison_zjt")),
    ),
    "issued_minutes": (lambda w: reverse("meetings:minutes", args=[w["issued"].pk]), expect(O + ALL_UNITS)),
    "minutes_edit": (
        lambda w: reverse("meetings:minutes_edit", args=[w["draft"].pk]),
        expect(forbidden=("convener", "liaison_mzt", "liaison_zjt")) | {"office": 302, "deputy": 302},
    ),
    "notices": (lambda w: reverse("meetings:notices"), expect(O + ALL_UNITS)),
    # Units see the list of the major matters they raised themselves (issue 18), and may raise one.
    "escalations": (lambda w: reverse("meetings:escalations"), expect(O + ALL_UNITS)),
    "escalation_raise": (lambda w: reverse("meetings:escalation_raise"), expect(OFFICE + ALL_UNITS)),
    "escalation": (lambda w: reverse("meetings:escalation", args=[w["escalation"].pk]), expect(O)),
    "changes": (lambda w: reverse("meetings:changes"), expect(O + ALL_UNITS)),
    "change": (lambda w: reverse("meetings:change", args=[w["change"].pk]), expect(O + ("liaison_mzt",))),
    "change_propose": (lambda w: reverse("meetings:change_propose"), expect(ALL_UNITS)),
    "change_unit_add": (lambda w: reverse("meetings:change_unit_add"), expect(OFFICE)),
    "backup": (lambda w: reverse("meetings:backup"), expect(ALL_UNITS)),
}


@pytest.mark.parametrize("page", PAGES)
def test_every_page_for_every_role(world, users, client_for, page):
    url_of, expected = PAGES[page]
    url = url_of(world)
    got = {role: client_for(users[role]).get(url).status_code for role in ROLES}
    assert got == expected


def test_anonymous_is_sent_to_sign_in(world, client):
    response = client.get(reverse("meetings:minutes", args=[world["draft"].pk]))
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


@pytest.mark.parametrize(
    "role,status",
    [
        ("convener", 302),
        ("deputy", 302),
        ("office", 403),
        ("liaison_mzt", 404),
        ("city_guiyang", 404),
        ("outsider", 404),
    ],
)
def test_only_convener_or_deputy_approve_a_meeting(world, users, client_for, role, status):
    meeting = world["proposed"]
    response = client_for(users[role]).post(
        reverse("meetings:decide", args=[meeting.pk]), {"decision": "approve", "version": meeting.version}
    )
    assert response.status_code == status
    meeting.refresh_from_db()
    assert meeting.status == (Meeting.Status.APPROVED if status == 302 else Meeting.Status.PROPOSED)


@pytest.mark.parametrize(
    "role,status",
    [("liaison_mzt", 302), ("liaison_zjt", 302), ("liaison_gat", 404), ("office", 404), ("outsider", 404)],
)
def test_only_attending_units_review_through_the_page(world, users, client_for, role, status, unit):
    minutes = world["draft"]
    code = role.split("_")[-1] if role.startswith("liaison") else "mzt"
    response = client_for(users[role]).post(
        reverse("meetings:minutes_review", args=[minutes.pk]), {"unit": unit(code).pk, "decision": "agree"}
    )
    assert response.status_code == status
    minutes.refresh_from_db()
    assert minutes.reviews.filter(round=minutes.round).count() == (1 if status == 302 else 0)


def test_review_asking_for_changes_without_a_comment_is_refused_on_the_page(world, users, client_for, unit):
    minutes = world["draft"]
    response = client_for(users["liaison_zjt"]).post(
        reverse("meetings:minutes_review", args=[minutes.pk]),
        {"unit": unit("zjt").pk, "decision": "changes", "comment": ""},
        follow=True,
    )
    assert "请填写修改意见" in response.content.decode() and not minutes.reviews.filter(unit__code="zjt").exists()


def test_a_unit_cannot_propose_changes_to_another_units_members(world, users, client_for):
    zjt = RoleAssignment.objects.get(person__name="蔡立智", role=Role.LIAISON)
    response = client_for(users["liaison_mzt"]).post(
        reverse("meetings:change_propose"),
        {"assignment": zjt.pk, "new_person_name": "某人", "effective_date": "2026-05-01", "reason": "调整"},
    )
    assert response.status_code == 404
    assert MembershipChange.objects.filter(assignment=zjt).count() == 0


@pytest.mark.parametrize(
    "role,action,status",
    [
        ("office", "check", 302),
        ("convener", "check", 403),
        ("liaison_mzt", "check", 403),
        ("liaison_zjt", "check", 404),
        ("convener", "confirm", 302),
        ("office", "confirm", 403),
    ],
)
def test_membership_change_actions_by_role(world, users, client_for, role, action, status):
    change = world["change"]
    if action == "confirm":
        change_check(change=change, passed=True, by=users["office"])
        change.refresh_from_db()
    response = client_for(users[role]).post(
        reverse("meetings:change_act", args=[change.pk, action]), {"decision": "yes", "version": change.version}
    )
    assert response.status_code == status


@pytest.mark.parametrize(
    "role,status", [("office", 302), ("convener", 403), ("liaison_mzt", 403), ("city_guiyang", 403)]
)
def test_only_the_office_sends_a_progress_notice(world, users, client_for, role, status):
    response = client_for(users[role]).post(reverse("meetings:notice_send"))
    assert response.status_code == status


@pytest.mark.parametrize(
    "role,action,status", [("office", "submit", 302), ("convener", "submit", 403), ("liaison_zjt", "submit", 404)]
)
def test_escalation_actions_by_role(world, users, client_for, role, action, status):
    e = world["escalation"]
    response = client_for(users[role]).post(
        reverse("meetings:escalation_act", args=[e.pk, action]), {"report": "请示", "version": e.version}
    )
    assert response.status_code == status


def test_pages_render_the_meeting_the_minutes_and_the_print_layout(world, users, client_for):
    office = client_for(users["office"])
    issued = world["issued"]
    page = office.get(reverse("meetings:minutes", args=[issued.pk])).content.decode()
    assert "申请省级支持" in page and "办理中" in page and "重大事项" in page
    printed = office.get(reverse("meetings:minutes_print", args=[issued.pk])).content.decode()
    assert (
        "黔绿社联〔2026〕1号" in printed
        and '<span class="num">一、</span>申请省级支持由省住房城乡建设厅牵头' in printed
    )
    assert "出席单位：" in printed and "minutes-print.css" in printed
    agenda = office.get(reverse("meetings:detail", args=[world["proposed"].pk])).content.decode()
    assert "听取上次会议议定事项落实情况：黔绿社联〔2026〕1号 第一条" in agenda
    assert Minutes.objects.get(pk=world["draft"].pk).status == Minutes.Status.CONSULTING


@pytest.mark.parametrize(
    "role,status", [("office", 302), ("liaison_mzt", 403), ("liaison_gat", 404), ("convener", 403), ("outsider", 404)]
)
def test_only_the_office_issues_minutes(world, users, client_for, role, status, unit):
    minutes = world["draft"]
    for code, who in (("mzt", "liaison_mzt"), ("zjt", "liaison_zjt")):
        minutes_review(minutes=minutes, unit=unit(code), agree=True, by=users[who])
    minutes.refresh_from_db()
    response = client_for(users[role]).post(
        reverse("meetings:minutes_issue", args=[minutes.pk]),
        {"doc_number": "黔绿社联〔2026〕5号", "version": minutes.version},
    )
    assert response.status_code == status
    minutes.refresh_from_db()
    assert (minutes.status == Minutes.Status.ISSUED) == (status == 302)


@pytest.mark.parametrize("role,status", [("office", 302), ("convener", 403), ("liaison_mzt", 404)])
def test_only_the_office_schedules(world, users, client_for, role, status):
    meeting = world["proposed"]
    meeting_decide(meeting=meeting, approve=True, by=users["convener"])
    meeting.refresh_from_db()
    response = client_for(users[role]).post(
        reverse("meetings:schedule", args=[meeting.pk]),
        {
            "starts_at": "2026-03-20T09:00",
            "place": "会议室",
            "chair": Person.objects.get(name="陈维明").pk,
            "units": [m.pk for m in meeting.mechanism.units.filter(code__in=["mzt", "gat"])],
            "experts": "李教授，贵州大学",
            "version": meeting.version,
        },
    )
    assert response.status_code == status
    meeting.refresh_from_db()
    assert (meeting.status == Meeting.Status.SCHEDULED) == (status == 302)
    if status == 302:
        assert meeting.guests.get().organisation == "贵州大学"


def test_schedule_in_the_past_is_refused_with_a_message(world, users, client_for):
    meeting = world["proposed"]
    meeting_decide(meeting=meeting, approve=True, by=users["convener"])
    response = client_for(users["office"]).post(
        reverse("meetings:schedule", args=[meeting.pk]),
        {
            "starts_at": "2026-01-20T09:00",
            "place": "会议室",
            "chair": Person.objects.get(name="陈维明").pk,
            "units": [meeting.mechanism.units.get(code="mzt").pk],
        },
    )
    assert response.status_code == 200 and "会议时间必须晚于现在" in response.content.decode()
    meeting.refresh_from_db()
    assert meeting.status == Meeting.Status.APPROVED and not meeting.meeting_units.exists()


def test_minutes_as_a_word_document_in_the_official_layout(world, users, client_for):
    import io

    from docx import Document
    from docx.shared import Pt

    issued = world["issued"]
    response = client_for(users["liaison_mzt"]).get(reverse("meetings:minutes_docx", args=[issued.pk]))
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats-officedocument.wordprocessingml")
    assert "filename*=UTF-8''" in response["Content-Disposition"] and ".docx" in response["Content-Disposition"]
    doc = Document(io.BytesIO(response.content))
    texts = [p.text for p in doc.paragraphs]
    assert texts[0].endswith("会议纪要") and texts[1] == "黔绿社联〔2026〕1号"  # 版头, 文号
    title = next(p for p in doc.paragraphs if p.text == issued.title)
    assert title.runs[0].font.size == Pt(22)  # 2号 title
    clause = next(p for p in doc.paragraphs if p.text.startswith("一、申请省级支持由省住房城乡建设厅牵头"))
    assert clause.runs[0].font.size == Pt(16) and clause.runs[0].font.name == "仿宋_GB2312"  # 3号 仿宋 body
    assert any(t.startswith("出席单位：") for t in texts)
    section = doc.sections[0]
    assert round(section.top_margin.mm) == 37 and round(section.left_margin.mm) == 28
    footer_xml = section.footer.paragraphs[0]._p.xml
    assert "PAGE" in footer_xml and "— " in section.footer.paragraphs[0].text  # page numbers
    assert (
        client_for(users["liaison_gat"]).get(reverse("meetings:minutes_docx", args=[world["draft"].pk])).status_code
        == 404
    )
