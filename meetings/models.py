"""Meetings of the joint meeting, their minutes (纪要) and numbered agreed matters (议定事项), the
attending units' agreement on a draft, major matters (重大事项) escalated to the province, progress
notices (通报), and proposed changes to the membership.

Each process also has a viewflow process (proxies at the bottom) that only routes; the state the
pages, the API and the permission checks rely on lives in these tables. See docs/meetings.md."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from viewflow.workflow.models import Process

from members.models import Division, Mechanism, MemberUnit, Person, RoleAssignment

CN_NUMERALS = "零一二三四五六七八九十"


def cn_number(n: int) -> str:
    """1 → 一, 10 → 十, 12 → 十二, 23 → 二十三 (clause numbers of a 纪要 rarely pass 99)."""
    if n <= 10:
        return CN_NUMERALS[n]
    tens, ones = divmod(n, 10)
    return f"{'' if tens == 1 else CN_NUMERALS[tens]}十{CN_NUMERALS[ones] if ones else ''}"


class Meeting(models.Model):
    class Status(models.TextChoices):
        PROPOSED = "proposed", _("待召集人审批")
        APPROVED = "approved", _("待办公室安排")
        DECLINED = "declined", _("未同意召开")
        SCHEDULED = "scheduled", _("已发出通知")
        HELD = "held", _("已召开")

    # action → (from states, to state), applied by workflow.transitions.transition_apply only.
    TRANSITIONS = {
        "approve": ({Status.PROPOSED}, Status.APPROVED),
        "decline": ({Status.PROPOSED}, Status.DECLINED),
        "schedule": ({Status.APPROVED}, Status.SCHEDULED),
        "hold": ({Status.SCHEDULED}, Status.HELD),
    }

    mechanism = models.ForeignKey(Mechanism, on_delete=models.PROTECT, related_name="meetings")
    title = models.CharField(_("会议名称"), max_length=100)
    topics = models.TextField(_("议题"), max_length=3000)
    reasons = models.TextField(_("提议理由"), max_length=3000)
    proposing_unit = models.ForeignKey(
        MemberUnit,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="proposed_meetings",
        verbose_name=_("提议单位"),
        help_text=_("为空表示由联席会议办公室提议。"),
    )
    # Empty for a regular meeting (例会) generated from the mechanism's rule (`regular_period`).
    proposed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
        blank=True,
        verbose_name=_("提议人"),
    )
    proposed_at = models.DateTimeField(_("提议时间"), auto_now_add=True)
    status = models.CharField(_("状态"), max_length=12, choices=Status.choices, default=Status.PROPOSED)
    # 例会: the period of the rule it was generated for ("2026-H1"), the date the rule plans it for,
    # and the day until which units may propose agenda items (议题征集截止).
    regular_period = models.CharField(_("例会期次"), max_length=20, blank=True, editable=False)
    planned_on = models.DateField(_("计划召开日期"), null=True, blank=True)
    agenda_cutoff = models.DateField(_("议题征集截止日期"), null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("审批人"),
    )
    decided_at = models.DateTimeField(_("审批时间"), null=True, blank=True)
    decision_note = models.CharField(_("审批意见"), max_length=500, blank=True)
    # The deputy convener chairs and decides "受召集人委托" (工作规则): the record must say so.
    on_behalf_of_convener = models.BooleanField(_("受召集人委托"), default=False)
    starts_at = models.DateTimeField(_("会议时间"), null=True, blank=True)
    place = models.CharField(_("会议地点"), max_length=100, blank=True)
    # The chair as shown (kept for meetings scheduled before the rule, whose chair was typed).
    chair = models.CharField(_("主持"), max_length=60, blank=True)
    # The rule (notice 三): 由召集人或召集人委托副召集人主持. A deputy chairs only with the delegation recorded.
    chair_person = models.ForeignKey(
        Person, on_delete=models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("主持人")
    )
    chair_delegation = models.CharField(
        _("召集人委托"), max_length=200, blank=True, help_text=_("副召集人主持时填写：委托方式、日期或文号。")
    )
    units = models.ManyToManyField(
        MemberUnit, through="MeetingUnit", related_name="meetings", verbose_name=_("参会成员单位")
    )
    invited_at = models.DateTimeField(_("通知发出时间"), null=True, blank=True)
    version = models.PositiveIntegerField(default=1)

    class Meta:
        verbose_name = _("会议")
        verbose_name_plural = _("会议")
        ordering = ["-proposed_at", "-id"]
        indexes = [models.Index(fields=["status", "starts_at"], name="meeting_status_start_idx")]
        constraints = [
            models.UniqueConstraint(
                fields=["mechanism", "regular_period"],
                condition=~Q(regular_period=""),
                name="meeting_one_regular_per_period",
            )
        ]

    def __str__(self):
        return self.title

    @property
    def is_declined(self) -> bool:
        return self.status == self.Status.DECLINED


class AgendaProposal(models.Model):
    """A unit's proposed agenda item (议题) for a meeting, before its agenda cutoff."""

    meeting = models.ForeignKey(Meeting, on_delete=models.CASCADE, related_name="agenda_proposals")
    unit = models.ForeignKey(
        MemberUnit,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("提出单位"),
        help_text=_("为空表示联席会议办公室。"),
    )
    topic = models.CharField(_("议题"), max_length=200)
    note = models.TextField(_("说明"), max_length=2000, blank=True)
    proposed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    proposed_at = models.DateTimeField(_("提出时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("议题建议")
        verbose_name_plural = _("议题建议")
        ordering = ["proposed_at", "id"]

    def __str__(self):
        return self.topic


class MeetingUnit(models.Model):
    """A member unit convened to a meeting; `attended` is recorded after the meeting."""

    meeting = models.ForeignKey(Meeting, on_delete=models.CASCADE, related_name="meeting_units")
    unit = models.ForeignKey(MemberUnit, on_delete=models.PROTECT, related_name="meeting_units")
    attended = models.BooleanField(_("出席"), null=True, blank=True)
    attendees = models.CharField(_("出席人员"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("参会成员单位")
        verbose_name_plural = _("参会成员单位")
        ordering = ["unit__order", "id"]
        constraints = [models.UniqueConstraint(fields=["meeting", "unit"], name="meeting_unit_unique")]
        indexes = [models.Index(fields=["unit", "attended"], name="meeting_unit_attended_idx")]


class Guest(models.Model):
    """An invited unit, locality or expert: names and organisations, not accounts."""

    class Kind(models.TextChoices):
        UNIT = "unit", _("列席单位")
        EXPERT = "expert", _("特邀专家")

    meeting = models.ForeignKey(Meeting, on_delete=models.CASCADE, related_name="guests")
    kind = models.CharField(_("类别"), max_length=8, choices=Kind.choices)
    name = models.CharField(_("名称/姓名"), max_length=60)
    organisation = models.CharField(_("单位/职务"), max_length=100, blank=True)
    email = models.EmailField(_("电子邮箱"), blank=True)
    attended = models.BooleanField(_("出席"), null=True, blank=True)

    class Meta:
        verbose_name = _("列席单位与专家")
        verbose_name_plural = _("列席单位与专家")
        ordering = ["kind", "id"]

    def __str__(self):
        return f"{self.name}（{self.organisation}）" if self.organisation else self.name


class Minutes(models.Model):
    class Status(models.TextChoices):
        DRAFTING = "drafting", _("起草中")
        CONSULTING = "consulting", _("征求意见中")
        AGREED = "agreed", _("会签完成，待印发")
        ISSUED = "issued", _("已印发")

    TRANSITIONS = {
        "consult": ({Status.DRAFTING}, Status.CONSULTING),
        "revise": ({Status.CONSULTING}, Status.DRAFTING),  # a unit asked for changes
        "agree": ({Status.CONSULTING}, Status.AGREED),
        "issue": ({Status.AGREED}, Status.ISSUED),
    }

    meeting = models.OneToOneField(Meeting, on_delete=models.PROTECT, related_name="minutes")
    doc_number = models.CharField(_("文号"), max_length=60, blank=True)
    title = models.CharField(_("标题"), max_length=100)
    summary = models.TextField(_("会议概述"), max_length=5000, blank=True)
    status = models.CharField(_("状态"), max_length=12, choices=Status.choices, default=Status.DRAFTING)
    # Each time the office sends the draft out, a new round of agreement starts.
    round = models.PositiveSmallIntegerField(_("征求意见轮次"), default=0)
    issued_at = models.DateTimeField(_("印发时间"), null=True, blank=True)
    issued_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("印发人"),
    )
    version = models.PositiveIntegerField(default=1)

    class Meta:
        verbose_name = _("会议纪要")
        verbose_name_plural = _("会议纪要")
        constraints = [
            models.UniqueConstraint(
                fields=["doc_number"], condition=~Q(doc_number=""), name="minutes_doc_number_unique"
            )
        ]

    def __str__(self):
        return self.title

    @property
    def is_drafting(self) -> bool:
        """The office may still edit the draft (before it goes out, or after units asked for changes)."""
        return self.status == self.Status.DRAFTING

    @property
    def is_issued(self) -> bool:
        return self.status == self.Status.ISSUED


class AgreedMatter(models.Model):
    """A numbered clause of the minutes. Once the minutes are issued it becomes a 督办事项 (`item`)."""

    minutes = models.ForeignKey(Minutes, on_delete=models.CASCADE, related_name="matters")
    number = models.PositiveSmallIntegerField(_("序号"))
    content = models.TextField(_("议定内容"), max_length=3000)
    done_criteria = models.CharField(_("完成标准"), max_length=500)
    due_date = models.DateField(_("完成时限"))
    units = models.ManyToManyField(MemberUnit, through="AgreedMatterUnit", related_name="agreed_matters")
    is_major = models.BooleanField(_("重大事项"), default=False, help_text=_("需向省委、省政府报告。"))
    item = models.OneToOneField(
        "tasks.Item",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        editable=False,
        related_name="agreed_matter",
        verbose_name=_("督办事项"),
        help_text=_("印发后交办生成的督办事项。"),
    )

    class Meta:
        verbose_name = _("议定事项")
        verbose_name_plural = _("议定事项")
        ordering = ["minutes", "number"]
        constraints = [models.UniqueConstraint(fields=["minutes", "number"], name="agreed_matter_number_unique")]

    def __str__(self):
        return f"{self.minutes.title} 第{cn_number(self.number)}条"

    @property
    def number_cn(self):
        return cn_number(self.number)

    def units_with(self, role):
        return [mu.unit for mu in sorted(self.unit_roles.all(), key=lambda r: (r.order, r.pk)) if mu.role == role]

    @property
    def lead_units(self):
        return self.units_with(AgreedMatterUnit.LEAD)

    @property
    def participating_units(self):
        return self.units_with(AgreedMatterUnit.PARTICIPATING)


class AgreedMatterUnit(models.Model):
    LEAD = "lead"
    PARTICIPATING = "participating"
    ROLE_CHOICES = [(LEAD, _("牵头单位")), (PARTICIPATING, _("参与单位"))]

    matter = models.ForeignKey(AgreedMatter, on_delete=models.CASCADE, related_name="unit_roles")
    unit = models.ForeignKey(MemberUnit, on_delete=models.PROTECT, related_name="+")
    role = models.CharField(_("分工"), max_length=16, choices=ROLE_CHOICES)
    order = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["matter", "role", "order"]
        constraints = [models.UniqueConstraint(fields=["matter", "unit"], name="agreed_matter_unit_unique")]


class MinutesReview(models.Model):
    """An attending unit's answer to one round of the draft: agree, or ask for changes."""

    class Decision(models.TextChoices):
        AGREE = "agree", _("同意")
        CHANGES = "changes", _("提出修改意见")

    minutes = models.ForeignKey(Minutes, on_delete=models.CASCADE, related_name="reviews")
    round = models.PositiveSmallIntegerField(_("轮次"))
    unit = models.ForeignKey(MemberUnit, on_delete=models.PROTECT, related_name="+")
    decision = models.CharField(_("意见"), max_length=8, choices=Decision.choices)
    comment = models.TextField(_("修改意见"), max_length=2000, blank=True)
    by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    acting_for = models.ForeignKey(
        Person, on_delete=models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("代理的A角")
    )
    at = models.DateTimeField(_("时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("纪要会签意见")
        verbose_name_plural = _("纪要会签意见")
        ordering = ["round", "at", "id"]
        constraints = [models.UniqueConstraint(fields=["minutes", "round", "unit"], name="minutes_review_once")]


class Escalation(models.Model):
    """A major matter reported up to the provincial Party committee and government: from an agreed
    matter of issued minutes (`matter`), or raised at any time by a unit or the office (`title`,
    `description`, `raised_by_unit`)."""

    class Status(models.TextChoices):
        DRAFTING = "drafting", _("起草报告")
        AWAITING_APPROVAL = "awaiting_approval", _("待召集人审定")
        APPROVED = "approved", _("待报送")
        SENT = "sent", _("已报送，待批复")
        REPLIED = "replied", _("已收到批复")
        CLOSED = "closed", _("已办结")

    TRANSITIONS = {
        "submit": ({Status.DRAFTING}, Status.AWAITING_APPROVAL),
        "approve": ({Status.AWAITING_APPROVAL}, Status.APPROVED),
        "return": ({Status.AWAITING_APPROVAL}, Status.DRAFTING),
        "send": ({Status.APPROVED}, Status.SENT),
        "reply": ({Status.SENT}, Status.REPLIED),
        "close": ({Status.REPLIED}, Status.CLOSED),
    }

    mechanism = models.ForeignKey(Mechanism, on_delete=models.PROTECT, null=True, related_name="escalations")
    matter = models.OneToOneField(
        AgreedMatter, on_delete=models.PROTECT, related_name="escalation", null=True, blank=True
    )
    title = models.CharField(_("事项"), max_length=100, blank=True)
    description = models.TextField(_("事项说明"), max_length=5000, blank=True)
    raised_by_unit = models.ForeignKey(
        MemberUnit,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("提出单位"),
        help_text=_("为空表示联席会议办公室。"),
    )
    raised_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("提出人"),
    )
    raised_at = models.DateTimeField(_("提出时间"), null=True, blank=True)
    report = models.TextField(_("请示报告"), max_length=10000, blank=True)
    sent_to = models.CharField(_("报送机关"), max_length=60, default="省委、省政府")
    status = models.CharField(_("状态"), max_length=20, choices=Status.choices, default=Status.DRAFTING)
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("审定人"),
    )
    approved_at = models.DateTimeField(_("审定时间"), null=True, blank=True)
    on_behalf_of_convener = models.BooleanField(_("受召集人委托"), default=False)
    sent_on = models.DateField(_("报送日期"), null=True, blank=True)
    reply = models.TextField(_("批复内容"), max_length=5000, blank=True)
    reply_on = models.DateField(_("批复日期"), null=True, blank=True)
    closed_at = models.DateTimeField(_("办结时间"), null=True, blank=True)
    version = models.PositiveIntegerField(default=1)

    class Meta:
        verbose_name = _("重大事项报告")
        verbose_name_plural = _("重大事项报告")
        ordering = ["-id"]
        constraints = [
            models.CheckConstraint(condition=Q(matter__isnull=False) | ~Q(title=""), name="escalation_has_a_subject")
        ]

    def __str__(self):
        return f"重大事项：{self.matter if self.matter_id else self.title}"

    @property
    def subject(self) -> str:
        return str(self.matter) if self.matter_id else self.title

    @property
    def text(self) -> str:
        return self.matter.content if self.matter_id else self.description


class ProgressNotice(models.Model):
    """通报: the state of open agreed matters, generated from their live status and sent to every unit."""

    mechanism = models.ForeignKey(Mechanism, on_delete=models.PROTECT, related_name="progress_notices")
    title = models.CharField(_("标题"), max_length=100)
    body = models.TextField(_("正文"), max_length=20000)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(_("发出时间"), auto_now_add=True)
    recipients = models.PositiveIntegerField(_("接收人数"), default=0)

    class Meta:
        verbose_name = _("情况通报")
        verbose_name_plural = _("情况通报")
        ordering = ["-created_at", "-id"]

    def __str__(self):
        return self.title


class MembershipChange(models.Model):
    """A proposed change to the membership, confirmed by the meeting (convener) before it applies."""

    class Kind(models.TextChoices):
        REPLACE = "replace", _("人员调整")
        ADD_UNIT = "add_unit", _("增补成员单位")

    class Status(models.TextChoices):
        PROPOSED = "proposed", _("待办公室审核")
        CHECKED = "checked", _("待召集人确认")
        CONFIRMED = "confirmed", _("已确认")
        REJECTED = "rejected", _("未通过")

    TRANSITIONS = {
        "check": ({Status.PROPOSED}, Status.CHECKED),
        "confirm": ({Status.CHECKED}, Status.CONFIRMED),
        "reject": ({Status.PROPOSED, Status.CHECKED}, Status.REJECTED),
    }

    mechanism = models.ForeignKey(Mechanism, on_delete=models.PROTECT, related_name="membership_changes")
    kind = models.CharField(_("类别"), max_length=10, choices=Kind.choices)
    unit = models.ForeignKey(
        MemberUnit,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="membership_changes",
        verbose_name=_("成员单位"),
    )
    # REPLACE: which role, who takes it (an existing person of the unit, or a new one named here).
    assignment = models.ForeignKey(
        RoleAssignment, on_delete=models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("原任职")
    )
    new_person = models.ForeignKey(
        Person, on_delete=models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("新任人员")
    )
    new_person_name = models.CharField(_("新任人员姓名"), max_length=30, blank=True)
    new_person_title = models.CharField(_("新任人员职务"), max_length=60, blank=True)
    new_person_division = models.ForeignKey(
        Division, on_delete=models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("新任人员处室")
    )
    # ADD_UNIT: the new unit, its divisions, member and liaison (checked by the service).
    new_unit = models.JSONField(_("新增单位信息"), default=dict, blank=True)
    effective_date = models.DateField(_("生效日期"))
    reason = models.TextField(_("理由"), max_length=1000)
    status = models.CharField(_("状态"), max_length=10, choices=Status.choices, default=Status.PROPOSED)
    proposed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("提出人")
    )
    proposed_at = models.DateTimeField(_("提出时间"), auto_now_add=True)
    checked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("审核人"),
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("确认人"),
    )
    decided_at = models.DateTimeField(_("确认时间"), null=True, blank=True)
    on_behalf_of_convener = models.BooleanField(_("受召集人委托"), default=False)
    decision_note = models.CharField(_("意见"), max_length=500, blank=True)
    version = models.PositiveIntegerField(default=1)

    class Meta:
        verbose_name = _("成员调整")
        verbose_name_plural = _("成员调整")
        ordering = ["-proposed_at", "-id"]
        indexes = [models.Index(fields=["unit", "status"], name="membership_change_unit_idx")]

    def __str__(self):
        if self.kind == self.Kind.ADD_UNIT:
            return f"增补成员单位：{self.new_unit.get('name', '')}"
        return f"{self.unit}人员调整"


# --- viewflow processes (routing only) ----------------------------------------------------------------


class MeetingProcess(Process):
    class Meta:
        proxy = True
        verbose_name = "会议流程"
        verbose_name_plural = "会议流程"


class MembershipChangeProcess(Process):
    class Meta:
        proxy = True
        verbose_name = "成员调整流程"
        verbose_name_plural = "成员调整流程"


class EscalationProcess(Process):
    class Meta:
        proxy = True
        verbose_name = "重大事项报告流程"
        verbose_name_plural = "重大事项报告流程"
