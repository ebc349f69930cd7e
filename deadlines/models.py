"""When: the working-day calendar the office keeps, deadline rules, obligations and their
submissions, and the outbox of reminders with its delivery log. See docs/deadlines.md."""

from datetime import date

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from viewflow.workflow.models import Process as ViewflowProcess

from members.models import Mechanism, MemberUnit, ReportingUnit

from . import schedules


class CalendarYear(models.Model):
    """A year whose holidays and make-up workdays the office has entered in full (the State Council
    publishes the coming year late; the chinese-calendar package may not know it yet)."""

    year = models.PositiveSmallIntegerField(_("年份"), unique=True)
    note = models.CharField(_("依据"), max_length=200, blank=True, help_text=_("例如：国办发明电〔2026〕X号"))
    entered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("录入人"),
    )
    entered_at = models.DateTimeField(_("录入时间"), auto_now=True)

    class Meta:
        verbose_name = _("节假日年度")
        verbose_name_plural = _("节假日年度")
        ordering = ["-year"]

    def __str__(self):
        return f"{self.year}年"


class CalendarDay(models.Model):
    """A statutory holiday (is_working False) or a make-up workday (调休, is_working True)."""

    day = models.DateField(_("日期"), unique=True)
    is_working = models.BooleanField(_("上班"), help_text=_("勾选表示调休上班日；不勾选表示法定节假日。"))
    name = models.CharField(_("名称"), max_length=30, blank=True, help_text=_("例如：国庆节、春节调休"))

    class Meta:
        verbose_name = _("节假日与调休")
        verbose_name_plural = _("节假日与调休")
        ordering = ["day"]

    def __str__(self):
        return f"{self.day:%Y-%m-%d} {'调休上班' if self.is_working else '放假'} {self.name}".strip()


def office_calendar_year(year: int) -> tuple[bool, dict[date, bool]]:
    """(Has the office entered `year` in full?, {day: is_working} it entered): deadlines.calendar's source."""
    entered = CalendarYear.objects.filter(year=year).exists()
    return entered, dict(CalendarDay.objects.filter(day__year=year).values_list("day", "is_working"))


class DeadlineRule(models.Model):
    """One rule of the mechanism file's `deadline_rules:` section (loaded, never edited by hand)."""

    mechanism = models.ForeignKey(Mechanism, on_delete=models.PROTECT, related_name="deadline_rules")
    code = models.SlugField(_("代码"), max_length=40)
    title = models.CharField(_("名称"), max_length=60)
    obligors = models.CharField(_("报送主体"), max_length=20, choices=list(schedules.OBLIGOR_LABELS.items()))
    schedule = models.JSONField(_("时限"))
    starts = models.DateField(_("起始日期"))
    ends = models.DateField(_("结束日期"), null=True, blank=True)
    blue_from = models.PositiveSmallIntegerField(_("临期提醒（工作日）"), default=3)
    red_after = models.PositiveSmallIntegerField(_("严重逾期（工作日）"), default=3)
    reminders = models.JSONField(_("提醒策略"), default=dict)
    order = models.PositiveSmallIntegerField(_("排序"), default=0)
    active = models.BooleanField(_("有效"), default=True)

    class Meta:
        verbose_name = _("时限规则")
        verbose_name_plural = _("时限规则")
        ordering = ["mechanism", "order", "id"]
        constraints = [models.UniqueConstraint(fields=["mechanism", "code"], name="deadline_rule_code_unique")]

    def __str__(self):
        return self.title

    def spec(self) -> schedules.RuleSpec:
        s = self.schedule
        schedule = schedules.Schedule(
            kind=s["kind"],
            days=s.get("days", 5),
            counting=s.get("counting", schedules.CALENDAR_DAYS),
            reading=s.get("reading", schedules.AFTER_QUARTER_END),
            dates=tuple(tuple(d) for d in s.get("dates", ())),
            on=date.fromisoformat(s["on"]) if s.get("on") else None,
            on_holiday=s["on_holiday"],
        )
        return schedules.RuleSpec(
            code=self.code,
            title=self.title,
            obligors=self.obligors,
            schedule=schedule,
            starts=self.starts,
            ends=self.ends,
            blue_from=self.blue_from,
            red_after=self.red_after,
            reminders=self.reminders,
            order=self.order,
        )

    @staticmethod
    def schedule_json(schedule: schedules.Schedule) -> dict:
        out = {"kind": schedule.kind, "on_holiday": schedule.on_holiday}
        if schedule.kind == schedules.QUARTERLY:
            out |= {"days": schedule.days, "counting": schedule.counting, "reading": schedule.reading}
        elif schedule.kind == schedules.ANNUAL:
            out["dates"] = [list(d) for d in schedule.dates]
        else:
            out["on"] = schedule.on.isoformat()
        return out


