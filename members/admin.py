"""The Django admin for `members`: a second door to the same data, never a way round the rules.

- Access data is read-only here: groups and permissions (of accounts and groups) and guardian object
  permissions are derived from role assignments by `members.services.access_sync`; nobody grants
  them by hand. The guardian "object permissions" pages are not offered.
- Role assignments may be corrected here by administrators only (`role_assignment_save`, audited);
  the office changes roles through 成员调整 and A/B角. Nobody deletes one: history is kept.
- Every other save (people and their contact details, units, accounts) goes through the services,
  which record old and new values in the audit log in the same transaction."""

from django.contrib import admin
from django.contrib.auth.admin import GroupAdmin as BaseGroupAdmin, UserAdmin as BaseUserAdmin
from django.contrib.auth.models import Group
from django.db import transaction
from django.urls import reverse
from django.utils.html import format_html
from guardian.models import GroupObjectPermission, UserObjectPermission

from .models import Division, Mechanism, MemberUnit, Person, ReportingUnit, RoleAssignment, User, WorkLine, WorkLineUnit
from .services import account_update, password_changed_record, record_save, role_assignment_save


class AuditedAdmin(admin.ModelAdmin):
    """Saves through `record_save`: the audit log gets the changed fields, old and new."""

    def save_model(self, request, obj, form, change):
        record_save(obj=obj, by=request.user)

    def has_delete_permission(self, request, obj=None):
        # Units, people and divisions leave history behind (left_on, end_date); only an administrator
        # may delete a record entered by mistake.
        return request.user.is_superuser and super().has_delete_permission(request, obj)


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Mechanism)
class MechanismAdmin(AuditedAdmin):
    list_display = ["name", "code", "config_version", "loaded_at"]
    readonly_fields = ["config_version", "config_digest", "loaded_at"]


class DivisionInline(admin.TabularInline):
    model = Division
    extra = 0


@admin.register(MemberUnit)
class MemberUnitAdmin(AuditedAdmin):
    list_display = ["name", "code", "is_lead", "joined_on", "left_on", "order"]
    list_filter = ["mechanism", "is_lead"]
    inlines = [DivisionInline]


@admin.register(Person)
class PersonAdmin(AuditedAdmin):
    list_display = ["name", "unit", "division", "title", "mobile", "email", "is_demo"]
    list_filter = ["unit", "is_demo"]
    search_fields = ["name", "mobile", "email"]


@admin.register(RoleAssignment)
class RoleAssignmentAdmin(admin.ModelAdmin):
    list_display = ["person", "role", "unit", "division", "start_date", "end_date"]
    list_filter = ["role", "unit"]
    search_fields = ["person__name"]

    def has_add_permission(self, request):
        return request.user.is_superuser

    def has_change_permission(self, request, obj=None):
        return request.user.is_superuser

    def has_delete_permission(self, request, obj=None):
        return False  # a role ends (end_date); its row stays as history

    def save_model(self, request, obj, form, change):
        role_assignment_save(assignment=obj, by=request.user, reason="系统管理员在管理后台修改")


class WorkLineUnitInline(admin.TabularInline):
    model = WorkLineUnit
    extra = 0


@admin.register(WorkLine)
class WorkLineAdmin(AuditedAdmin):
    list_display = ["code", "title", "section"]
    inlines = [WorkLineUnitInline]


@admin.register(ReportingUnit)
class ReportingUnitAdmin(AuditedAdmin):
    list_display = ["name", "code", "kind", "parent", "bureau", "left_on"]
    search_fields = ["name", "code"]

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "parent":  # a county belongs to a prefecture, never to another county
            kwargs["queryset"] = ReportingUnit.objects.prefectures()
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    list_display = [
        "username",
        "display_name",
        "person",
        "reporting_unit",
        "is_demo",
        "is_staff",
        "is_active",
        "second_factor",
    ]
    list_filter = ["is_demo", "is_staff", "is_active", "reporting_unit"]
    fieldsets = BaseUserAdmin.fieldsets + (
        ("联席会议", {"fields": ("display_name", "person", "reporting_unit", "is_demo")}),
    )
    raw_id_fields = ["person"]
    # Derived from role assignments by access_sync: shown, never edited by hand.
    readonly_fields = ["groups", "user_permissions", "last_login", "date_joined"]

    def get_readonly_fields(self, request, obj=None):
        fields = list(super().get_readonly_fields(request, obj))
        if not request.user.is_superuser:
            fields += ["is_superuser", "is_staff", "is_active"]
        return fields

    def has_add_permission(self, request):
        return request.user.is_superuser

    def has_change_permission(self, request, obj=None):
        return request.user.is_superuser

    def has_delete_permission(self, request, obj=None):
        return False  # an account is deactivated (is_active), never deleted: the audit log points to it

    def save_model(self, request, obj, form, change):
        account_update(user=obj, by=request.user, reason="系统管理员在管理后台修改")

    def user_change_password(self, request, id, form_url=""):
        # An administrator setting someone's password leaves an audit row, in the same transaction.
        with transaction.atomic():
            response = super().user_change_password(request, id, form_url)
            if request.method == "POST" and response.status_code == 302:
                password_changed_record(user=User.objects.get(pk=id), by=request.user, how="set_by_admin")
        return response

    def save_related(self, request, form, formsets, change):
        # groups and user_permissions are read-only: nothing from the form reaches them.
        for formset in formsets:
            self.save_formset(request, form, formset, change=change)

    @admin.display(description="两步验证")
    def second_factor(self, obj):
        from .security import has_second_factor

        if not has_second_factor(obj):
            return "未设置"
        return format_html('已设置 · <a href="{}">重置</a>', reverse("second-factor-reset", args=[obj.pk]))


# Groups carry the permissions of the roles (members.services.GROUP_PERMISSIONS, set by groups_ensure).
admin.site.unregister(Group)


@admin.register(Group)
class GroupAdmin(ReadOnlyAdmin, BaseGroupAdmin):
    pass


@admin.register(UserObjectPermission)
class UserObjectPermissionAdmin(ReadOnlyAdmin):
    list_display = ["user", "permission", "content_type", "object_pk"]
    list_filter = ["permission"]
    search_fields = ["user__username"]

    def has_view_permission(self, request, obj=None):
        return request.user.is_superuser


@admin.register(GroupObjectPermission)
class GroupObjectPermissionAdmin(ReadOnlyAdmin):
    list_display = ["group", "permission", "content_type", "object_pk"]

    def has_view_permission(self, request, obj=None):
        return request.user.is_superuser
