"""Read-only API of the ledger and assessments, with the pages' visibility: a prefecture sees its
own, the convener, deputy and office see all, anyone else gets 404 (list: empty is not enough — the
endpoint does not exist for them)."""

from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import serializers, viewsets
from rest_framework.exceptions import NotFound

from .models import Assessment, Community
from .selectors import assessments_for_user, communities_for_user, may_use_ledger


class CommunitySerializer(serializers.ModelSerializer):
    reporting_unit = serializers.CharField(source="reporting_unit.code")
    reporting_unit_name = serializers.CharField(source="reporting_unit.name")
    status_display = serializers.CharField(source="get_status_display")
    renovation_display = serializers.CharField(source="get_renovation_display")

    class Meta:
        model = Community
        fields = [
            "id",
            "reporting_unit",
            "reporting_unit_name",
            "county",
            "name",
            "residents_committee",
            "old_estates",
            "renovation",
            "renovation_display",
            "status",
            "status_display",
            "standard_met_on",
        ]


class AssessmentSerializer(serializers.ModelSerializer):
    community = serializers.IntegerField(source="community_id")
    status_display = serializers.CharField(source="get_status_display")

    class Meta:
        model = Assessment
        fields = [
            "id",
            "community",
            "standard",
            "year",
            "status",
            "status_display",
            "facts",
            "result",
            "total",
            "passed",
            "last_reason",
            "created_at",
            "confirmed_at",
        ]


class _LedgerScoped(viewsets.ReadOnlyModelViewSet):
    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)
        if not may_use_ledger(request.user):
            raise NotFound()


@extend_schema_view(list=extend_schema(summary="社区台账"), retrieve=extend_schema(summary="社区"))
class CommunityViewSet(_LedgerScoped):
    serializer_class = CommunitySerializer

    def get_queryset(self):
        return communities_for_user(self.request.user).select_related("reporting_unit").order_by("pk")


@extend_schema_view(list=extend_schema(summary="创建评估"), retrieve=extend_schema(summary="创建评估"))
class AssessmentViewSet(_LedgerScoped):
    serializer_class = AssessmentSerializer

    def get_queryset(self):
        return assessments_for_user(self.request.user).order_by("pk")
