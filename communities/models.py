"""The green-community ledger (台账): communities, their creation status over time, pilots, and
assessments against the province's creation standard.

Statuses change only through `services` (one transition table each); history is kept, never
overwritten: `CommunityStatusChange` for a community, `AssessmentStep` for an assessment."""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from viewflow.workflow.models import Process

from members.models import ReportingUnit

FORMULA_PREFIXES = ("=", "+", "-", "@")


def validate_no_formula(value: str):
    """A text that a spreadsheet would run as a formula is refused at the door (CSV/Excel injection)."""
    if value and value.lstrip().startswith(FORMULA_PREFIXES):
        raise ValidationError(_("不能以 =、+、-、@ 开头。"), code="formula")


class CreationStatus(models.TextChoices):
    NOT_STARTED = "not_started", _("未启动")
    TAKING_PART = "taking_part", _("参与创建")
    SELF_ASSESSED = "self_assessed", _("已自评")
    ASSESSED = "assessed", _("已评估")
    MEETS_STANDARD = "meets_standard", _("达到创建标准")
    PILOT = "pilot", _("试点社区")


class Renovation(models.TextChoices):
    NONE = "none", _("无改造任务")
    PLANNED = "planned", _("列入改造计划")
    IN_PROGRESS = "in_progress", _("正在改造")
    FINISHED = "finished", _("已完成改造")


