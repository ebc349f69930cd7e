from django.apps import AppConfig


class MembersConfig(AppConfig):
    name = "members"
    verbose_name = "联席会议成员"

    def ready(self):
        from .access import connect_signals

        connect_signals()