class ObligationQuerySet(models.QuerySet):
    def owed(self):
        """Still owed by the obligor: not yet submitted, or returned for revision."""
        return self.filter(status__in=Obligation.OWED)


class Obligation(models.Model):
    """One rule × obligor × period: something a unit owes by a due day."""

    OPEN, SUBMITTED, RETURNED, ACCEPTED = "open", "submitted", "returned", "accepted"
    STATUS_CHOICES = [
        (OPEN, _("待报送")),
        (SUBMITTED, _("已报送待接收")),
        (RETURNED, _("退回修改")),
        (ACCEPTED, _("已接收")),
    ]
    OWED = (OPEN, RETURNED)
    # action → (from states, to state), applied by workflow.transitions.transition_apply only.
    TRANSITIONS = {
        "submit": ({OPEN, RETURNED}, SUBMITTED),
        "accept": ({SUBMITTED}, ACCEPTED),
        "return": ({SUBMITTED}, RETURNED),
    }

    rule = models.ForeignKey(DeadlineRule, on_delete=models.PROTECT, related_name="obligations", verbose_name=_("规则"))
    member_unit = models.ForeignKey(
        MemberUnit,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="obligations",
        verbose_name=_("成员单位"),
    )
    reporting_unit = models.ForeignKey(
        ReportingUnit,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="obligations",
        verbose_name=_("报送单位"),
    )
    obligor_key = models.CharField(max_length=20, editable=False)  # "mu:<id>" or "ru:<id>": the unique key
    period = models.CharField(_("期次"), max_length=20)
    period_label = models.CharField(_("期次"), max_length=40)
    period_start = models.DateField()
    period_end = models.DateField()
    opens_on = models.DateField(_("报送开始"))
    due_on = models.DateField(_("截止日期"))
    status = models.CharField(_("状态"), max_length=12, choices=STATUS_CHOICES, default=OPEN)
    submitted_at = models.DateTimeField(_("报送时间"), null=True, blank=True)
    accepted_at = models.DateTimeField(_("接收时间"), null=True, blank=True)
    is_late = models.BooleanField(_("逾期报送"), default=False)
    created_at = models.DateTimeField(auto_now_add=True)
    # A county's share of its prefecture's obligation, passed down with an earlier date (deadlines.cascade).
    parent = models.ForeignKey(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="shares", verbose_name=_("市州报送任务")
    )
    instructions = models.TextField(_("市州的要求"), blank=True, max_length=2000, db_default="")

    objects = ObligationQuerySet.as_manager()

    class Meta:
        verbose_name = _("报送任务")
        verbose_name_plural = _("报送任务")
        ordering = ["due_on", "id"]
        constraints = [
            models.UniqueConstraint(fields=["rule", "obligor_key", "period"], name="obligation_unique"),
            models.CheckConstraint(
                condition=Q(member_unit__isnull=True) ^ Q(reporting_unit__isnull=True), name="obligation_one_obligor"
            ),
        ]
        indexes = [
            # The sweep reads only what is still owed: its cost follows the due rows, not the history.
            models.Index(fields=["due_on"], condition=Q(status__in=["open", "returned"]), name="obligation_owed_due"),
            models.Index(fields=["member_unit", "due_on"], name="obligation_unit_due"),
            models.Index(fields=["reporting_unit", "due_on"], name="obligation_ru_due"),
            # An office's lists (报送任务, the obligations API) read one mechanism's rules: in due order
            # from the index alone, whatever the other provinces in the table (docs/performance.md).
            models.Index(fields=["rule", "due_on", "id"], name="obligation_rule_due"),
            models.Index(
                fields=["rule", "due_on", "id"],
                condition=Q(status__in=["open", "returned"]),
                name="obligation_rule_owed_due",
            ),
            # The same lists' rows in due order for a mechanism of several rules: walked in order and
            # filtered on the rule from the index (one province in 31 reads ~31 entries a row shown),
            # instead of sorting every row of the mechanism before the first page (issue 16).
            models.Index(fields=["due_on", "id", "rule"], name="obligation_due_rule"),
            models.Index(
                fields=["due_on", "id", "rule"],
                condition=Q(status__in=["open", "returned"]),
                name="obligation_owed_due_rule",
            ),
            # 我的待办's 待接收报送 (the office): the few submitted reports, not a scan of every obligation.
            models.Index(fields=["due_on", "id"], condition=Q(status="submitted"), name="obligation_submitted_due"),
        ]

    def __str__(self):
        return f"{self.obligor_name} {self.title}"

    @property
    def is_owed(self) -> bool:
        """Still to be submitted: not yet, or returned for revision."""
        return self.status in self.OWED

    @property
    def is_returned(self) -> bool:
        return self.status == self.RETURNED

    @property
    def title(self) -> str:
        """期次 + 事项, without saying 季度 twice: “2026年第4季度” + “季度工作情况” → “2026年第4季度工作情况”."""
        return schedules.period_title(self.period_label, self.rule.title)

    @property
    def obligor_name(self) -> str:
        return (self.member_unit or self.reporting_unit).name


