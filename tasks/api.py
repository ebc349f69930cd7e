"""API of supervised items: the same selectors, services and permissions as the pages.

/api/v1/items/                      list (keyset: cursor), create (交办, office)
/api/v1/items/{id}/                 read, with every unit's share
/api/v1/items/{id}/accept|revise/   办结 / 退回修改 (office)
/api/v1/items/{id}/comments/        发表意见
/api/v1/tasks/                      我的待办 (open tasks of the user's units)
/api/v1/tasks/{id}/                 read
/api/v1/tasks/{id}/claim|save|submit|extension|return|attachments/
/api/v1/requests/                   pending 延期/退回 (convener, deputy)
/api/v1/requests/{id}/decide/
"""

from django.http import Http404
from django.utils import timezone
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, serializers, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.pagination import CursorPagination
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.response import Response

from core.errors import DomainError
from members.models import MemberUnit
from members.selectors import is_overseer, mechanism_id_for

from . import selectors, services as ts
from .models import Assignment, Attachment, Item, UnitRequest


class DuePagination(CursorPagination):
    """Keyset pages, soonest due first: a constant cost whatever the page number."""

    ordering = ("due_date", "id")
    page_size = 50

    def decode_cursor(self, request):
        # DRF answers a cursor it cannot read with 404 ("Invalid cursor"); it is a bad parameter.
        try:
            return super().decode_cursor(request)
        except NotFound:
            raise ValidationError({"cursor": "翻页参数无效，请从第一页重新开始。"}) from None


# --- serializers --------------------------------------------------------------------------------------


class AttachmentSerializer(serializers.ModelSerializer):
    url = serializers.SerializerMethodField()

    class Meta:
        model = Attachment
        fields = ["id", "name", "size", "uploaded_at", "url"]

    def get_url(self, obj) -> str:
        return f"/items/attachments/{obj.pk}/"


class AssignmentSerializer(serializers.ModelSerializer):
    item_title = serializers.CharField(source="item.title", read_only=True)
    unit = serializers.CharField(source="unit.name", read_only=True)
    unit_code = serializers.CharField(source="unit.code", read_only=True)
    role_label = serializers.CharField(read_only=True)
    status_label = serializers.CharField(source="get_status_display", read_only=True)
    colour = serializers.SerializerMethodField()
    days_left = serializers.SerializerMethodField()
    claimed_by = serializers.StringRelatedField(allow_null=True)  # null until a unit claims the task

    class Meta:
        model = Assignment
        fields = [
            "id",
            "item",
            "item_title",
            "unit",
            "unit_code",
            "role",
            "role_label",
            "order",
            "status",
            "status_label",
            "due_date",
            "colour",
            "days_left",
            "result",
            "claimed_by",
            "claimed_at",
            "submitted_at",
            "version",
        ]

    def get_colour(self, obj) -> str:
        return selectors.ladder_for(obj.due_date, timezone.localdate())[0]

    def get_days_left(self, obj) -> int:
        return selectors.ladder_for(obj.due_date, timezone.localdate())[2]


class ItemSerializer(serializers.ModelSerializer):
    status_label = serializers.CharField(source="get_status_display", read_only=True)
    colour = serializers.SerializerMethodField()

    class Meta:
        model = Item
        fields = [
            "id",
            "number",
            "title",
            "source",
            "status",
            "status_label",
            "due_date",
            "contribution_due_date",
            "colour",
            "version",
        ]

    def get_colour(self, obj) -> str:
        return selectors.ladder_for(obj.due_date, timezone.localdate())[0]


class ItemDetailSerializer(ItemSerializer):
    assignments = AssignmentSerializer(many=True, read_only=True)
    attachments = AttachmentSerializer(many=True, read_only=True)

    class Meta(ItemSerializer.Meta):
        fields = [
            *ItemSerializer.Meta.fields,
            "content",
            "source_note",
            "work_line",
            "created_at",
            "accepted_at",
            "review_round",
            "assignments",
            "attachments",
        ]


class RequestSerializer(serializers.ModelSerializer):
    item = serializers.IntegerField(source="assignment.item_id", read_only=True)
    unit = serializers.CharField(source="assignment.unit.name", read_only=True)

    class Meta:
        model = UnitRequest
        fields = [
            "id",
            "item",
            "assignment",
            "unit",
            "kind",
            "reason",
            "requested_due_date",
            "previous_due_date",
            "status",
            "requested_at",
            "decided_at",
            "decision_note",
            "granted_due_date",
            "rerouted_to",
        ]


class ItemCreateInput(serializers.Serializer):
    title = serializers.CharField(label="标题", allow_blank=True)
    content = serializers.CharField(label="事项内容", allow_blank=True)
    source = serializers.ChoiceField(label="来源", choices=Item.Source.choices)
    source_note = serializers.CharField(label="来源说明", required=False, allow_blank=True, default="")
    work_line = serializers.IntegerField(label="工作方案分工", required=False, allow_null=True, default=None)
    lead_units = serializers.ListField(
        label="牵头单位",
        child=serializers.SlugField(),
        required=False,
        help_text="单位代码，第一个为主牵头单位；不填则取工作方案分工的牵头单位",
    )
    participating_units = serializers.ListField(
        label="配合单位", child=serializers.SlugField(), required=False, help_text="不填则取工作方案分工的参与单位"
    )
    due_date = serializers.DateField(label="办理时限")
    contribution_due_date = serializers.DateField(
        label="配合单位反馈时限", required=False, allow_null=True, default=None
    )


