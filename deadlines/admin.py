from django.contrib import admin

from . import calendar
from .models import CalendarDay, CalendarYear, DeadlineRule, Message, Obligation, Submission


@admin.register(CalendarYear)
class CalendarYearAdmin(admin.ModelAdmin):
    list_display = ["year", "note", "entered_by", "entered_at"]
    readonly_fields = ["entered_by", "entered_at"]

    def save_model(self, request, obj, form, change):
        obj.entered_by = request.user
        super().save_model(request, obj, form, change)
        calendar.cache_clear()


@admin.register(CalendarDay)
class CalendarDayAdmin(admin.ModelAdmin):
    list_display = ["day", "is_working", "name"]
    list_filter = ["is_working"]
    date_hierarchy = "day"

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        calendar.cache_clear()

    def delete_model(self, request, obj):
        super().delete_model(request, obj)
        calendar.cache_clear()


@admin.register(DeadlineRule)
class DeadlineRuleAdmin(admin.ModelAdmin):
    """Rules come from the mechanism file (manage.py load_mechanism); read-only here."""

    list_display = ["title", "code", "mechanism", "obligors", "active"]
    list_filter = ["mechanism", "active"]

    def has_change_permission(self, request, obj=None):
        return False

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Obligation)
class ObligationAdmin(admin.ModelAdmin):
    list_display = ["__str__", "due_on", "status", "is_late"]
    list_filter = ["status", "rule", "is_late"]
    readonly_fields = [f.name for f in Obligation._meta.fields]
    search_fields = ["member_unit__name", "reporting_unit__name", "period"]

    def has_add_permission(self, request):
        return False


@admin.register(Submission)
class SubmissionAdmin(admin.ModelAdmin):
    list_display = ["obligation", "submitted_by", "submitted_at", "decision", "is_late"]
    readonly_fields = [f.name for f in Submission._meta.fields]

    def has_add_permission(self, request):
        return False


@admin.register(Message)
class MessageAdmin(admin.ModelAdmin):
    list_display = ["created_at", "channel", "kind", "recipient", "status", "attempts", "provider_id"]
    list_filter = ["channel", "status"]
    readonly_fields = [f.name for f in Message._meta.fields]
    search_fields = ["subject", "title", "address"]

    def has_add_permission(self, request):
        return False
