from django.contrib import admin

from .models import EvaluationRules


@admin.register(EvaluationRules)
class EvaluationRulesAdmin(admin.ModelAdmin):
    """Read-only: the rules come from the mechanism file (manage.py load_mechanism)."""

    list_display = ("mechanism", "config_version", "loaded_at")
    readonly_fields = ("mechanism", "rules", "config_version", "loaded_at")

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
