"""What: supervised items (督办事项), one assignment per unit, their attachments, comments and the
requests a unit may make (延期申请, 退回).

The product's own tables carry everything the inbox, the queue and a later reminder engine need
(unit, status, due date, indexed together); the viewflow flow (`tasks/flows.py`) only routes. See
docs/items.md."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from viewflow.workflow.models import Process

from members.models import Mechanism, MemberUnit, WorkLine
from workflow.transitions import transition_allowed


class Item(models.Model):
    """A supervised item: a piece of work given to lead and participating units."""

    class Source(models.TextChoices):
        WORK_LINE = "work_line", _("工作方案分工")
        AGREED_MATTER = "agreed_matter", _("会议议定事项")
        INSTRUCTION = "instruction", _("召集人批示")
        AD_HOC = "ad_hoc", _("临时交办")
        INSPECTION = "inspection", _("督导检查整改")

    class Status(models.TextChoices):
        IN_PROGRESS = "in_progress", _("办理中")
        UNDER_REVIEW = "under_review", _("待审核")
        REVISION = "revision", _("退回修改")
        DONE = "done", _("已办结")

    # action → (from states, to state), applied by workflow.transitions.transition_apply only.
    TRANSITIONS = {
        "consolidate": ({Status.IN_PROGRESS, Status.REVISION}, Status.UNDER_REVIEW),  # the 主牵头单位 报送
        "accept": ({Status.UNDER_REVIEW}, Status.DONE),
        "return_for_revision": ({Status.UNDER_REVIEW}, Status.REVISION),
    }

    title = models.CharField(_("标题"), max_length=120)
    content = models.TextField(_("事项内容"), max_length=5000)
    source = models.CharField(_("来源"), max_length=20, choices=Source.choices)
    source_note = models.CharField(_("来源说明"), max_length=200, blank=True, help_text=_("如会议名称、批示文号。"))
    work_line = models.ForeignKey(
        WorkLine, on_delete=models.PROTECT, null=True, blank=True, related_name="items", verbose_name=_("工作方案分工")
    )
    due_date = models.DateField(_("办理时限"))
    contribution_due_date = models.DateField(_("配合单位反馈时限"))
    status = models.CharField(_("状态"), max_length=20, choices=Status.choices, default=Status.IN_PROGRESS)
    # Bumped by every write: a form carries the version it was drawn from, so a stale form is refused.
    version = models.PositiveIntegerField(default=1)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("交办人")
    )
    created_at = models.DateTimeField(_("交办时间"), auto_now_add=True)
    accepted_at = models.DateTimeField(_("办结时间"), null=True, blank=True)
    review_round = models.PositiveSmallIntegerField(_("审核轮次"), default=0)
    # Summary of the live shares, [[unit_id, role, order, status], …] in display order, written by
    # tasks.services in the transaction of every change of a share, so 工作台 draws each row's
    # per-unit progress without a second query. The assignments remain the truth (tests check both agree).
    progress = models.JSONField(_("各单位进度"), default=list, blank=True, editable=False)
    # The joint meeting whose units share the item (every share is given to one mechanism's units),
    # stored so 工作台 reads one index range instead of an EXISTS over the shares (docs/performance.md).
    # Written by tasks.services.item_dispatch; null only for rows written around the services.
    mechanism = models.ForeignKey(
        Mechanism,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        editable=False,
        related_name="+",
        db_index=False,
        verbose_name=_("联席会议"),
    )

    class Meta:
        verbose_name = _("督办事项")
        verbose_name_plural = _("督办事项")
        ordering = ["due_date", "id"]
        indexes = [
            models.Index(fields=["status", "due_date", "id"], name="item_status_due_idx"),
            models.Index(fields=["due_date", "id"], name="item_due_idx"),
            # 工作台's default view (everything not yet 办结), soonest due first, read in index order.
            models.Index(fields=["due_date", "id"], condition=~Q(status="done"), name="item_open_due_idx"),
            # The same three per mechanism (工作台 of one province among 31).
            models.Index(fields=["mechanism", "due_date", "id"], name="item_mech_due_idx"),
            models.Index(fields=["mechanism", "status", "due_date", "id"], name="item_mech_status_due_idx"),
            models.Index(
                fields=["mechanism", "due_date", "id"], condition=~Q(status="done"), name="item_mech_open_due_idx"
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(contribution_due_date__lte=models.F("due_date")), name="item_contribution_before_due"
            ),
        ]

    def __str__(self):
        return self.title

    @property
    def is_done(self):
        return self.status == self.Status.DONE

    @property
    def is_under_review(self):
        return transition_allowed(self, "accept")

    @property
    def number(self) -> str:
        return f"督办〔{self.created_at:%Y}〕{self.pk}号" if self.created_at else f"#{self.pk}"


class Assignment(models.Model):
    """One unit's share of an item: its task (主办 for a lead, 协办 for a participant)."""

    class Role(models.TextChoices):
        LEAD = "lead", _("牵头单位")
        PARTICIPATING = "participating", _("配合单位")

    class Status(models.TextChoices):
        TODO = "todo", _("待签收")
        CLAIMED = "claimed", _("办理中")
        RETURN_REQUESTED = "return_requested", _("退回待定")
        SUBMITTED = "submitted", _("已反馈")
        REVISION = "revision", _("退回修改")
        REROUTED = "rerouted", _("已改派")
        DONE = "done", _("已办结")

    TRANSITIONS = {
        "claim": ({Status.TODO}, Status.CLAIMED),
        "request_return": ({Status.TODO, Status.CLAIMED}, Status.RETURN_REQUESTED),
        "keep": ({Status.RETURN_REQUESTED}, Status.CLAIMED),  # the convener refuses the 退回
        "reroute": ({Status.RETURN_REQUESTED}, Status.REROUTED),
        "submit": ({Status.CLAIMED, Status.REVISION}, Status.SUBMITTED),
        "return_for_revision": ({Status.SUBMITTED}, Status.REVISION),
        "accept": ({Status.SUBMITTED}, Status.DONE),
    }
    OPEN = (Status.TODO, Status.CLAIMED, Status.RETURN_REQUESTED, Status.REVISION)
    WORKABLE = (Status.CLAIMED, Status.REVISION)

    item = models.ForeignKey(Item, on_delete=models.CASCADE, related_name="assignments")
    unit = models.ForeignKey(MemberUnit, on_delete=models.PROTECT, related_name="assignments", verbose_name=_("单位"))
    role = models.CharField(_("分工"), max_length=16, choices=Role.choices)
    # Leads in order: the first (order 0) is the 主牵头单位 that consolidates (docs/items.md).
    order = models.PositiveSmallIntegerField(_("排序"), default=0)
    due_date = models.DateField(_("时限"))
    status = models.CharField(_("状态"), max_length=20, choices=Status.choices, default=Status.TODO)
    result = models.TextField(_("办理情况"), max_length=5000, blank=True)
    claimed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("签收人"),
    )
    claimed_at = models.DateTimeField(_("签收时间"), null=True, blank=True)
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("提交人"),
    )
    submitted_at = models.DateTimeField(_("反馈时间"), null=True, blank=True)
    version = models.PositiveIntegerField(default=1)
    # The open viewflow task for this unit (a plain id: `tasks` does not import `workflow`).
    flow_task_id = models.BigIntegerField(null=True, blank=True, editable=False)
    rerouted_from = models.ForeignKey(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("改派自")
    )

    class Meta:
        verbose_name = _("单位任务")
        verbose_name_plural = _("单位任务")
        ordering = ["item", "role", "order", "id"]
        indexes = [
            # 我的待办 and the reminder sweep: a unit's open tasks, soonest due first.
            models.Index(fields=["unit", "status", "due_date", "id"], name="assignment_unit_due_idx"),
            models.Index(fields=["status", "due_date", "id"], name="assignment_status_due_idx"),
            # 我的待办: one unit's open tasks in due order straight from the index (no sort of all of them).
            models.Index(
                fields=["unit", "due_date", "id"],
                name="assignment_open_unit_due_idx",
                condition=Q(status__in=["todo", "claimed", "return_requested", "revision"]),
            ),
        ]
        constraints = [
            # A unit holds at most one live share of an item (a rerouted one may come back later).
            models.UniqueConstraint(
                fields=["item", "unit"], condition=~Q(status="rerouted"), name="assignment_one_live_per_unit"
            ),
        ]

    def __str__(self):
        return f"{self.item} · {self.unit}（{self.get_role_display()}）"

    @property
    def is_primary_lead(self):
        return self.role == self.Role.LEAD and self.order == 0

    @property
    def role_label(self):
        return role_label_for(self.role, self.order)

    @property
    def is_open(self):
        return self.status in self.OPEN

    # What pages ask of a unit's share (templates never compare status strings).
    @property
    def is_live(self):
        """Not handed over to another unit (a rerouted share is kept for the record only)."""
        return self.status != self.Status.REROUTED

    @property
    def is_todo(self):
        return transition_allowed(self, "claim")

    @property
    def is_workable(self):
        """签收 done and not yet submitted: the unit writes its 办理情况 and may attach files."""
        return self.status in self.WORKABLE

    @property
    def in_revision(self):
        return self.status == self.Status.REVISION

    @property
    def is_submitted(self):
        return self.status == self.Status.SUBMITTED

    @property
    def may_request(self):
        """延期申请 / 退回 may be asked while the share is still to be done."""
        return self.status in (self.Status.TODO, self.Status.CLAIMED, self.Status.REVISION)


