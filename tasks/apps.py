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
