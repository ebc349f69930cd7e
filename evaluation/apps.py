from django.apps import AppConfig


class EvaluationConfig(AppConfig):
    name = "evaluation"
    verbose_name = "年度考评与经验做法"

    def ready(self):
        from members.signals import mechanism_loaded

        from . import services

        mechanism_loaded.connect(services.rules_loaded_receiver, dispatch_uid="evaluation.rules_load")

        from workflow.inbox import register_source

        from .inbox import EvaluationSource

        register_source(EvaluationSource())  # 我的待办 (docs/inbox.md)
