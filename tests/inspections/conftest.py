from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from members.models import MemberUnit, ReportingUnit

# A 1 × 1 JPEG, as a phone's camera would hand over (only bigger).
PHOTO = bytes.fromhex(
    "ffd8ffe000104a46494600010101004800480000ffdb004300ffffffffffffffffffffffffffffffffffffffffffffffffffffff"
    "ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffc2000b08000100010101"
    "1100ffc40014100100000000000000000000000000000000ffda0008010100013f10ffd9"
)


def photo(name="现场照片.jpg"):
    return SimpleUploadedFile(name, PHOTO, content_type="image/jpeg")


def unit(code):
    return MemberUnit.objects.get(code=code)


@pytest.fixture
def guiyang(mechanism):
    return ReportingUnit.objects.get(code="guiyang")


@pytest.fixture
def inspection(users, guiyang, settings, tmp_path):
    from inspections.services import inspection_plan

    settings.MEDIA_ROOT = tmp_path
    today = timezone.localdate()
    return inspection_plan(
        title="2026年贵阳市绿色社区创建督导检查",
        starts_on=today,
        ends_on=today + timedelta(days=1),
        team=[users["liaison_gat"]],
        leader=users["liaison_gat"],
        reporting_unit=guiyang,
        by=users["office"],
    )
