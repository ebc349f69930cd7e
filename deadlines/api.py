"""Read-only API of obligations, with the same visibility as the 报送任务 page: a unit's liaisons and
members see their unit's, a prefecture user their city's, the convener, deputy and office all."""

from django.utils import timezone
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import serializers, viewsets

from . import ladder, selectors
from .models import Obligation


class ObligationSerializer(serializers.ModelSerializer):
    rule = serializers.CharField(source="rule.code")
    title = serializers.CharField(source="rule.title")
    obligor = serializers.CharField(source="obligor_name")
    status_display = serializers.CharField(source="get_status_display")
    colour = serializers.SerializerMethodField()
    colour_display = serializers.SerializerMethodField()
    due_date_provisional = serializers.SerializerMethodField(
        help_text="截止日期所依赖年份的节假日安排尚未录入（暂按周末计算），录入后可能调整"
    )

    class Meta:
        model = Obligation
        # parent: the prefecture's obligation a county's share was passed down from (docs/counties.md)
        fields = [
            "id",
            "rule",
            "title",
            "obligor",
            "parent",
            "period",
            "period_label",
            "opens_on",
            "due_on",
            "status",
            "status_display",
            "is_late",
            "submitted_at",
            "accepted_at",
            "colour",
            "colour_display",
            "due_date_provisional",
        ]

    def get_colour(self, obj) -> str:
        return selectors.obligation_colour(obj, self.context.get("today"))

    def get_due_date_provisional(self, obj) -> bool:
        return selectors.due_provisional(obj)

    def get_colour_display(self, obj) -> str:
        return ladder.LABELS[self.get_colour(obj)]


@extend_schema_view(
    list=extend_schema(summary="报送任务（本人可见范围）"), retrieve=extend_schema(summary="报送任务详情")
)
class ObligationViewSet(viewsets.ReadOnlyModelViewSet):
    serializer_class = ObligationSerializer

    def get_queryset(self):
        qs = selectors.obligations_for_user(self.request.user).order_by("due_on", "id")
        status = self.request.query_params.get("status")
        if status == "owed":
            qs = qs.filter(status__in=Obligation.OWED)
        elif status in dict(Obligation.STATUS_CHOICES):
            qs = qs.filter(status=status)
        return qs

    def get_serializer_context(self):
        return {**super().get_serializer_context(), "today": timezone.localdate()}