class VersionInput(serializers.Serializer):
    version = serializers.IntegerField(label="版本号", help_text="读取时得到的 version，用于防止覆盖他人的修改")


class WorkInput(VersionInput):
    result = serializers.CharField(label="办理情况", allow_blank=True, trim_whitespace=False)


class ReasonInput(serializers.Serializer):
    reason = serializers.CharField(label="理由", allow_blank=True)


class ReviseInput(ReasonInput, VersionInput):
    pass


class ExtensionInput(ReasonInput):
    new_due_date = serializers.DateField(label="申请延至")


class CommentInput(serializers.Serializer):
    body = serializers.CharField(allow_blank=True)


class DecideInput(serializers.Serializer):
    decision = serializers.ChoiceField(choices=[("approve", "同意"), ("refuse", "不同意")])
    units = serializers.ListField(
        child=serializers.SlugField(), required=False, default=list, help_text="同意退回时改派的单位代码"
    )
    note = serializers.CharField(required=False, allow_blank=True, default="", help_text="不同意时必填理由")
    granted_due_date = serializers.DateField(
        required=False,
        allow_null=True,
        default=None,
        help_text="同意延期时可改为其他日期（部分延期）；不填则为申请的日期",
    )


class UploadInput(serializers.Serializer):
    file = serializers.FileField()


def _valid(serializer_class, request):
    s = serializer_class(data=request.data)
    if not s.is_valid():
        field, errors = next(iter(s.errors.items()))
        label = s.fields[field].label if field in s.fields else field
        raise DomainError(f"{label}：{errors[0]}", code="invalid", field=field)
    return s.validated_data


def _units(codes):
    units = {u.code: u for u in MemberUnit.objects.current().in_current_mechanism().filter(code__in=codes)}
    missing = [c for c in codes if c not in units]
    if missing:
        raise DomainError(f"没有这些成员单位：{'、'.join(missing)}。", field="units")
    return [units[c] for c in codes]


# --- viewsets -----------------------------------------------------------------------------------------


class ItemViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """督办事项 the user may see: all for the convener, deputy and office; their units' otherwise."""

    pagination_class = DuePagination
    serializer_class = ItemSerializer

    def get_queryset(self):
        qs = selectors.items_for_user(self.request.user)
        if self.action == "retrieve":
            qs = qs.prefetch_related("assignments__unit", "assignments__claimed_by__person", "attachments")
        return qs

    def get_serializer_class(self):
        return ItemDetailSerializer if self.action == "retrieve" else ItemSerializer

    def _item(self, pk):
        return selectors.get_item_for_user_or_404(self.request.user, pk)

    def _detail(self, item, status=200):
        item = (
            selectors.items_for_user(self.request.user)
            .prefetch_related("assignments__unit", "assignments__claimed_by__person", "attachments")
            .get(pk=item.pk)
        )
        return Response(ItemDetailSerializer(item).data, status=status)

    @extend_schema(request=ItemCreateInput, responses={201: ItemDetailSerializer}, summary="交办督办事项（办公室）")
    def create(self, request):
        if not request.user.has_perm("members.dispatch"):
            raise Http404
        d = _valid(ItemCreateInput, request)
        from members.models import WorkLine

        work_line = None
        if d["work_line"]:
            work_line = (
                WorkLine.objects.in_current_mechanism()
                .prefetch_related("assignments__unit")
                .filter(pk=d["work_line"])
                .first()
            )
            if work_line is None:
                raise DomainError("没有这个工作方案分工。", field="work_line")
        item = ts.item_dispatch(
            by=request.user,
            title=d["title"],
            content=d["content"],
            source=d["source"],
            source_note=d["source_note"],
            work_line=work_line,
            lead_units=_units(d["lead_units"]) if "lead_units" in d else None,
            participating_units=(_units(d["participating_units"]) if "participating_units" in d else None),
            due_date=d["due_date"],
            contribution_due_date=d["contribution_due_date"],
        )
        return self._detail(item, 201)

    @extend_schema(request=VersionInput, responses=ItemDetailSerializer, summary="办结（办公室）")
    @action(detail=True, methods=["post"])
    def accept(self, request, pk=None):
        item = self._item(pk)
        ts.item_accept(item=item, version=_valid(VersionInput, request)["version"], by=request.user)
        return self._detail(item)

    @extend_schema(request=ReviseInput, responses=ItemDetailSerializer, summary="退回修改（办公室）")
    @action(detail=True, methods=["post"])
    def revise(self, request, pk=None):
        item = self._item(pk)
        d = _valid(ReviseInput, request)
        ts.item_return_for_revision(item=item, reason=d["reason"], version=d["version"], by=request.user)
        return self._detail(item)

    @extend_schema(request=CommentInput, responses={201: None}, summary="发表意见")
    @action(detail=True, methods=["post"])
    def comments(self, request, pk=None):
        item = self._item(pk)
        comment = ts.comment_add(item=item, body=_valid(CommentInput, request)["body"], by=request.user)
        return Response({"id": comment.pk}, status=201)


class TaskViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """The user's units' tasks. The list is 我的待办 (open ones); any of them can be read."""

    serializer_class = AssignmentSerializer
    pagination_class = DuePagination
    parser_classes = [JSONParser, FormParser, MultiPartParser]

    def get_queryset(self):
        qs = Assignment.objects.filter(unit_id__in=selectors.unit_ids_for_user(self.request.user))
        if self.action == "list":
            qs = qs.filter(status__in=Assignment.OPEN)
        return qs.select_related("item", "unit", "claimed_by__person")

    def _task(self, pk) -> Assignment:
        try:
            return self.get_queryset().get(pk=pk)
        except (Assignment.DoesNotExist, ValueError):
            raise Http404 from None

    def _out(self, a, status=200):
        return Response(AssignmentSerializer(self._task(a.pk)).data, status=status)

    @extend_schema(request=None, responses=AssignmentSerializer, summary="签收")
    @action(detail=True, methods=["post"])
    def claim(self, request, pk=None):
        return self._out(ts.assignment_claim(assignment=self._task(pk), by=request.user))

    @extend_schema(request=WorkInput, responses=AssignmentSerializer, summary="暂存办理情况")
    @action(detail=True, methods=["post"])
    def save(self, request, pk=None):
        d = _valid(WorkInput, request)
        return self._out(
            ts.assignment_save(assignment=self._task(pk), result=d["result"], version=d["version"], by=request.user)
        )

    @extend_schema(request=WorkInput, responses=AssignmentSerializer, summary="提交反馈 / 汇总报送")
    @action(detail=True, methods=["post"])
    def submit(self, request, pk=None):
        d = _valid(WorkInput, request)
        return self._out(
            ts.assignment_submit(assignment=self._task(pk), result=d["result"], version=d["version"], by=request.user)
        )

    @extend_schema(request=ExtensionInput, responses={201: RequestSerializer}, summary="申请延期")
    @action(detail=True, methods=["post"])
    def extension(self, request, pk=None):
        a = self._task(pk)
        if not request.data.get("new_due_date"):
            raise DomainError("请填写申请延至的日期。", field="new_due_date")
        d = _valid(ExtensionInput, request)
        req = ts.extension_request(assignment=a, reason=d["reason"], new_due_date=d["new_due_date"], by=request.user)
        return Response(RequestSerializer(req).data, status=201)

    @extend_schema(request=ReasonInput, responses={201: RequestSerializer}, summary="退回（非本单位职责）")
    @action(detail=True, methods=["post"], url_path="return")
    def return_(self, request, pk=None):
        req = ts.return_request(
            assignment=self._task(pk), reason=_valid(ReasonInput, request)["reason"], by=request.user
        )
        return Response(RequestSerializer(req).data, status=201)

    @extend_schema(
        request={"multipart/form-data": UploadInput}, responses={201: AttachmentSerializer}, summary="上传附件"
    )
    @action(detail=True, methods=["post"])
    def attachments(self, request, pk=None):
        a = self._task(pk)
        upload = request.FILES.get("file")
        if upload is None:
            raise DomainError("请选择要上传的文件。", field="file")
        return Response(
            AttachmentSerializer(ts.attachment_add(assignment=a, upload=upload, by=request.user)).data, status=201
        )


class RequestViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """延期/退回 requests waiting for the convener or deputy."""

    serializer_class = RequestSerializer

    def get_queryset(self):
        user = self.request.user
        if not (user.has_perm("members.decide") or is_overseer(user)):
            return UnitRequest.objects.none()
        qs = (
            UnitRequest.objects.select_related("assignment__unit")
            .filter(assignment__unit__mechanism_id=mechanism_id_for(user))
            .order_by("requested_at", "pk")
        )
        return qs.filter(status=UnitRequest.Status.PENDING) if self.action == "list" else qs

    @extend_schema(request=DecideInput, responses=RequestSerializer, summary="决定延期/退回申请（召集人、副召集人）")
    @action(detail=True, methods=["post"])
    def decide(self, request, pk=None):
        req = selectors.get_request_for_decider_or_404(request.user, pk)
        d = _valid(DecideInput, request)
        approve = d["decision"] == "approve"
        if req.kind == UnitRequest.Kind.EXTENSION:
            ts.extension_decide(
                request=req, approve=approve, note=d["note"], by=request.user, granted_due_date=d["granted_due_date"]
            )
        else:
            ts.return_decide(request=req, approve=approve, units=_units(d["units"]), note=d["note"], by=request.user)
        req.refresh_from_db()
        return Response(RequestSerializer(req).data)
