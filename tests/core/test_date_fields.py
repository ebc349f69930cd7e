"""Every date field round-trips: a saved date is drawn as `<input type=date value=YYYY-MM-DD>` (what a
browser's date field accepts; zh-hans' own format `2027/01/29` is dropped by it) and reads back."""

import datetime as dt
import importlib

import pytest
from django import forms
from django.apps import apps
from django.conf import settings

from tests.formhtml import forms_in

# The product's own apps: under the checkout, and not installed packages (the venv may live there too).
PROJECT_APPS = [
    a for a in apps.get_app_configs() if a.path.startswith(str(settings.BASE_DIR)) and "site-packages" not in a.path
]


def _project_forms():
    for app in PROJECT_APPS:
        for module_name in ("forms", "views"):
            try:
                importlib.import_module(f"{app.name}.{module_name}")
            except ModuleNotFoundError:
                continue
    seen, todo = [], [forms.BaseForm]
    while todo:
        cls = todo.pop()
        todo.extend(cls.__subclasses__())
        if any(cls.__module__.startswith(app.name + ".") for app in PROJECT_APPS):
            seen.append(cls)
    return seen


def _date_fields():
    out = []
    for cls in _project_forms():
        for name, field in getattr(cls, "base_fields", {}).items():
            if isinstance(field, (forms.DateField, forms.DateTimeField)):
                out.append(pytest.param(cls, name, field, id=f"{cls.__module__}.{cls.__name__}.{name}"))
    return out


DATE_FIELDS = _date_fields()


def test_the_project_has_date_fields_to_check():
    names = {p.id for p in DATE_FIELDS}
    assert "meetings.forms.MatterForm.due_date" in names and "tasks.forms.ItemForm.due_date" in names


@pytest.mark.parametrize("cls,name,field", DATE_FIELDS)
def test_every_date_field_renders_iso_and_reads_it_back(cls, name, field):
    from django.utils import translation

    with translation.override("zh-hans"):
        if isinstance(field, forms.DateTimeField):
            value, kind = dt.datetime(2027, 1, 29, 9, 30), "datetime-local"
            expected = "2027-01-29T09:30"
        else:
            value, kind, expected = dt.date(2027, 1, 29), "date", "2027-01-29"
        html = field.widget.render(name, value)
        [(_, drawn_kind, drawn)] = forms_in(f"<form>{html}</form>")[0]["dates"] or [(None, None, None)]
        assert (drawn_kind, drawn) == (kind, expected), html
        back = field.clean(drawn)
        if isinstance(value, dt.datetime):
            back = back.replace(tzinfo=None)
        assert back == value


@pytest.mark.django_db
def test_item_form_drawn_again_after_an_error_keeps_its_dates(users, client_for, mechanism):
    office = client_for(users["office"])
    r = office.post(
        "/items/new/",
        {
            "title": "",
            "content": "c",
            "source": "ad_hoc",
            "due_date": "2099-01-29",
            "contribution_due_date": "2099-01-27",
        },
    )
    assert r.status_code == 400
    [form] = [f for f in forms_in(r.content.decode()) if f["dates"]]
    assert ("due_date", "date", "2099-01-29") in form["dates"]
    assert ("contribution_due_date", "date", "2099-01-27") in form["dates"]
