"""One upload rule for the whole product (core.uploads): the same size limit and type list everywhere,
stated on every upload form; file names limited in bytes on disk, not in characters."""

import datetime as dt
import os
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile

from core.errors import DomainError
from core.uploads import NAME_MAX, UPLOAD_MAX_BYTES, storage_name, upload_check, upload_rules_text

pytestmark = pytest.mark.django_db

LONG_CHINESE = (
    "贵州省绿色社区创建行动联席会议成员单位第三季度工作情况报送材料" * 3 + "附件一至附件三汇总说明及佐证照片"
)[:100]  # 100 characters
PDF = b"%PDF-1.7 test"
TZ = ZoneInfo("Asia/Shanghai")


def test_the_long_name_is_a_hundred_chinese_characters_over_255_bytes():
    assert len(LONG_CHINESE) == 100 and len((LONG_CHINESE + ".pdf").encode()) > 255


def test_storage_name_keeps_the_extension_and_fits_in_bytes():
    name = storage_name(LONG_CHINESE + ".pdf")
    assert name.endswith(".pdf") and len(name.encode()) <= 150 and LONG_CHINESE.startswith(name[:-4])
    assert storage_name("报告.pdf") == "报告.pdf"
    # cut at a character boundary, never inside a three-byte character
    assert storage_name("字" * 60 + ".docx", max_bytes=20) == "字" * 5 + ".docx"


def test_names_are_kept_as_typed_up_to_the_limit_and_refused_beyond_it():
    assert upload_check(SimpleUploadedFile(LONG_CHINESE + ".pdf", PDF)) == LONG_CHINESE + ".pdf"
    with pytest.raises(DomainError, match=f"文件名不能超过 {NAME_MAX} 字"):
        upload_check(SimpleUploadedFile("名" * NAME_MAX + ".pdf", PDF))
    # control characters (a NUL among them) are never what a person typed: dropped, not stored
    assert upload_check(SimpleUploadedFile("报\x00告\x07.pdf", PDF)) == "报告.pdf"


def test_one_limit_for_every_kind_of_upload():
    just_over = SimpleUploadedFile("大文件.pdf", PDF + b"0" * (UPLOAD_MAX_BYTES - len(PDF) + 1))
    with pytest.raises(DomainError, match=f"不能超过 {UPLOAD_MAX_BYTES // (1024 * 1024)} MB"):
        upload_check(just_over)
    assert upload_check(SimpleUploadedFile("方案.wps", b"anything")) == "方案.wps"


# --- the 100-character Chinese name through every upload (it answered 500) -------------------------------


@pytest.fixture
def frozen():
    with time_machine.travel(dt.datetime(2026, 3, 2, 9, 0, tzinfo=TZ), tick=False):
        yield


@pytest.fixture
def task(users, client_for, frozen):
    from members.models import MemberUnit
    from tasks import services as flow_services
    from tasks.models import Assignment

    unit = MemberUnit.objects.get
    item = flow_services.item_dispatch(
        by=users["office"],
        title="推进老旧小区绿色化改造",
        content="请按分工办理。",
        source="ad_hoc",
        lead_units=[unit(code="mzt")],
        participating_units=[],
        due_date=dt.date(2026, 3, 20),
    )
    a = Assignment.objects.get(item=item, unit__code="mzt")
    client = client_for(users["liaison_mzt"])
    client.post(f"/items/tasks/{a.pk}/claim/")
    return client, a


def test_item_attachment_with_a_long_chinese_name(task, tmp_path, settings):
    settings.MEDIA_ROOT = tmp_path
    client, a = task
    page = client.get(f"/items/{a.item_id}/").content.decode()
    assert upload_rules_text() in page
    response = client.post(f"/items/tasks/{a.pk}/attach/", {"file": SimpleUploadedFile(LONG_CHINESE + ".pdf", PDF)})
    assert response.status_code in (200, 302)
    att = a.attachments.get()
    assert att.name == LONG_CHINESE + ".pdf"
    assert att.file.name.endswith(".pdf") and len(os.path.basename(att.file.name).encode()) <= 255
    download = client.get(f"/items/attachments/{att.pk}/")
    assert download.status_code == 200 and b"".join(download.streaming_content) == PDF


def test_report_attachment_with_a_long_chinese_name(users, client_for, tmp_path, settings):
    from deadlines.models import Obligation
    from deadlines.services.obligations import obligations_generate

    settings.MEDIA_ROOT = tmp_path
    with time_machine.travel(dt.datetime(2024, 9, 20, 10, tzinfo=TZ), tick=False):
        obligations_generate()
        o = Obligation.objects.get(member_unit__code="mzt", period="2024Q3")
    # the report's window opens when the quarter has ended
    with time_machine.travel(dt.datetime(2024, 10, 8, 10, tzinfo=TZ), tick=False):
        client = client_for(users["liaison_mzt"])
        assert upload_rules_text() in client.get(f"/deadlines/obligations/{o.pk}/").content.decode()
        response = client.post(
            f"/deadlines/obligations/{o.pk}/",
            {
                "action": "submit",
                "text": "本季度工作情况见附件。",
                "files": [SimpleUploadedFile(LONG_CHINESE + ".pdf", PDF)],
            },
        )
    assert response.status_code in (200, 302)
    attachment = o.submissions.get().attachments.get()
    assert attachment.name == LONG_CHINESE + ".pdf"
    assert len(os.path.basename(attachment.file.name).encode()) <= 255


def test_evidence_with_a_long_chinese_name_and_the_rule_on_the_form(users, client_for, tmp_path, settings):
    from communities.services import assessment_start, community_create, community_join
    from members.models import ReportingUnit

    settings.MEDIA_ROOT = tmp_path
    city = users["city_guiyang"]
    community = community_join(
        community=community_create(
            reporting_unit=ReportingUnit.objects.get(code="guiyang"), name="中华南路社区", by=city
        ),
        by=city,
    )
    a = assessment_start(community=community, by=city)
    client = client_for(city)
    assert upload_rules_text() in client.get(f"/communities/assessments/{a.pk}/").content.decode()
    client.post(f"/communities/assessments/{a.pk}/evidence/", {"file": SimpleUploadedFile(LONG_CHINESE + ".pdf", PDF)})
    assert a.evidence.get().original_name == LONG_CHINESE + ".pdf"
