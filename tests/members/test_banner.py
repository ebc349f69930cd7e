"""`make run` warns loudly when DATABASE_URL points at another machine (the banner command, beside the demo accounts in members)."""

from io import StringIO

import pytest
from django.core.management import call_command


def _warning(settings, host):
    settings.DATABASES = {
        "default": {
            **settings.DATABASES["default"],
            "ENGINE": "django.db.backends.postgresql",
            "HOST": host,
            "NAME": "joint_meeting",
        }
    }
    err = StringIO()
    call_command("banner", "--database-warning", stdout=StringIO(), stderr=err)
    return err.getvalue()


@pytest.mark.parametrize("host", ["db.zjt.gov.cn", "10.2.3.4"])
def test_a_remote_database_gets_a_loud_chinese_warning(settings, host):
    text = _warning(settings, host)
    assert "警告" in text and host in text and "演示账号" in text and "Ctrl-C" in text


@pytest.mark.parametrize("host", ["127.0.0.1", "localhost", "", "/var/run/postgresql"])
def test_a_local_database_gets_none(settings, host):
    assert _warning(settings, host) == ""


def test_make_run_checks_before_it_migrates():
    from django.conf import settings as django_settings

    makefile = (django_settings.BASE_DIR / "Makefile").read_text()
    assert makefile.index("banner --database-warning") < makefile.index("manage.py migrate")