class Community(models.Model):
    """An urban community (城市社区: the area of one residents' committee) in a prefecture's ledger."""

    reporting_unit = models.ForeignKey(
        ReportingUnit, on_delete=models.PROTECT, related_name="communities", verbose_name=_("市州")
    )
    county = models.CharField(_("县（市、区）"), max_length=40, blank=True, validators=[validate_no_formula])
    name = models.CharField(_("社区名称"), max_length=60, validators=[validate_no_formula])
    residents_committee = models.CharField(
        _("社区居民委员会"), max_length=80, blank=True, validators=[validate_no_formula]
    )
    old_estates = models.CharField(
        _("老旧小区"),
        max_length=200,
        blank=True,
        validators=[validate_no_formula],
        help_text=_("社区内纳入改造的老旧小区名称，多个用顿号分隔。"),
    )
    renovation = models.CharField(_("老旧小区改造"), max_length=16, choices=Renovation.choices, default=Renovation.NONE)
    status = models.CharField(
        _("创建状态"), max_length=16, choices=CreationStatus.choices, default=CreationStatus.NOT_STARTED
    )
    standard_met_on = models.DateField(
        _("达标日期"), null=True, blank=True, help_text=_("办公室确认评估达标之日；计入当年及以后的目标。")
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    # action → (from states, to state), applied by workflow.transitions.transition_apply only.
    # A return goes back to “taking part”, or to “pilot” for a provincial pilot.
    TRANSITIONS = {
        "join": ({CreationStatus.NOT_STARTED}, CreationStatus.TAKING_PART),
        "make_pilot": ({CreationStatus.NOT_STARTED, CreationStatus.TAKING_PART}, CreationStatus.PILOT),
        "self_assess": ({CreationStatus.TAKING_PART, CreationStatus.PILOT}, CreationStatus.SELF_ASSESSED),
        "assess": ({CreationStatus.SELF_ASSESSED}, CreationStatus.ASSESSED),
        "meet_standard": ({CreationStatus.ASSESSED}, CreationStatus.MEETS_STANDARD),
        "return_to_self_assessed": ({CreationStatus.ASSESSED}, CreationStatus.SELF_ASSESSED),
        "return_to_taking_part": ({CreationStatus.SELF_ASSESSED, CreationStatus.ASSESSED}, CreationStatus.TAKING_PART),
        "return_to_pilot": ({CreationStatus.SELF_ASSESSED, CreationStatus.ASSESSED}, CreationStatus.PILOT),
    }

    class Meta:
        verbose_name = _("社区")
        verbose_name_plural = _("社区台账")
        ordering = ["reporting_unit_id", "county", "name"]
        constraints = [
            models.UniqueConstraint(
                fields=["reporting_unit", "name"],
                name="community_name_unique_in_unit",
                violation_error_message=_("本地区已有同名社区。"),
            ),
        ]
        indexes = [
            # the ledger's order (unit, county, name): a page of 50 is an index scan, not a sort
            models.Index(fields=["reporting_unit", "county", "name"], name="community_ledger_order_idx"),
            models.Index(fields=["renovation"], name="community_renovation_idx", condition=~Q(renovation="none")),
        ]

    def __str__(self):
        return f"{self.reporting_unit.name}{self.county}{self.name}"

    @property
    def meets_standard(self) -> bool:
        return self.standard_met_on is not None


class CommunityStatusChange(models.Model):
    community = models.ForeignKey(Community, on_delete=models.CASCADE, related_name="status_changes")
    from_status = models.CharField(max_length=16, choices=CreationStatus.choices, blank=True)
    to_status = models.CharField(max_length=16, choices=CreationStatus.choices)
    at = models.DateTimeField(auto_now_add=True)
    by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+")
    reason = models.CharField(_("说明"), max_length=300, blank=True)

    class Meta:
        verbose_name = _("创建状态变更")
        verbose_name_plural = _("创建状态变更")
        ordering = ["community", "id"]


class PilotNomination(models.Model):
    """A prefecture proposes one of its communities as a provincial pilot (报送试点社区相关情况)."""

    community = models.ForeignKey(Community, on_delete=models.PROTECT, related_name="nominations")
    year = models.PositiveSmallIntegerField(_("年度"))
    reason = models.TextField(_("推荐理由"), max_length=2000)
    nominated_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    nominated_at = models.DateTimeField(auto_now_add=True)
    # The October submission (试点社区相关情况) that carries the nomination to the lead unit, when the
    # mechanism has that rule and the prefecture owes it for this year.
    obligation = models.ForeignKey(
        "deadlines.Obligation",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("随报送任务"),
    )

    class Meta:
        verbose_name = _("试点社区推荐")
        verbose_name_plural = _("试点社区推荐")
        ordering = ["-year", "community__reporting_unit__order", "id"]
        constraints = [models.UniqueConstraint(fields=["community", "year"], name="one_nomination_per_year")]


class PilotSelection(models.Model):
    """The joint meeting's choice of 2–3 provincial pilots: the office records it, the convener
    (or deputy) confirms it."""

    class Status(models.TextChoices):
        RECORDED = "recorded", _("待召集人确认")
        CONFIRMED = "confirmed", _("已确认")

    year = models.PositiveSmallIntegerField(_("年度"))
    communities = models.ManyToManyField(Community, related_name="pilot_selections", verbose_name=_("试点社区"))
    decision = models.CharField(
        _("决定依据"), max_length=200, help_text=_("如：第X次联席会议纪要"), validators=[validate_no_formula]
    )
    decided_on = models.DateField(_("会议日期"))
    status = models.CharField(_("状态"), max_length=12, choices=Status.choices, default=Status.RECORDED)
    TRANSITIONS = {"confirm": ({Status.RECORDED}, Status.CONFIRMED)}
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField(auto_now_add=True)
    confirmed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    confirmed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("省级试点社区确定")
        verbose_name_plural = _("省级试点社区确定")
        ordering = ["-year"]
        constraints = [models.UniqueConstraint(fields=["year"], name="one_pilot_selection_per_year")]

    def __str__(self):
        return f"{self.year}年省级试点社区"


class Assessment(models.Model):
    """One assessment of a community against the standard of `standard` (the province code whose
    standards file was in force when it started). Facts are entered; the result is computed."""

    class Status(models.TextChoices):
        DRAFT = "draft", _("自评填报中")
        SUBMITTED = "submitted", _("待市州审核")
        REVIEWED = "reviewed", _("待办公室确认")
        CONFIRMED = "confirmed", _("已确认")

    OPEN = (Status.DRAFT, Status.SUBMITTED, Status.REVIEWED)
    TRANSITIONS = {
        "submit": ({Status.DRAFT}, Status.SUBMITTED),
        "review": ({Status.SUBMITTED}, Status.REVIEWED),
        "return": ({Status.SUBMITTED}, Status.DRAFT),  # the prefecture returns the self-assessment
        "confirm": ({Status.REVIEWED}, Status.CONFIRMED),
        "office_return": ({Status.REVIEWED}, Status.SUBMITTED),  # the office returns it to the prefecture
    }

    community = models.ForeignKey(Community, on_delete=models.PROTECT, related_name="assessments")
    standard = models.CharField(_("评价标准"), max_length=32)
    year = models.PositiveSmallIntegerField(_("年度"))
    status = models.CharField(_("状态"), max_length=12, choices=Status.choices, default=Status.DRAFT)
    facts = models.JSONField(_("填报内容"), default=dict, blank=True)
    result = models.JSONField(_("评价结果"), default=dict, blank=True)
    total = models.PositiveSmallIntegerField(_("得分"), null=True, blank=True)
    passed = models.BooleanField(_("达到标准"), null=True)
    last_reason = models.CharField(_("最近退回理由"), max_length=500, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    confirmed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("创建评估")
        verbose_name_plural = _("创建评估")
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["community"],
                condition=Q(status__in=["draft", "submitted", "reviewed"]),
                name="one_open_assessment_per_community",
            ),
        ]
        indexes = [models.Index(fields=["status", "community"], name="assessment_status_idx")]

    def __str__(self):
        return f"{self.community.name} {self.year}年评估"

    @property
    def is_open(self) -> bool:
        return self.status in self.OPEN