class Submission(models.Model):
    """One submission of an obligation (a returned report is resubmitted as a new row)."""

    PENDING, ACCEPTED, RETURNED = "pending", "accepted", "returned"
    DECISIONS = [(PENDING, _("待接收")), (ACCEPTED, _("已接收")), (RETURNED, _("退回修改"))]

    obligation = models.ForeignKey(Obligation, on_delete=models.PROTECT, related_name="submissions")
    text = models.TextField(_("报送内容"), max_length=20000)
    submitted_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    submitted_at = models.DateTimeField(_("报送时间"))
    is_late = models.BooleanField(_("逾期报送"), default=False)
    decision = models.CharField(_("办理结果"), max_length=10, choices=DECISIONS, default=PENDING)
    reason = models.TextField(_("退回理由"), blank=True, max_length=2000)
    # The office's mark of an accepted report (optional), counted by the annual evaluation (evaluation/).
    QUALITY_MARKS = [("excellent", _("优")), ("good", _("良")), ("fair", _("中")), ("poor", _("差"))]
    quality = models.CharField(_("质量评定"), max_length=10, choices=QUALITY_MARKS, blank=True, default="")
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("报送记录")
        verbose_name_plural = _("报送记录")
        ordering = ["obligation", "submitted_at", "id"]

    def __str__(self):
        return f"{self.obligation} · {self.submitted_at:%Y-%m-%d %H:%M}"


def _attachment_path(instance, filename):
    return f"deadlines/{instance.submission.obligation_id}/{instance.submission_id}/{filename}"


class Attachment(models.Model):
    submission = models.ForeignKey(Submission, on_delete=models.CASCADE, related_name="attachments")
    file = models.FileField(_("附件"), upload_to=_attachment_path, max_length=300)
    name = models.CharField(_("文件名"), max_length=200)
    size = models.PositiveIntegerField(_("大小"))

    class Meta:
        verbose_name = _("附件")
        verbose_name_plural = _("附件")

    def __str__(self):
        return self.name