def role_label_for(role: str, order: int) -> str:
    """主办/协办 as lists and the item page name a unit's share (lists call it with plain values)."""
    if role == Assignment.Role.LEAD:
        return "主办（主牵头）" if order == 0 else "主办（共同牵头）"
    return "协办（配合）"


def _upload_to(instance, filename):
    return f"items/{instance.item_id}/{filename}"


class Attachment(models.Model):
    item = models.ForeignKey(Item, on_delete=models.CASCADE, related_name="attachments")
    assignment = models.ForeignKey(
        Assignment, on_delete=models.CASCADE, null=True, blank=True, related_name="attachments"
    )
    file = models.FileField(_("文件"), upload_to=_upload_to, max_length=255)
    name = models.CharField(_("文件名"), max_length=120)
    size = models.PositiveIntegerField(_("大小"))
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    uploaded_at = models.DateTimeField(_("上传时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("附件")
        verbose_name_plural = _("附件")
        ordering = ["uploaded_at", "id"]

    def __str__(self):
        return self.name


class Comment(models.Model):
    item = models.ForeignKey(Item, on_delete=models.CASCADE, related_name="comments")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    body = models.TextField(_("意见"), max_length=2000)
    created_at = models.DateTimeField(_("时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("意见")
        verbose_name_plural = _("意见")
        ordering = ["created_at", "id"]

    def __str__(self):
        return self.body[:40]


class UnitRequest(models.Model):
    """A unit's 延期申请 or 退回 (not our duty), and the convener's decision. Never deleted."""

    class Kind(models.TextChoices):
        EXTENSION = "extension", _("延期申请")
        RETURN = "return", _("退回（非本单位职责）")

    class Status(models.TextChoices):
        PENDING = "pending", _("待决定")
        APPROVED = "approved", _("同意")
        REFUSED = "refused", _("不同意")

    assignment = models.ForeignKey(Assignment, on_delete=models.PROTECT, related_name="requests")
    kind = models.CharField(_("类别"), max_length=12, choices=Kind.choices)
    reason = models.TextField(_("理由"), max_length=1000)
    requested_due_date = models.DateField(_("申请延至"), null=True, blank=True)
    previous_due_date = models.DateField(_("原时限"))
    status = models.CharField(_("状态"), max_length=10, choices=Status.choices, default=Status.PENDING)
    TRANSITIONS = {
        "approve": ({Status.PENDING}, Status.APPROVED),
        "refuse": ({Status.PENDING}, Status.REFUSED),
    }
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    requested_at = models.DateTimeField(_("申请时间"), auto_now_add=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("决定人"),
    )
    decided_at = models.DateTimeField(_("决定时间"), null=True, blank=True)
    decision_note = models.CharField(_("决定意见"), max_length=500, blank=True)
    # For an approved extension: the date granted, which may differ from the one asked (a partial extension).
    granted_due_date = models.DateField(_("同意延至"), null=True, blank=True)
    # For an approved return: the units the item was re-routed to (names kept for the record).
    rerouted_to = models.JSONField(_("改派单位"), default=list, blank=True)

    class Meta:
        verbose_name = _("延期/退回申请")
        verbose_name_plural = _("延期/退回申请")
        ordering = ["requested_at", "id"]
        indexes = [models.Index(fields=["status", "requested_at"], name="unit_request_status_idx")]
        constraints = [
            models.UniqueConstraint(
                fields=["assignment"], condition=Q(status="pending"), name="unit_request_one_pending"
            ),
            models.CheckConstraint(
                condition=~Q(kind="extension") | Q(requested_due_date__isnull=False),
                name="unit_request_extension_has_date",
            ),
        ]

    def __str__(self):
        return f"{self.get_kind_display()} · {self.assignment.unit}"

    @property
    def is_pending(self):
        return self.status == self.Status.PENDING

    @property
    def is_granted_extension(self):
        return self.kind == self.Kind.EXTENSION and self.status == self.Status.APPROVED


class ItemProcess(Process):
    """The viewflow process of a supervised item (tasks/flows.py): a proxy of viewflow's Process whose
    `artifact` is the item; the flow's tasks are viewflow's own Task rows (docs/items.md)."""

    class Meta:
        proxy = True
        verbose_name = _("督办流程")
        verbose_name_plural = _("督办流程")

    @property
    def item(self) -> Item:
        return Item.objects.get(pk=self.artifact_object_id)


# --- 二次交办 and 成员审核 inside a unit (docs/divisions.md) ------------------------------------------------


class DivisionPart(models.Model):
    """A part of a unit's share passed down to one of its divisions (二次交办), or given to the division
    straight by the office. The division's liaison reports it; the unit's liaison consolidates the
    parts into the unit's one feedback (the share's `result`)."""

    class Status(models.TextChoices):
        WORKING = "working", _("办理中")
        IN_REVIEW = "in_review", _("待成员审核")
        SUBMITTED = "submitted", _("已报本单位")
        RETURNED = "returned", _("退回修改")
        CONSOLIDATED = "consolidated", _("已汇总")
        WITHDRAWN = "withdrawn", _("已撤回")

    TRANSITIONS = {
        "ask_review": ({Status.WORKING, Status.RETURNED}, Status.IN_REVIEW),  # 成员审核 on
        "submit": ({Status.WORKING, Status.RETURNED}, Status.SUBMITTED),  # 成员审核 off
        "approve": ({Status.IN_REVIEW}, Status.SUBMITTED),
        "return": ({Status.IN_REVIEW, Status.SUBMITTED}, Status.RETURNED),
        "withdraw": ({Status.WORKING, Status.RETURNED}, Status.WITHDRAWN),
        "consolidate": ({Status.SUBMITTED}, Status.CONSOLIDATED),
    }
    OPEN = (Status.WORKING, Status.IN_REVIEW, Status.RETURNED)
    WORKABLE = (Status.WORKING, Status.RETURNED)

    assignment = models.ForeignKey(
        Assignment, on_delete=models.CASCADE, related_name="parts", verbose_name=_("单位任务")
    )
    division = models.ForeignKey(
        "members.Division", on_delete=models.PROTECT, related_name="parts", verbose_name=_("处室")
    )
    # Copied from the share so lists and the reminder sweep read one table (a unit's share never moves).
    item = models.ForeignKey(Item, on_delete=models.CASCADE, related_name="parts")
    note = models.CharField(_("交办内容"), max_length=500, blank=True, help_text=_("交给该处室的是哪一部分。"))
    due_date = models.DateField(_("处室时限"))
    status = models.CharField(_("状态"), max_length=20, choices=Status.choices, default=Status.WORKING)
    result = models.TextField(_("处室办理情况"), max_length=5000, blank=True)
    assigned_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("交办人")
    )
    assigned_at = models.DateTimeField(_("交办时间"), auto_now_add=True)
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("提交人"),
    )
    submitted_at = models.DateTimeField(_("提交时间"), null=True, blank=True)
    version = models.PositiveIntegerField(default=1)

    class Meta:
        verbose_name = _("处室任务")
        verbose_name_plural = _("处室任务")
        ordering = ["assignment", "division__order", "id"]
        indexes = [
            # A division's open parts, soonest first (the division liaison's 待办, the reminder sweep).
            models.Index(
                fields=["division", "due_date", "id"],
                name="part_open_division_due_idx",
                condition=Q(status__in=["working", "in_review", "returned"]),
            ),
            models.Index(fields=["status", "due_date", "id"], name="part_status_due_idx"),
        ]
        constraints = [
            # One live part per division of a share; after consolidation (or withdrawal) it may be passed again.
            models.UniqueConstraint(
                fields=["assignment", "division"],
                condition=~Q(status__in=["withdrawn", "consolidated"]),
                name="part_one_live_per_division",
            ),
        ]

    def __str__(self):
        return f"{self.item} · {self.division}"

    @property
    def is_open(self):
        return self.status in self.OPEN

    @property
    def is_working(self):
        return self.status == self.Status.WORKING


def _part_upload_to(instance, filename):
    return f"items/{instance.part.item_id}/parts/{instance.part_id}/{filename}"


class PartAttachment(models.Model):
    """A file a division attaches to its part (seen by the division and the unit's liaisons only)."""

    part = models.ForeignKey(DivisionPart, on_delete=models.CASCADE, related_name="files")
    file = models.FileField(_("文件"), upload_to=_part_upload_to, max_length=255)
    name = models.CharField(_("文件名"), max_length=120)
    size = models.PositiveIntegerField(_("大小"))
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    uploaded_at = models.DateTimeField(_("上传时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("处室附件")
        verbose_name_plural = _("处室附件")
        ordering = ["uploaded_at", "id"]

    def __str__(self):
        return self.name


class HeadReview(models.Model):
    """成员审核: what a liaison submitted (a division's part, or the unit's own feedback), waiting for
    the responsible member's approval, and the decision. One row per submission; never deleted."""

    class Status(models.TextChoices):
        PENDING = "pending", _("待审核")
        APPROVED = "approved", _("审核通过")
        RETURNED = "returned", _("退回修改")

    TRANSITIONS = {
        "approve": ({Status.PENDING}, Status.APPROVED),
        "return": ({Status.PENDING}, Status.RETURNED),
    }

    assignment = models.ForeignKey(Assignment, on_delete=models.CASCADE, related_name="head_reviews")
    part = models.ForeignKey(DivisionPart, on_delete=models.CASCADE, null=True, blank=True, related_name="reviews")
    item = models.ForeignKey(Item, on_delete=models.CASCADE, related_name="+")
    # The division whose member reviews (a part's division; for the unit's feedback, null: the unit's members).
    division = models.ForeignKey("members.Division", on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    unit = models.ForeignKey(MemberUnit, on_delete=models.PROTECT, related_name="+")
    result = models.TextField(_("提交内容"), max_length=5000)
    status = models.CharField(_("状态"), max_length=10, choices=Status.choices, default=Status.PENDING)
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("提交人")
    )
    submitted_at = models.DateTimeField(_("提交时间"), auto_now_add=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("审核人"),
    )
    decided_at = models.DateTimeField(_("审核时间"), null=True, blank=True)
    reason = models.CharField(_("审核意见"), max_length=500, blank=True)

    class Meta:
        verbose_name = _("成员审核")
        verbose_name_plural = _("成员审核")
        ordering = ["submitted_at", "id"]
        indexes = [
            models.Index(
                fields=["division", "submitted_at", "id"],
                name="review_pending_division_idx",
                condition=Q(status="pending"),
            ),
            models.Index(
                fields=["unit", "submitted_at", "id"], name="review_pending_unit_idx", condition=Q(status="pending")
            ),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["assignment", "part"], condition=Q(status="pending"), name="review_one_pending_per_part"
            ),
            models.UniqueConstraint(
                fields=["assignment"],
                condition=Q(status="pending", part__isnull=True),
                name="review_one_pending_per_share",
            ),
        ]

    def __str__(self):
        return f"{self.get_status_display()} · {self.item}"
