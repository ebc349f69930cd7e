from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "core"
    verbose_name = "基础（审计日志与运行状态）"

    def ready(self):
        from .search import register

        register()
