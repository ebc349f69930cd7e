"""Read-only API of the joint meeting's structure. Same visibility as the 联席会议 page: every
signed-in user; contact details only for the convener, deputy and office."""

from django.db.models import Prefetch
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import serializers, viewsets

from .models import Division, MemberUnit, ReportingUnit, RoleAssignment, WorkLine, WorkLineUnit
from .selectors import may_see_contacts, mechanism_current


class DivisionSerializer(serializers.ModelSerializer):
    class Meta:
        model = Division
        fields = ["id", "name"]


class MemberUnitSerializer(serializers.ModelSerializer):
    divisions = DivisionSerializer(many=True, read_only=True)

    class Meta:
        model = MemberUnit
        fields = ["id", "code", "name", "full_name", "is_lead", "duties", "joined_on", "left_on", "divisions"]


class RosterEntrySerializer(serializers.ModelSerializer):
    role_display = serializers.CharField(source="get_role_display")
    person = serializers.CharField(source="person.name")
    title = serializers.CharField(source="person.title")
    unit = serializers.CharField(source="unit.code")
    unit_name = serializers.CharField(source="unit.name")
    division = serializers.CharField(source="division.name", default="")
    mobile = serializers.SerializerMethodField()
    email = serializers.SerializerMethodField()

    class Meta:
        model = RoleAssignment
        fields = [
            "id",
            "role",
            "role_display",
            "person",
            "title",
            "unit",
            "unit_name",
            "division",
            "start_date",
            "end_date",
            "mobile",
            "email",
        ]

    def _contact(self, obj, field):
        if may_see_contacts(self.context["request"].user):
            return getattr(obj.person, field)
        return None

    def get_mobile(self, obj) -> str | None:
        return self._contact(obj, "mobile")

    def get_email(self, obj) -> str | None:
        return self._contact(obj, "email")


class WorkLineSerializer(serializers.ModelSerializer):
    lead_units = serializers.SerializerMethodField()
    participating_units = serializers.SerializerMethodField()

    class Meta:
        model = WorkLine
        fields = ["id", "code", "section", "title", "content", "lead_units", "participating_units"]

    def get_lead_units(self, obj) -> list[str]:
        return [u.code for u in obj.lead_units]

    def get_participating_units(self, obj) -> list[str]:
        return [u.code for u in obj.participating_units]


class ReportingUnitSerializer(serializers.ModelSerializer):
    class Meta:
        model = ReportingUnit
        fields = ["id", "code", "name", "kind", "parent", "bureau", "joined_on", "left_on"]


class _MechanismScoped(viewsets.ReadOnlyModelViewSet):
    def mechanism_filter(self, qs):
        mechanism = mechanism_current()
        return qs.filter(mechanism=mechanism) if mechanism else qs.none()


@extend_schema_view(list=extend_schema(summary="成员单位列表"), retrieve=extend_schema(summary="成员单位"))
class MemberUnitViewSet(_MechanismScoped):
    queryset = MemberUnit.objects.none()  # for the schema's path types; get_queryset scopes the data
    serializer_class = MemberUnitSerializer

    def get_queryset(self):
        return self.mechanism_filter(MemberUnit.objects.prefetch_related("divisions"))


@extend_schema_view(
    list=extend_schema(summary="联席会议人员名单（当前在任）"), retrieve=extend_schema(summary="任职记录")
)
class RosterViewSet(_MechanismScoped):
    queryset = RoleAssignment.objects.none()  # for the schema's path types; get_queryset scopes the data
    serializer_class = RosterEntrySerializer

    def get_queryset(self):
        qs = RoleAssignment.objects.select_related("person", "unit", "division").order_by(
            "unit__order", "division__order", "id"
        )
        if self.action == "list" and self.request.query_params.get("history") != "1":
            qs = qs.active()
        return self.mechanism_filter(qs)


@extend_schema_view(list=extend_schema(summary="工作事项分工"), retrieve=extend_schema(summary="工作事项"))
class WorkLineViewSet(_MechanismScoped):
    queryset = WorkLine.objects.none()  # for the schema's path types; get_queryset scopes the data
    serializer_class = WorkLineSerializer

    def get_queryset(self):
        return self.mechanism_filter(
            WorkLine.objects.prefetch_related(
                Prefetch("assignments", queryset=WorkLineUnit.objects.select_related("unit").order_by("role", "order"))
            )
        )


@extend_schema_view(list=extend_schema(summary="市州报送单位"), retrieve=extend_schema(summary="市州报送单位"))
class ReportingUnitViewSet(_MechanismScoped):
    queryset = ReportingUnit.objects.none()  # for the schema's path types; get_queryset scopes the data
    serializer_class = ReportingUnitSerializer

    def get_queryset(self):
        return self.mechanism_filter(ReportingUnit.objects.all())
