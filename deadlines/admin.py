from django.contrib import admin
from django.db import transaction

from . import calendar
from .models import CalendarDay, CalendarYear, DeadlineRule, Message, Obligation, Submission
from .services.calendar import obligations_follow_calendar, owed_due_snapshot


class FollowCalendarMixin:
    """An edit of the calendar here moves the owed obligations' due days exactly as 节假日日历 does
    (obligations_follow_calendar: audited, reminders withdrawn, units told)."""

    def _follow(self, request, change):
        with transaction.atomic():
            snapshot = owed_due_snapshot()
            change()
            calendar.cache_clear()
            obligations_follow_calendar(snapshot=snapshot, by=request.user, why="在管理后台修改节假日安排")

    def save_model(self, request, obj, form, change):
        self._follow(request, lambda: super(FollowCalendarMixin, self).save_model(request, obj, form, change))

    def delete_model(self, request, obj):
        self._follow(request, lambda: super(FollowCalendarMixin, self).delete_model(request, obj))

    def delete_queryset(self, request, queryset):
        self._follow(request, lambda: super(FollowCalendarMixin, self).delete_queryset(request, queryset))


@admin.register(CalendarYear)
class CalendarYearAdmin(FollowCalendarMixin, admin.ModelAdmin):
    list_display = ["year", "note", "entered_by", "entered_at"]
    readonly_fields = ["entered_by", "entered_at"]

    def save_model(self, request, obj, form, change):
        obj.entered_by = request.user
        super().save_model(request, obj, form, change)


@admin.register(CalendarDay)
class CalendarDayAdmin(FollowCalendarMixin, admin.ModelAdmin):
    list_display = ["day", "is_working", "name"]
    list_filter = ["is_working"]
    date_hierarchy = "day"


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
