"""Uploads left behind by rolled-back transactions are moved aside, never files a row refers to."""

import datetime as dt
import os

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.utils import timezone

from core.errors import DomainError
from core.files import QUARANTINE, orphan_files_sweep
from tasks import services as fs, services as ts
from tasks.models import Attachment

pytestmark = pytest.mark.django_db

DAY = 24 * 3600


def _age(path, days):
    t = timezone.now().timestamp() - days * DAY
    os.utime(path, (t, t))


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path / "media")
    return tmp_path / "media"


@pytest.fixture
def attachment(users, media):
    from members.models import MemberUnit

    item = fs.item_dispatch(
        by=users["office"],
        title="整改",
        content="c",
        source="ad_hoc",
        lead_units=[MemberUnit.objects.get(code="mzt")],
        participating_units=[],
        due_date=timezone.localdate() + dt.timedelta(days=20),
    )
    task = ts.assignment_claim(assignment=item.assignments.get(), by=users["liaison_mzt"])
    ts.attachment_add(assignment=task, upload=SimpleUploadedFile("方案.pdf", b"%PDF-1.4 ok"), by=users["liaison_mzt"])
    return Attachment.objects.get(), task, users["liaison_mzt"]


def test_only_old_unreferenced_files_go_to_quarantine_and_come_back_by_name(attachment, media):
    att, task, liaison = attachment
    kept = media / att.file.name
    _age(kept, 10)
    # A rolled-back upload: the service refuses a stale version after the file was stored.
    orphan = media / "items" / str(att.item_id) / "lost.pdf"
    orphan.write_bytes(b"%PDF-1.4 lost")
    _age(orphan, 2)
    fresh = media / "items" / str(att.item_id) / "uploading.pdf"
    fresh.write_bytes(b"%PDF-1.4 in flight")

    report = orphan_files_sweep()

    assert (report.moved, report.purged) == (1, 0)
    assert kept.exists() and fresh.exists() and not orphan.exists()
    moved = media / QUARANTINE / timezone.localdate().isoformat() / "items" / str(att.item_id) / "lost.pdf"
    assert moved.read_bytes() == b"%PDF-1.4 lost"
    assert att.file.open("rb").read() == b"%PDF-1.4 ok"  # the referenced file is served as before


def test_dry_run_moves_nothing_and_old_quarantine_days_are_purged(attachment, media, capsys):
    att, _, _ = attachment
    orphan = media / "communities" / "x.png"
    orphan.parent.mkdir(parents=True)
    orphan.write_bytes(b"\x89PNG")
    _age(orphan, 3)
    old_day = media / QUARANTINE / (timezone.localdate() - dt.timedelta(days=31)).isoformat() / "items" / "a.pdf"
    old_day.parent.mkdir(parents=True)
    old_day.write_bytes(b"x")
    recent_day = media / QUARANTINE / (timezone.localdate() - dt.timedelta(days=5)).isoformat() / "b.pdf"
    recent_day.parent.mkdir(parents=True)
    recent_day.write_bytes(b"y")

    call_command("orphan_files", "--dry-run")
    assert "将移入隔离目录" in capsys.readouterr().out
    assert orphan.exists() and old_day.exists()

    report = orphan_files_sweep()
    assert (report.moved, report.purged) == (1, 1)
    assert not old_day.exists() and recent_day.exists() and not orphan.exists()
    assert (media / att.file.name).exists()


def test_a_refused_upload_writes_nothing_to_disk(attachment, media):
    att, task, liaison = attachment
    before = {p for p in media.rglob("*") if p.is_file()}
    with pytest.raises(DomainError):
        ts.attachment_add(assignment=task, upload=SimpleUploadedFile("x.exe", b"MZ"), by=liaison)
    assert Attachment.objects.count() == 1
    assert {p for p in media.rglob("*") if p.is_file()} == before
