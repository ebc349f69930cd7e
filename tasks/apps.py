from django.apps import AppConfig


class TasksConfig(AppConfig):
    name = "tasks"
    verbose_name = "督办事项"

    def ready(self):
        from deadlines.reminders import register_source

        from .division_reminders import PartSource
        from .reminders import TaskSource

        register_source(TaskSource())
        register_source(PartSource())

        from workflow.inbox import register_source as register_inbox_source

        from . import inbox
        from .division_inbox import DivisionPartSource, HeadReviewSource

        for source in (
            inbox.TaskSource(),
            inbox.ItemReviewSource(),
            inbox.RequestSource(),
            DivisionPartSource(),
            HeadReviewSource(),
        ):
            register_inbox_source(source)  # 我的待办 (docs/inbox.md)
