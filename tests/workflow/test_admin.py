import datetime as dt

import pytest

from tasks import services as fs

pytestmark = pytest.mark.django_db


def test_admin_lists_items_read_only(users, client_for, unit, frozen):
    item = fs.item_dispatch(
        by=users["office"],
        title="后台可见",
        content="c",
        source="ad_hoc",
        lead_units=[unit("zjt")],
        participating_units=[],
        due_date=dt.date(2026, 3, 20),
    )
    admin = client_for(users["admin"])
    assert "后台可见" in admin.get("/admin/tasks/item/").content.decode()
    page = admin.get(f"/admin/tasks/item/{item.pk}/change/")
    assert page.status_code == 200 and "省住房城乡建设厅" in page.content.decode()
    assert admin.post(f"/admin/tasks/item/{item.pk}/delete/").status_code == 403
    # The office is staff (it keeps the roster in the admin) but has no permission on items there.
    assert client_for(users["office"]).get("/admin/tasks/item/").status_code == 403
    assert client_for(users["liaison_mzt"]).get("/admin/tasks/item/").status_code == 302  # not staff
