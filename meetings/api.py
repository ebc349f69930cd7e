"""API of meetings, minutes, agreed matters and membership changes: the same selectors, services and
permissions as the pages (an object the user may not see answers 404; a role that may not act, 403).

    /api/v1/meetings/                          list, create (提议)
    /api/v1/meetings/{id}/decide|schedule|attendance/
    /api/v1/minutes/                           list (drafts only for attending units)
    /api/v1/minutes/{id}/draft|submit|review|issue/
    /api/v1/agreed-matters/                    list with live status and the supervised item's id
    /api/v1/membership-changes/                list, create (人员调整, by the unit)
    /api/v1/membership-changes/{id}/check|confirm/
"""

from django.db.models import OuterRef, Prefetch, Subquery
from django.http import Http404
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from members.models import MemberUnit, Person, Role, RoleAssignment
from members.selectors import units_for_user

from . import selectors as sel
from .models import AgreedMatter, Meeting, MeetingUnit, MembershipChange, Minutes
from .services import meetings as meeting_services, membership as membership_services, minutes as minutes_services


def _units(codes) -> list[MemberUnit]:
    units = list(MemberUnit.objects.in_current_mechanism().filter(code__in=codes))
    if len(units) != len(set(codes)):
        raise serializers.ValidationError({"units": "成员单位代码无效。"})
    order = {c: i for i, c in enumerate(codes)}
    return sorted(units, key=lambda u: order[u.code])


# --- serializers --------------------------------------------------------------------------------------


class MeetingSerializer(serializers.ModelSerializer):
    status_label = serializers.CharField(source="get_status_display", read_only=True)
    proposing_unit = serializers.CharField(source="proposing_unit.code", default=None, allow_null=True, read_only=True)
    units = serializers.SerializerMethodField()
    guests = serializers.SerializerMethodField()
    minutes = serializers.SerializerMethodField()

    class Meta:
        model = Meeting
        fields = [
            "id",
            "title",
            "topics",
            "reasons",
            "proposing_unit",
            "status",
            "status_label",
            "decided_at",
            "decision_note",
            "on_behalf_of_convener",
            "starts_at",
            "place",
            "chair",
            "chair_delegation",
            "units",
            "guests",
            "minutes",
            "version",
        ]

    def get_minutes(self, obj) -> int | None:
        if hasattr(obj, "minutes_pk"):  # the list annotates it (MeetingViewSet.get_queryset): no query a row
            return obj.minutes_pk
        return Minutes.objects.filter(meeting=obj).values_list("pk", flat=True).first()

    def get_units(self, obj) -> list[dict]:
        return [{"unit": mu.unit.code, "attended": mu.attended} for mu in obj.meeting_units.all()]

    def get_guests(self, obj) -> list[dict]:
        return [
            {"kind": g.kind, "name": g.name, "organisation": g.organisation, "attended": g.attended}
            for g in obj.guests.all()
        ]


class ProposeIn(serializers.Serializer):
    title = serializers.CharField(max_length=100)
    topics = serializers.CharField(max_length=3000)
    reasons = serializers.CharField(max_length=3000)
    unit = serializers.CharField(required=False, allow_blank=True, help_text="提议单位代码；为空表示办公室提议")


class DecideIn(serializers.Serializer):
    approve = serializers.BooleanField()
    note = serializers.CharField(required=False, allow_blank=True, max_length=500)
    version = serializers.IntegerField(required=False)


class GuestIn(serializers.Serializer):
    kind = serializers.ChoiceField(choices=["unit", "expert"])
    name = serializers.CharField(max_length=60)
    organisation = serializers.CharField(required=False, allow_blank=True, max_length=100)
    email = serializers.EmailField(required=False, allow_blank=True)


class ScheduleIn(serializers.Serializer):
    starts_at = serializers.DateTimeField()
    place = serializers.CharField(max_length=100)
    chair = serializers.CharField(max_length=60, help_text="召集人或副召集人的姓名")
    chair_delegation = serializers.CharField(
        max_length=200, required=False, allow_blank=True, help_text="副召集人主持时：召集人的委托（方式、日期或文号）"
    )
    units = serializers.ListField(child=serializers.CharField(max_length=32), max_length=50)
    guests = GuestIn(many=True, required=False)
    version = serializers.IntegerField(required=False)


