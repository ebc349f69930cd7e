"""Read-only admin: every change goes through the services (and their audit entries)."""

from django.contrib import admin

from .models import AgreedMatter, Escalation, Meeting, MembershipChange, Minutes, ProgressNotice


class ReadOnly(admin.ModelAdmin):
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Meeting)
class MeetingAdmin(ReadOnly):
    list_display = ["title", "proposing_unit", "status", "starts_at"]
    list_filter = ["status"]


@admin.register(Minutes)
class MinutesAdmin(ReadOnly):
    list_display = ["title", "doc_number", "status", "round", "issued_at"]
    list_filter = ["status"]


@admin.register(AgreedMatter)
class AgreedMatterAdmin(ReadOnly):
    list_display = ["__str__", "due_date", "is_major", "item"]


@admin.register(Escalation)
class EscalationAdmin(ReadOnly):
    list_display = ["__str__", "status", "sent_on", "reply_on"]


@admin.register(ProgressNotice)
class ProgressNoticeAdmin(ReadOnly):
    list_display = ["title", "created_by", "created_at", "recipients"]


@admin.register(MembershipChange)
class MembershipChangeAdmin(ReadOnly):
    list_display = ["__str__", "kind", "effective_date", "status"]
    list_filter = ["kind", "status"]
