from django.apps import AppConfig


class CommunitiesConfig(AppConfig):
    name = "communities"
    verbose_name = "绿色社区"

    def ready(self):
        from . import inbox

        inbox.register()  # this app's steps in 我的待办 (docs/inbox.md)
