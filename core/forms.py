"""Form widgets every app uses.

`<input type="date">` accepts only `YYYY-MM-DD` (and `datetime-local` only `YYYY-MM-DDTHH:MM`);
Django's stock widgets render a saved value in the active locale's first input format, which for
zh-hans is `2027/01/29`, so the browser shows the field empty and the form comes back without the
date. These widgets always render ISO, whatever the locale."""

from django import forms

ISO_DATE = "%Y-%m-%d"
ISO_DATETIME_LOCAL = "%Y-%m-%dT%H:%M"


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, attrs=None):
        super().__init__(attrs=attrs, format=ISO_DATE)


class DateTimeLocalInput(forms.DateTimeInput):
    input_type = "datetime-local"

    def __init__(self, attrs=None):
        super().__init__(attrs=attrs, format=ISO_DATETIME_LOCAL)
