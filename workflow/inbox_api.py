"""/api/v1/inbox/: 我的待办 through the API, the same entries, order, filters and cursor as the page
(workflow.inbox, docs/inbox.md)."""

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_serializer
from rest_framework import serializers, viewsets
from rest_framework.response import Response

from .inbox import InboxFilters, inbox_page

MAX_LIMIT = 100


class InboxEntrySerializer(serializers.Serializer):
    kind = serializers.CharField(help_text="类别代码，例如 task、report、minutes")
    kind_label = serializers.CharField(help_text="类别名称")
    key = serializers.CharField(help_text="“类别:编号”，在全部待办中唯一")
    title = serializers.CharField()
    unit_name = serializers.CharField(allow_blank=True)
    due = serializers.DateField(allow_null=True, help_text="时限；无时限的事项为空，排在最后")
    colour = serializers.CharField(help_text="none / blue / yellow / red")
    colour_label = serializers.CharField(allow_blank=True)
    days_label = serializers.CharField(allow_blank=True, help_text="剩余 N 天 / 今日到期 / 逾期 N 天")
    verb = serializers.CharField(help_text="要做的事：办理、报送、审核、确认、决定……")
    status_label = serializers.CharField(allow_blank=True)
    url = serializers.CharField(help_text="办理页面")
    since = serializers.CharField(allow_null=True)

    def to_representation(self, entry):
        since = entry.since.isoformat() if entry.since is not None else None
        return {
            "kind": entry.kind,
            "kind_label": entry.kind_label,
            "key": entry.key,
            "title": entry.title,
            "unit_name": entry.unit_name,
            "due": entry.due.isoformat() if entry.due else None,
            "colour": entry.colour,
            "colour_label": entry.colour_label,
            "days_label": entry.days_label,
            "verb": entry.verb,
            "status_label": entry.status_label,
            "url": entry.url,
            "since": since,
        }


class KindCountSerializer(serializers.Serializer):
    kind = serializers.CharField()
    label = serializers.CharField()
    count = serializers.IntegerField()


@extend_schema_serializer(many=False)  # one page object, though it answers the viewset's list
class InboxPageSerializer(serializers.Serializer):
    results = InboxEntrySerializer(many=True)
    next = serializers.CharField(allow_blank=True, help_text="下一页的 after 参数；为空表示没有下一页")
    counts = KindCountSerializer(many=True)


def _limit(value) -> int:
    try:
        return max(1, min(MAX_LIMIT, int(value)))
    except (TypeError, ValueError):
        return 50


class InboxViewSet(viewsets.ViewSet):
    """我的待办: every open step of every flow for the signed-in person, most urgent first."""

    @extend_schema(
        summary="我的待办（全部类别）",
        responses=InboxPageSerializer,
        parameters=[
            OpenApiParameter("kind", OpenApiTypes.STR, description="只看一个类别"),
            OpenApiParameter("unit", OpenApiTypes.STR, description="单位：mu:<成员单位编号> 或 ru:<市州编号>"),
            OpenApiParameter("due", OpenApiTypes.STR, enum=["overdue", "soon"], description="已逾期 / 临期"),
            OpenApiParameter("q", OpenApiTypes.STR, description="标题中的文字"),
            OpenApiParameter("after", OpenApiTypes.STR, description="上一页返回的 next"),
            OpenApiParameter("limit", OpenApiTypes.INT, description="每页条数（1–100，默认 50）"),
        ],
    )
    def list(self, request):
        page = inbox_page(
            request.user, InboxFilters.from_query(request.query_params), limit=_limit(request.query_params.get("limit"))
        )
        return Response(
            {
                "results": InboxEntrySerializer(page.entries, many=True).data,
                "next": page.next_cursor,
                "counts": [{"kind": kind, "label": label, "count": n} for kind, label, n in page.counts],
            }
        )