class AttendanceIn(serializers.Serializer):
    units = serializers.ListField(child=serializers.CharField(max_length=32), max_length=50)
    guests = serializers.ListField(child=serializers.IntegerField(), required=False, max_length=50)
    version = serializers.IntegerField(required=False)


class MatterSerializer(serializers.ModelSerializer):
    number_cn = serializers.CharField(read_only=True)
    lead_units = serializers.SerializerMethodField()
    participating_units = serializers.SerializerMethodField()
    live_status = serializers.SerializerMethodField()
    minutes_doc_number = serializers.CharField(source="minutes.doc_number", read_only=True)

    class Meta:
        model = AgreedMatter
        fields = [
            "id",
            "minutes",
            "minutes_doc_number",
            "number",
            "number_cn",
            "content",
            "done_criteria",
            "due_date",
            "lead_units",
            "participating_units",
            "is_major",
            "item",
            "live_status",
        ]

    def get_lead_units(self, obj) -> list[str]:
        return [u.code for u in obj.lead_units]

    def get_participating_units(self, obj) -> list[str]:
        return [u.code for u in obj.participating_units]

    def get_live_status(self, obj) -> dict:
        live = getattr(obj, "live", None) or sel.matter_status(obj)
        return {"code": live["code"], "label": live["label"], "open": live["open"], "colour": live["colour"]}


class MinutesSerializer(serializers.ModelSerializer):
    status_label = serializers.CharField(source="get_status_display", read_only=True)
    matters = serializers.SerializerMethodField()
    reviews = serializers.SerializerMethodField()

    class Meta:
        model = Minutes
        fields = [
            "id",
            "meeting",
            "doc_number",
            "title",
            "summary",
            "status",
            "status_label",
            "round",
            "issued_at",
            "matters",
            "reviews",
            "version",
        ]

    def get_matters(self, obj) -> list[dict]:
        matters = sel.matters_with_status(obj.matters.prefetch_related("unit_roles__unit"))
        return MatterSerializer(matters, many=True).data

    def get_reviews(self, obj) -> list[dict]:
        return [
            {
                "round": r.round,
                "unit": r.unit.code,
                "decision": r.decision,
                "comment": r.comment,
                "acting_for": r.acting_for.name if r.acting_for else None,
            }
            for r in obj.reviews.select_related("unit", "acting_for")
        ]


class MatterIn(serializers.Serializer):
    content = serializers.CharField(max_length=3000)
    done_criteria = serializers.CharField(max_length=500)
    due_date = serializers.DateField()
    lead_units = serializers.ListField(child=serializers.CharField(max_length=32), max_length=20)
    participating_units = serializers.ListField(
        child=serializers.CharField(max_length=32), required=False, max_length=20
    )
    is_major = serializers.BooleanField(required=False, default=False)


class DraftIn(serializers.Serializer):
    title = serializers.CharField(max_length=100)
    summary = serializers.CharField(required=False, allow_blank=True, max_length=5000)
    doc_number = serializers.CharField(required=False, allow_blank=True, max_length=60)
    matters = MatterIn(many=True, max_length=30)
    version = serializers.IntegerField(required=False)


class ReviewIn(serializers.Serializer):
    unit = serializers.CharField(max_length=32)
    agree = serializers.BooleanField()
    comment = serializers.CharField(required=False, allow_blank=True, max_length=2000)


class IssueIn(serializers.Serializer):
    doc_number = serializers.CharField(max_length=60)
    version = serializers.IntegerField(required=False)


class ChangeSerializer(serializers.ModelSerializer):
    status_label = serializers.CharField(source="get_status_display", read_only=True)
    unit = serializers.CharField(source="unit.code", default=None, allow_null=True, read_only=True)
    role = serializers.CharField(source="assignment.role", default=None, allow_null=True, read_only=True)
    from_person = serializers.CharField(source="assignment.person.name", default=None, allow_null=True, read_only=True)
    to_person = serializers.SerializerMethodField()

    class Meta:
        model = MembershipChange
        fields = [
            "id",
            "kind",
            "unit",
            "role",
            "from_person",
            "to_person",
            "new_unit",
            "effective_date",
            "reason",
            "status",
            "status_label",
            "on_behalf_of_convener",
            "decision_note",
            "version",
        ]

    def get_to_person(self, obj) -> str | None:
        return obj.new_person.name if obj.new_person_id else (obj.new_person_name or None)


