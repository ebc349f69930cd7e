"""督导检查: the joint meeting's inspections of prefectures and pilot communities, the findings its
team records on site (with photos), and the rectification (整改) each finding becomes — a supervised
item (`tasks.Item`) routed through the normal item flow. When that item is 办结, the finding closes
(`inspections.receivers`, on `tasks.signals.item_accepted`). See docs/inspections.md."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from communities.models import Community
from members.models import Mechanism, MemberUnit, ReportingUnit


class Inspection(models.Model):
    class Status(models.TextChoices):
        PLANNED = "planned", _("检查中")
        FINISHED = "finished", _("检查结束")

    # action: (from states, to state) — applied by `services._apply`, the one place a status moves.
    TRANSITIONS = {
        "finish": ((Status.PLANNED,), Status.FINISHED),
    }

    mechanism = models.ForeignKey(Mechanism, on_delete=models.PROTECT, related_name="inspections")
    title = models.CharField(_("检查名称"), max_length=100)
    purpose = models.TextField(_("检查内容"), max_length=2000, blank=True)
    reporting_unit = models.ForeignKey(
        ReportingUnit,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="inspections",
        verbose_name=_("检查市州"),
    )
    community = models.ForeignKey(
        Community,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="inspections",
        verbose_name=_("检查社区"),
    )
    starts_on = models.DateField(_("检查开始日期"))
    ends_on = models.DateField(_("检查结束日期"))
    team = models.ManyToManyField(settings.AUTH_USER_MODEL, related_name="inspections", verbose_name=_("检查组成员"))
    leader = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("检查组组长")
    )
    status = models.CharField(_("状态"), max_length=10, choices=Status.choices, default=Status.PLANNED)
    planned_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("安排人")
    )
    planned_at = models.DateTimeField(_("安排时间"), auto_now_add=True)
    finished_at = models.DateTimeField(_("结束时间"), null=True, blank=True)
    conclusion = models.TextField(_("检查结论"), max_length=3000, blank=True)
    # Counts kept by the services in the transaction of each change, so the list draws closure rates
    # without counting findings per row.
    findings_count = models.PositiveIntegerField(_("问题数"), default=0, editable=False)
    closed_count = models.PositiveIntegerField(_("已整改数"), default=0, editable=False)
    version = models.PositiveIntegerField(default=1)

    class Meta:
        verbose_name = _("督导检查")
        verbose_name_plural = _("督导检查")
        ordering = ["-starts_on", "-id"]
        indexes = [models.Index(fields=["mechanism", "starts_on", "id"], name="inspection_mech_start_idx")]
        constraints = [
            models.CheckConstraint(condition=Q(ends_on__gte=models.F("starts_on")), name="inspection_ends_after_start"),
            models.CheckConstraint(
                condition=Q(reporting_unit__isnull=False) | Q(community__isnull=False), name="inspection_has_a_place"
            ),
        ]

    def __str__(self):
        return self.title

    @property
    def place(self) -> str:
        parts = [
            str(self.reporting_unit) if self.reporting_unit_id else "",
            self.community.name if self.community_id else "",
        ]
        return " · ".join(p for p in parts if p)

    @property
    def closure_rate(self) -> float | None:
        return self.closed_count / self.findings_count if self.findings_count else None


class Finding(models.Model):
    """A problem found on site. The office turns it into a rectification item (lead unit, due date)."""

    class Status(models.TextChoices):
        RECORDED = "recorded", _("待交办整改")
        RECTIFYING = "rectifying", _("整改中")
        CLOSED = "closed", _("已整改")

    TRANSITIONS = {
        "issue": ((Status.RECORDED,), Status.RECTIFYING),
        "close": ((Status.RECTIFYING,), Status.CLOSED),
    }

    inspection = models.ForeignKey(Inspection, on_delete=models.PROTECT, related_name="findings")
    number = models.PositiveSmallIntegerField(_("序号"))
    description = models.TextField(_("问题描述"), max_length=2000)
    requirement = models.TextField(_("整改要求"), max_length=2000, blank=True)
    location = models.CharField(_("具体位置"), max_length=100, blank=True)
    # Who must put it right: a member unit receives the item; a prefecture is named and told.
    reporting_unit = models.ForeignKey(
        ReportingUnit,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="findings",
        verbose_name=_("所在市州"),
    )
    lead_unit = models.ForeignKey(
        MemberUnit,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="findings",
        verbose_name=_("整改牵头单位"),
    )
    due_date = models.DateField(_("整改时限"), null=True, blank=True)
    item = models.OneToOneField(
        "tasks.Item",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        editable=False,
        related_name="finding",
        verbose_name=_("整改督办事项"),
    )
    status = models.CharField(_("状态"), max_length=12, choices=Status.choices, default=Status.RECORDED)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("记录人")
    )
    recorded_at = models.DateTimeField(_("记录时间"), auto_now_add=True)
    issued_at = models.DateTimeField(_("交办时间"), null=True, blank=True)
    closed_at = models.DateTimeField(_("整改完成时间"), null=True, blank=True)
    version = models.PositiveIntegerField(default=1)

    class Meta:
        verbose_name = _("检查发现问题")
        verbose_name_plural = _("检查发现问题")
        ordering = ["inspection", "number"]
        constraints = [models.UniqueConstraint(fields=["inspection", "number"], name="finding_number_unique")]
        indexes = [models.Index(fields=["status", "recorded_at"], name="finding_status_idx")]

    def __str__(self):
        return f"{self.inspection.title} 问题{self.number}"


def _photo_path(instance, filename):
    return f"inspections/{instance.finding.inspection_id}/{filename}"


class FindingPhoto(models.Model):
    finding = models.ForeignKey(Finding, on_delete=models.CASCADE, related_name="photos")
    file = models.FileField(_("文件"), upload_to=_photo_path, max_length=255)
    name = models.CharField(_("文件名"), max_length=120)
    size = models.PositiveIntegerField(_("大小"))
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    uploaded_at = models.DateTimeField(_("上传时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("现场照片")
        verbose_name_plural = _("现场照片")
        ordering = ["uploaded_at", "id"]

    def __str__(self):
        return self.name

    @property
    def is_image(self) -> bool:
        return self.name.lower().endswith((".jpg", ".jpeg", ".png"))
