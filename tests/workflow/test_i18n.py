"""viewflow's own strings appear in Chinese: the project supplies the catalogue viewflow ships empty."""

import gettext
import re
from pathlib import Path

import pytest
from django.conf import settings
from django.test import override_settings
from django.utils import translation

LOCALE = Path(settings.BASE_DIR) / "locale" / "zh_Hans" / "LC_MESSAGES"


def test_viewflow_strings_translate():
    with translation.override("zh-hans"):
        assert translation.gettext("Inbox") == "待办"
        assert translation.gettext("Queue") == "待签收"
        assert translation.gettext("Task {task} has been completed.") == "任务 {task} 已办结。"
        assert translation.pgettext("STATUS", "Assigned") == "已签收"


def test_compiled_catalogue_matches_the_source():
    po = (LOCALE / "django.po").read_text(encoding="utf-8")
    mo = gettext.GNUTranslations(open(LOCALE / "django.mo", "rb"))
    pairs = re.findall(r'^(?:msgctxt "(.+)"\n)?msgid "(.+)"$', po, flags=re.M)
    assert len(pairs) > 130
    missing = [(ctx, i) for ctx, i in pairs if "\\" not in i and (mo.pgettext(ctx, i) if ctx else mo.gettext(i)) == i]
    assert missing == []


@pytest.mark.django_db
@override_settings(ROOT_URLCONF="bench.stock_urls")
def test_stock_inbox_page_is_chinese(users, client_for):
    """The stock frontend is not served by the product (it is mounted by bench/ only), but if an
    administrator mounts it, its chrome is Chinese."""
    from django.contrib.auth.models import Permission

    user = users["liaison_mzt"]
    user.user_permissions.add(Permission.objects.get(codename="view_itemprocess"))
    html = client_for(user).get("/vf/item/inbox/").content.decode()
    assert "待办" in html and ">Inbox<" not in html and "Queue" not in html