class ReplaceIn(serializers.Serializer):
    assignment = serializers.IntegerField(help_text="原任职记录 id（本单位的成员或联络员）")
    new_person = serializers.IntegerField(required=False, help_text="本单位已有人员 id")
    new_person_name = serializers.CharField(required=False, allow_blank=True, max_length=30)
    new_person_title = serializers.CharField(required=False, allow_blank=True, max_length=60)
    effective_date = serializers.DateField()
    reason = serializers.CharField(max_length=1000)


class YesNoIn(serializers.Serializer):
    yes = serializers.BooleanField()
    note = serializers.CharField(required=False, allow_blank=True, max_length=500)
    version = serializers.IntegerField(required=False)


def _in(serializer_class, request):
    s = serializer_class(data=request.data)
    s.is_valid(raise_exception=True)
    return s.validated_data


# --- viewsets -----------------------------------------------------------------------------------------


class MeetingViewSet(mixins.CreateModelMixin, viewsets.ReadOnlyModelViewSet):
    serializer_class = MeetingSerializer
    queryset = Meeting.objects.none()  # the schema's model; reads go through get_queryset

    def get_queryset(self):
        # Constant queries a page: the units and guests prefetched, the minutes' id annotated.
        return (
            sel.meetings_for_user(self.request.user)
            .prefetch_related("guests", Prefetch("meeting_units", queryset=MeetingUnit.objects.select_related("unit")))
            .annotate(minutes_pk=Subquery(Minutes.objects.filter(meeting=OuterRef("pk")).values("pk")[:1]))
            .order_by("-id")
        )

    @extend_schema(request=ProposeIn, responses=MeetingSerializer, summary="提议召开会议")
    def create(self, request):
        d = _in(ProposeIn, request)
        unit = None
        if d.get("unit"):
            unit = units_for_user(request.user).filter(code=d["unit"]).first()
            if unit is None:
                raise Http404
        m = meeting_services.meeting_propose(
            title=d["title"], topics=d["topics"], reasons=d["reasons"], unit=unit, by=request.user
        )
        return Response(MeetingSerializer(m).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=DecideIn, responses=MeetingSerializer, summary="召集人审批")
    @action(detail=True, methods=["post"])
    def decide(self, request, pk=None):
        d = _in(DecideIn, request)
        m = meeting_services.meeting_decide(
            meeting=self.get_object(),
            approve=d["approve"],
            note=d.get("note", ""),
            by=request.user,
            version=d.get("version"),
        )
        return Response(MeetingSerializer(m).data)

    @extend_schema(request=ScheduleIn, responses=MeetingSerializer, summary="安排会议并发通知（办公室）")
    @action(detail=True, methods=["post"])
    def schedule(self, request, pk=None):
        meeting = self.get_object()
        d = _in(ScheduleIn, request)
        m = meeting_services.meeting_schedule(
            meeting=meeting,
            starts_at=d["starts_at"],
            place=d["place"],
            chair=d["chair"],
            chair_delegation=d.get("chair_delegation", ""),
            units=_units(d["units"]),
            guests=d.get("guests", []),
            by=request.user,
            version=d.get("version"),
        )
        return Response(MeetingSerializer(m).data)

    @extend_schema(request=AttendanceIn, responses=MinutesSerializer, summary="登记出席（办公室）")
    @action(detail=True, methods=["post"])
    def attendance(self, request, pk=None):
        meeting = self.get_object()
        d = _in(AttendanceIn, request)
        guests = list(meeting.guests.filter(pk__in=d.get("guests", [])))
        minutes = meeting_services.meeting_attendance_record(
            meeting=meeting,
            attended_units=_units(d["units"]),
            attended_guests=guests,
            by=request.user,
            version=d.get("version"),
        )
        return Response(MinutesSerializer(minutes).data)


