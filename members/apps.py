from django.apps import AppConfig


class MembersConfig(AppConfig):
    name = "members"
    verbose_name = "联席会议成员"

    def ready(self):
        from django.db.models.signals import post_delete, post_save

        from .access import connect_signals
        from .models import MemberUnit, current_mechanism_from
        from .selectors import mechanism_id_current, unit_choices_forget

        connect_signals()
        current_mechanism_from(mechanism_id_current)
        from . import schema  # noqa: F401 — registers the API's authentication with the OpenAPI schema

        post_save.connect(unit_choices_forget, sender=MemberUnit, dispatch_uid="members.unit_choices.save")
        post_delete.connect(unit_choices_forget, sender=MemberUnit, dispatch_uid="members.unit_choices.delete")

        from django.contrib.auth.signals import user_logged_in

        from .security import session_mark_signed_in

        user_logged_in.connect(session_mark_signed_in, dispatch_uid="members.session_lifetime")
