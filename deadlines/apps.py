from django.apps import AppConfig


class DeadlinesConfig(AppConfig):
    name = "deadlines"
    verbose_name = "时限与提醒"

    def ready(self):
        from members.signals import mechanism_loaded

        from . import sources  # noqa: F401 — registers the obligation source
        from .services.rules import rules_loaded_receiver

        mechanism_loaded.connect(rules_loaded_receiver, dispatch_uid="deadlines.rules_load")

        from . import health

        health.register()  # mail, SMS and outbox backlog on the health page

        from . import inbox

        inbox.register()  # reports in 我的待办, and the inbox's colour ladder (docs/inbox.md)
