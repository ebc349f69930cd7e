from django.apps import AppConfig


class DashboardConfig(AppConfig):
    name = "dashboard"
    verbose_name = "督办总览"

    def ready(self):
        # Saves and deletes of what 督办总览 counts renew its cached figures (selectors.dashboard_cached).
        from django.db.models.signals import post_delete, post_save

        from deadlines.models import CalendarDay, Obligation
        from members.models import MemberUnit, ReportingUnit
        from tasks.models import Assignment, UnitRequest

        from .selectors import figures_changed

        for model in (Obligation, Assignment, UnitRequest, MemberUnit, ReportingUnit, CalendarDay):
            post_save.connect(figures_changed, sender=model, dispatch_uid=f"dashboard-figures-{model.__name__}")
            post_delete.connect(figures_changed, sender=model, dispatch_uid=f"dashboard-figures-del-{model.__name__}")
