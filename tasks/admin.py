"""Read-only admin views: every change to items goes through the services (audit, flow, rules)."""

from django.contrib import admin

from .models import Assignment, Attachment, Comment, Item, UnitRequest


class ReadOnly(admin.ModelAdmin):
    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class AssignmentInline(admin.TabularInline):
    model = Assignment
    fields = ["unit", "role", "order", "status", "due_date", "claimed_by", "submitted_at"]
    readonly_fields = fields
    extra = 0
    can_delete = False
    fk_name = "item"

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Item)
class ItemAdmin(ReadOnly):
    list_display = ["id", "title", "status", "due_date", "created_at"]
    list_filter = ["status", "source"]
    search_fields = ["title"]
    inlines = [AssignmentInline]
    show_full_result_count = False


@admin.register(UnitRequest)
class UnitRequestAdmin(ReadOnly):
    list_display = ["id", "kind", "assignment", "status", "requested_at", "decided_by"]
    list_filter = ["kind", "status"]
    list_select_related = ["assignment__item", "assignment__unit", "decided_by"]


admin.site.register(Attachment, ReadOnly)
admin.site.register(Comment, ReadOnly)
