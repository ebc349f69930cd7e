"""The backup-and-restore drill (manage.py backup_drill) on the real PostgreSQL."""

import subprocess
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from members.models import Person, User


@pytest.mark.services
@pytest.mark.django_db(transaction=True)  # pg_dump reads what is committed
def test_the_drill_restores_the_same_data_and_the_product_comes_up(
    require_postgres, mechanism, users, settings, tmp_path
):
    settings.MEDIA_ROOT = str(tmp_path / "media")
    upload = Path(settings.MEDIA_ROOT, "obligations", "2026", "报告.pdf")
    upload.parent.mkdir(parents=True)
    upload.write_bytes(b"%PDF-1.4 report")
    out = StringIO()
    call_command("backup_drill", output=str(tmp_path / "backups"), stdout=out)
    report = out.getvalue()
    assert "备份演练通过" in report and "1 个上传文件" in report and "打开页面成功" in report
    assert "恢复后完全一致" in report and Person.objects.count() > 0
    dumps = list((tmp_path / "backups").glob("*.dump"))
    assert len(dumps) == 1 and list((tmp_path / "backups").glob("media-*.tar.gz"))
    # The restored database was dropped after the check.
    listed = subprocess.run(
        ["psql", "-h", "127.0.0.1", "-U", "postgres", "-Atc", "SELECT datname FROM pg_database"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert "_drill_" not in listed
    assert User.objects.filter(username="office").exists()  # the live database is untouched


def test_the_drill_refuses_sqlite(settings):
    settings.DATABASES = {"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": "x"}}
    with pytest.raises(CommandError, match="需要 PostgreSQL"):
        call_command("backup_drill")
