from django.apps import AppConfig


class DeadlinesConfig(AppConfig):
    name = "deadlines"
    verbose_name = "时限与提醒"

    def ready(self):
        from members.signals import contact_code_issued, mechanism_loaded, unit_robot_changed

        from . import calendar, models

        calendar.office_entries_from(models.office_calendar_year)  # the office's holidays, read from the database

        from . import contact_messages, sources  # noqa: F401 — sources registers the obligation source
        from .services.rules import rules_loaded_receiver

        mechanism_loaded.connect(rules_loaded_receiver, dispatch_uid="deadlines.rules_load")
        contact_code_issued.connect(contact_messages.code_send_receiver, dispatch_uid="deadlines.contact_code")
        unit_robot_changed.connect(contact_messages.robot_retry_receiver, dispatch_uid="deadlines.robot_retry")

        from . import health

        health.register()  # mail, SMS and outbox backlog on the health page

        from . import inbox

        inbox.register()  # reports in 我的待办, and the inbox's colour ladder (docs/inbox.md)