class Message(models.Model):
    """The outbox and the delivery log in one: one row per (subject, kind, recipient, channel, period).

    The unique key makes planning idempotent (two sweeps racing create one row); a worker claims a row
    with `select_for_update(skip_locked=True)` and a lease, so it is sent once. In-app notifications
    are rows of channel "inapp", delivered when written."""

    INAPP, EMAIL, SMS, WECOM, DINGTALK = "inapp", "email", "sms", "wecom", "dingtalk"
    CHANNELS = [
        (INAPP, _("站内通知")),
        (EMAIL, _("电子邮件")),
        (SMS, _("短信")),
        (WECOM, _("企业微信群")),
        (DINGTALK, _("钉钉群")),
    ]
    ROBOT_CHANNELS = (WECOM, DINGTALK)
    PENDING, SENDING, SENT, FAILED = "pending", "sending", "sent", "failed"
    STATUSES = [(PENDING, _("待发送")), (SENDING, _("发送中")), (SENT, _("已发送")), (FAILED, _("发送失败"))]

    subject = models.CharField(_("事项"), max_length=64)  # "obligation:12", "item:7", "digest"
    kind = models.CharField(_("类型"), max_length=32)  # "before:3", "due", "overdue:4", "press:…"
    # A person's message has a recipient; a group robot's message has the unit's robot instead.
    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="messages",
        verbose_name=_("接收人"),
        null=True,
        blank=True,
    )
    robot = models.ForeignKey(
        "members.UnitContact",
        on_delete=models.CASCADE,
        related_name="messages",
        verbose_name=_("单位群"),
        null=True,
        blank=True,
    )
    channel = models.CharField(_("渠道"), max_length=8, choices=CHANNELS)
    period = models.CharField(_("期次"), max_length=32)  # the due day (or the digest's day)
    address = models.CharField(_("地址"), max_length=200, blank=True)
    title = models.CharField(_("标题"), max_length=200)
    body = models.TextField(_("内容"))
    url = models.CharField(max_length=300, blank=True)
    status = models.CharField(_("状态"), max_length=8, choices=STATUSES, default=PENDING)
    attempts = models.PositiveSmallIntegerField(_("尝试次数"), default=0)
    next_attempt_at = models.DateTimeField(_("下次发送"), null=True, blank=True)
    lease_until = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(_("错误"), blank=True)
    provider_id = models.CharField(_("回执编号"), max_length=100, blank=True)
    # Claimed again after a lease ran out: the provider may have accepted the first send (the one
    # duplicate window the outbox cannot close); counted on the delivery page.
    reclaimed = models.PositiveSmallIntegerField(_("中断后重发"), default=0, db_default=0)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    sent_at = models.DateTimeField(_("发送时间"), null=True, blank=True)
    read_at = models.DateTimeField(_("已读时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("提醒消息")
        verbose_name_plural = _("提醒消息")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["subject", "kind", "recipient", "channel", "period"], name="message_once"),
            models.UniqueConstraint(
                fields=["subject", "kind", "robot", "channel", "period"],
                condition=Q(recipient__isnull=True),
                name="message_once_robot",
            ),
            # A person's row, a unit robot's row, or a guest's (an address only): never both a person and a robot.
            models.CheckConstraint(
                condition=Q(recipient__isnull=True) | Q(robot__isnull=True), name="message_person_or_robot_or_guest"
            ),
        ]
        indexes = [
            models.Index(
                fields=["next_attempt_at"], condition=Q(status__in=["pending", "sending"]), name="message_to_send"
            ),
            models.Index(
                fields=["channel", "next_attempt_at"],
                condition=Q(status__in=["pending", "sending"]),
                name="message_to_send_channel",
            ),
            models.Index(fields=["subject", "channel"], name="message_subject"),
            models.Index(fields=["recipient", "channel", "-created_at"], name="message_inbox"),
            # The unread badge in the header of every page: one count over this small index.
            models.Index(
                fields=["recipient"], condition=Q(channel="inapp", read_at__isnull=True), name="message_unread"
            ),
        ]

    def __str__(self):
        return f"{self.get_channel_display()} {self.title} → {self.recipient or self.robot or self.address}"

    @property
    def is_failed(self) -> bool:
        return self.status == self.FAILED

    @property
    def to_label(self) -> str:
        if self.recipient_id:
            return str(self.recipient)
        return f"{self.robot}（群）" if self.robot_id else f"{self.address}（列席）"


class ChannelState(models.Model):
    """Whether a channel answers: "email", "sms", or one robot ("wecom:<unit contact id>"). Set down at
    the first failure that is the channel's, not the message's; while down, its messages wait (they
    do not use up their attempts) and one batch probes it at `retry_at`."""

    key = models.CharField(max_length=40, unique=True)
    label = models.CharField(_("渠道"), max_length=80)
    down_since = models.DateTimeField(_("中断时间"), null=True, blank=True)
    retry_at = models.DateTimeField(_("下次探测"), null=True, blank=True)
    failures = models.PositiveIntegerField(_("连续失败"), default=0)
    last_error = models.TextField(_("最近错误"), blank=True)
    last_ok_at = models.DateTimeField(_("最近成功"), null=True, blank=True)

    class Meta:
        verbose_name = _("渠道状态")
        verbose_name_plural = _("渠道状态")
        ordering = ["key"]

    def __str__(self):
        return self.label

    @property
    def is_down(self) -> bool:
        return self.down_since is not None


class SubmissionProcess(ViewflowProcess):
    """The viewflow process of one obligation's submission flow (deadlines/flows.py). A direct
    one-to-one to the obligation, not viewflow's generic artifact (see stack-notes on generic FKs)."""

    obligation = models.OneToOneField(Obligation, on_delete=models.PROTECT, related_name="process")
    accepted = models.BooleanField(default=False)

    class Meta:
        verbose_name = _("报送流程")
        verbose_name_plural = _("报送流程")
