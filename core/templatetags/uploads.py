"""`{% upload_rules %}` and `{% upload_accept %}`: every upload form states the product's one rule."""

from django import template

from core.uploads import upload_accept as _accept, upload_rules_text

register = template.Library()


@register.simple_tag
def upload_rules():
    return upload_rules_text()


@register.simple_tag
def upload_accept():
    return _accept()
