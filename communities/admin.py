from django.contrib import admin

from .models import Assessment, Community, CommunityStatusChange, PilotNomination, PilotSelection


class StatusChangeInline(admin.TabularInline):
    model = CommunityStatusChange
    extra = 0
    can_delete = False
    readonly_fields = ["from_status", "to_status", "at", "by", "reason"]


@admin.register(Community)
class CommunityAdmin(admin.ModelAdmin):
    """Read-mostly: status changes go through the services (and their audit), not the admin."""

    list_display = ["name", "reporting_unit", "county", "renovation", "status", "standard_met_on"]
    list_filter = ["reporting_unit", "status", "renovation"]
    search_fields = ["name", "county", "residents_committee"]
    inlines = [StatusChangeInline]

    # Every write goes through the services (validation, history, audit): the admin only reads.
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Assessment)
class AssessmentAdmin(admin.ModelAdmin):
    list_display = ["community", "year", "standard", "status", "total", "passed"]
    list_filter = ["status", "standard", "year"]
    readonly_fields = [f.name for f in Assessment._meta.fields]

    def has_add_permission(self, request):
        return False


admin.site.register(PilotNomination)
admin.site.register(PilotSelection)