class AssessmentStep(models.Model):
    """What happened to an assessment, in order: shown on its page."""

    class Action(models.TextChoices):
        STARTED = "started", _("开始自评")
        SUBMITTED = "submitted", _("提交自评")
        APPROVED = "approved", _("市州审核通过")
        RETURNED = "returned", _("市州退回修改")
        CONFIRMED = "confirmed", _("办公室确认")
        OFFICE_RETURNED = "office_returned", _("办公室退回市州")

    assessment = models.ForeignKey(Assessment, on_delete=models.CASCADE, related_name="steps")
    action = models.CharField(max_length=16, choices=Action.choices)
    by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    at = models.DateTimeField(auto_now_add=True)
    reason = models.CharField(_("理由"), max_length=500, blank=True)

    class Meta:
        ordering = ["assessment", "id"]


def evidence_path(instance, filename):
    return f"communities/evidence/{instance.assessment_id}/{instance.stored_name}"


class AssessmentEvidence(models.Model):
    """An attachment backing an assessment (photos, documents). Served only through the
    assessment's permission check, never from a public media URL."""

    assessment = models.ForeignKey(Assessment, on_delete=models.CASCADE, related_name="evidence")
    item_no = models.PositiveSmallIntegerField(_("对应条目"), null=True, blank=True)
    file = models.FileField(upload_to=evidence_path, max_length=200)
    stored_name = models.CharField(max_length=80)
    original_name = models.CharField(_("文件名"), max_length=120)
    size = models.PositiveIntegerField()
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    uploaded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("证明材料")
        verbose_name_plural = _("证明材料")
        ordering = ["assessment", "item_no", "id"]


class AssessmentProcess(Process):
    """The viewflow process carrying one assessment through self-assessment, prefecture review
    and office confirmation (communities.flows.AssessmentFlow)."""

    assessment = models.OneToOneField(Assessment, on_delete=models.PROTECT, related_name="process")

    class Meta:
        verbose_name = _("评估流程")
        verbose_name_plural = _("评估流程")


def support_path(instance, filename):
    return f"pilot-support/{instance.community_id}/{filename}"


class PilotSupport(models.Model):
    """Support the joint meeting gives a pilot community (政策和资金支持, 黔建城通〔2020〕87号 四（二）):
    recorded by the office, shown on the pilot's page and in the progress report."""

    class Kind(models.TextChoices):
        POLICY = "policy", _("政策支持")
        FUNDS = "funds", _("资金支持")

    community = models.ForeignKey(
        Community, on_delete=models.PROTECT, related_name="supports", verbose_name=_("试点社区")
    )
    kind = models.CharField(_("支持类别"), max_length=8, choices=Kind.choices)
    title = models.CharField(_("支持内容"), max_length=200, validators=[validate_no_formula])
    # 万元, two decimals: what funding documents state.
    amount = models.DecimalField(_("金额（万元）"), max_digits=12, decimal_places=2, null=True, blank=True)
    given_on = models.DateField(_("日期"))
    document = models.CharField(
        _("依据文件"), max_length=200, blank=True, validators=[validate_no_formula], help_text=_("文件名称或文号。")
    )
    file = models.FileField(_("文件"), upload_to=support_path, max_length=255, blank=True)
    file_name = models.CharField(_("文件名"), max_length=120, blank=True)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("试点社区支持")
        verbose_name_plural = _("试点社区支持")
        ordering = ["-given_on", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=~Q(kind="funds") | Q(amount__isnull=False, amount__gt=0),
                name="pilot_support_funds_have_amount",
            ),
        ]

    def __str__(self):
        return f"{self.community.name} {self.get_kind_display()}：{self.title}"