class MinutesViewSet(viewsets.ReadOnlyModelViewSet):
    serializer_class = MinutesSerializer
    queryset = Minutes.objects.none()  # the schema's model; reads go through get_queryset

    def get_queryset(self):
        return sel.minutes_for_user(self.request.user).order_by("-id")

    @extend_schema(request=DraftIn, responses=MinutesSerializer, summary="起草/修改纪要（办公室）")
    @action(detail=True, methods=["put"])
    def draft(self, request, pk=None):
        minutes = self.get_object()
        d = _in(DraftIn, request)
        matters = [
            {
                **m,
                "lead_units": _units(m["lead_units"]),
                "participating_units": _units(m.get("participating_units", [])),
            }
            for m in d["matters"]
        ]
        minutes = minutes_services.minutes_save(
            minutes=minutes,
            title=d["title"],
            summary=d.get("summary", ""),
            doc_number=d.get("doc_number", ""),
            matters=matters,
            by=request.user,
            version=d.get("version"),
        )
        return Response(MinutesSerializer(minutes).data)

    @extend_schema(request=None, responses=MinutesSerializer, summary="送出席单位会签（办公室）")
    @action(detail=True, methods=["post"])
    def submit(self, request, pk=None):
        minutes = minutes_services.minutes_submit(
            minutes=self.get_object(), by=request.user, version=request.data.get("version")
        )
        return Response(MinutesSerializer(minutes).data)

    @extend_schema(request=ReviewIn, responses=MinutesSerializer, summary="出席单位会签")
    @action(detail=True, methods=["post"])
    def review(self, request, pk=None):
        minutes = self.get_object()
        d = _in(ReviewIn, request)
        unit = units_for_user(request.user).filter(code=d["unit"]).first()
        if unit is None:
            raise Http404
        minutes_services.minutes_review(
            minutes=minutes, unit=unit, agree=d["agree"], comment=d.get("comment", ""), by=request.user
        )
        minutes.refresh_from_db()
        return Response(MinutesSerializer(minutes).data)

    @extend_schema(request=IssueIn, responses=MinutesSerializer, summary="印发纪要并交办（办公室）")
    @action(detail=True, methods=["post"])
    def issue(self, request, pk=None):
        d = _in(IssueIn, request)
        minutes = minutes_services.minutes_issue(
            minutes=self.get_object(), doc_number=d["doc_number"], by=request.user, version=d.get("version")
        )
        return Response(MinutesSerializer(minutes).data)


class AgreedMatterViewSet(viewsets.ReadOnlyModelViewSet):
    serializer_class = MatterSerializer
    queryset = AgreedMatter.objects.none()  # the schema's model; reads go through get_queryset

    def get_queryset(self):
        return sel.matters_for_user(self.request.user).order_by("-minutes_id", "number")

    def list(self, request, *args, **kwargs):
        page = self.paginate_queryset(self.filter_queryset(self.get_queryset()))
        return self.get_paginated_response(self.get_serializer(sel.matters_with_status(page), many=True).data)


class MembershipChangeViewSet(mixins.CreateModelMixin, viewsets.ReadOnlyModelViewSet):
    serializer_class = ChangeSerializer
    queryset = MembershipChange.objects.none()  # the schema's model; reads go through get_queryset

    def get_queryset(self):
        return sel.changes_for_user(self.request.user).order_by("-id")

    @extend_schema(request=ReplaceIn, responses=ChangeSerializer, summary="提出本单位人员调整")
    def create(self, request):
        d = _in(ReplaceIn, request)
        units = units_for_user(request.user)
        # Another unit's role or person does not exist for this user.
        assignment = (
            RoleAssignment.objects.active()
            .filter(pk=d["assignment"], unit__in=units, role__in=[Role.MEMBER, Role.LIAISON])
            .first()
        )
        if assignment is None:
            raise Http404
        new_person = None
        if d.get("new_person"):
            new_person = Person.objects.filter(pk=d["new_person"], unit__in=units).first()
            if new_person is None:
                raise Http404
        change = membership_services.change_propose_replace(
            assignment=assignment,
            new_person=new_person,
            new_person_name=d.get("new_person_name", ""),
            new_person_title=d.get("new_person_title", ""),
            effective_date=d["effective_date"],
            reason=d["reason"],
            by=request.user,
        )
        return Response(ChangeSerializer(change).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=YesNoIn, responses=ChangeSerializer, summary="办公室审核")
    @action(detail=True, methods=["post"])
    def check(self, request, pk=None):
        d = _in(YesNoIn, request)
        change = membership_services.change_check(
            change=self.get_object(), passed=d["yes"], note=d.get("note", ""), by=request.user, version=d.get("version")
        )
        return Response(ChangeSerializer(change).data)

    @extend_schema(request=YesNoIn, responses=ChangeSerializer, summary="召集人确认")
    @action(detail=True, methods=["post"])
    def confirm(self, request, pk=None):
        d = _in(YesNoIn, request)
        change = membership_services.change_confirm(
            change=self.get_object(),
            confirm=d["yes"],
            note=d.get("note", ""),
            by=request.user,
            version=d.get("version"),
        )
        return Response(ChangeSerializer(change).data)
