from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from guardian.admin import GuardedModelAdminMixin

from .models import Division, Mechanism, MemberUnit, Person, ReportingUnit, RoleAssignment, User, WorkLine, WorkLineUnit


@admin.register(Mechanism)
class MechanismAdmin(admin.ModelAdmin):
    list_display = ["name", "code", "config_version", "loaded_at"]
    readonly_fields = ["config_version", "config_digest", "loaded_at"]


class DivisionInline(admin.TabularInline):
    model = Division
    extra = 0


@admin.register(MemberUnit)
class MemberUnitAdmin(GuardedModelAdminMixin, admin.ModelAdmin):
    list_display = ["name", "code", "is_lead", "joined_on", "left_on", "order"]
    list_filter = ["mechanism", "is_lead"]
    inlines = [DivisionInline]


@admin.register(Person)
class PersonAdmin(admin.ModelAdmin):
    list_display = ["name", "unit", "division", "title", "mobile", "email", "is_demo"]
    list_filter = ["unit", "is_demo"]
    search_fields = ["name", "mobile", "email"]


@admin.register(RoleAssignment)
class RoleAssignmentAdmin(admin.ModelAdmin):
    list_display = ["person", "role", "unit", "division", "start_date", "end_date"]
    list_filter = ["role", "unit"]
    search_fields = ["person__name"]


class WorkLineUnitInline(admin.TabularInline):
    model = WorkLineUnit
    extra = 0


@admin.register(WorkLine)
class WorkLineAdmin(admin.ModelAdmin):
    list_display = ["code", "title", "section"]
    inlines = [WorkLineUnitInline]


@admin.register(ReportingUnit)
class ReportingUnitAdmin(GuardedModelAdminMixin, admin.ModelAdmin):
    list_display = ["name", "code", "kind", "bureau", "left_on"]


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    list_display = ["username", "display_name", "person", "reporting_unit", "is_demo", "is_staff", "is_active"]
    list_filter = ["is_demo", "is_staff", "is_active", "reporting_unit"]
    fieldsets = BaseUserAdmin.fieldsets + (("联席会议", {"fields": ("display_name", "person", "reporting_unit", "is_demo")}),)
    raw_id_fields = ["person"]
