from django.apps import AppConfig


class MeetingsConfig(AppConfig):
    name = "meetings"
    verbose_name = "会议与纪要"

    def ready(self):
        from . import inbox

        inbox.register()  # this app's steps in 我的待办 (docs/inbox.md)
