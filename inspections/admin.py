from django.contrib import admin

from .models import Finding, Inspection


@admin.register(Inspection)
class InspectionAdmin(admin.ModelAdmin):
    list_display = ["title", "reporting_unit", "community", "starts_on", "status", "findings_count", "closed_count"]
    list_filter = ["status"]
    readonly_fields = ["findings_count", "closed_count", "status", "version"]
    raw_id_fields = ["community"]


@admin.register(Finding)
class FindingAdmin(admin.ModelAdmin):
    list_display = ["__str__", "lead_unit", "due_date", "status"]
    list_filter = ["status"]
    readonly_fields = ["status", "item", "version"]
