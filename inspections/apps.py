from django.apps import AppConfig


class InspectionsConfig(AppConfig):
    name = "inspections"
    verbose_name = "督导检查"

    def ready(self):
        from communities.hooks import pilot_panels
        from tasks.signals import item_accepted

        from . import receivers

        item_accepted.connect(receivers.finding_close_on_item_accepted, dispatch_uid="inspections.finding_close")
        pilot_panels.append(receivers.pilot_visits)

        from workflow.inbox import register_source

        from .inbox import FindingSource, InspectionSource

        for source in (InspectionSource(), FindingSource()):
            register_source(source)  # 我的待办 (docs/inbox.md)
