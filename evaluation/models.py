"""The annual evaluation (考评) of member units and prefectures, and good practice (经验做法).

An `Evaluation` is one mechanism's year: computed from the records by `evaluation.scoring` under the
rules of the mechanism file's `evaluation:` section (`EvaluationRules`, written at load), adjusted by
the office with a reason (`ScoreAdjustment`, never deleted), confirmed by the convener and published
to the units. See docs/evaluation.md."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from deadlines.models import Submission
from members.models import Mechanism, MemberUnit, ReportingUnit


class EvaluationRules(models.Model):
    """The `evaluation:` section of a mechanism file, checked (evaluation.rules) and kept as loaded."""

    mechanism = models.OneToOneField(Mechanism, on_delete=models.CASCADE, related_name="evaluation_rules")
    rules = models.JSONField(_("考评规则"))
    config_version = models.CharField(_("配置版本"), max_length=40)
    loaded_at = models.DateTimeField(_("载入时间"), auto_now=True)

    class Meta:
        verbose_name = _("考评规则")
        verbose_name_plural = _("考评规则")

    def __str__(self):
        return f"{self.mechanism} 考评规则（{self.config_version}）"


class Evaluation(models.Model):
    """One mechanism's evaluation of one year."""

    class Status(models.TextChoices):
        DRAFT = "draft", _("办公室核算中")
        ADJUSTED = "adjusted", _("办公室已核定，待召集人确认")
        CONFIRMED = "confirmed", _("召集人已确认，待发布")
        PUBLISHED = "published", _("已发布")

    # The one table of allowed changes: action → (from-statuses, to-status). Applied by
    # evaluation.services._apply (the kernel in workflow/ takes it over when merged).
    TRANSITIONS = {
        "recompute": ({Status.DRAFT}, Status.DRAFT),
        "adjust": ({Status.DRAFT}, Status.DRAFT),
        "submit": ({Status.DRAFT}, Status.ADJUSTED),
        "send_back": ({Status.ADJUSTED}, Status.DRAFT),
        "confirm": ({Status.ADJUSTED}, Status.CONFIRMED),
        "publish": ({Status.CONFIRMED}, Status.PUBLISHED),
    }
    ACTION_LABELS = {
        "recompute": "重新核算",
        "adjust": "调整得分",
        "submit": "核定并报召集人确认",
        "send_back": "退回办公室",
        "confirm": "确认",
        "publish": "发布",
    }

    mechanism = models.ForeignKey(Mechanism, on_delete=models.PROTECT, related_name="evaluations")
    year = models.PositiveSmallIntegerField(_("考评年度"))
    status = models.CharField(_("状态"), max_length=12, choices=Status.choices, default=Status.DRAFT)
    rules = models.JSONField(_("所用规则"))
    config_version = models.CharField(_("规则版本"), max_length=40)
    # The day the records were read up to (things due before it count; still-owed ones are overdue to it).
    as_of = models.DateField(_("统计截至"))
    computed_at = models.DateTimeField(_("核算时间"))
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    confirmed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("确认人"),
    )
    confirmed_at = models.DateTimeField(_("确认时间"), null=True, blank=True)
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("发布人"),
    )
    published_at = models.DateTimeField(_("发布时间"), null=True, blank=True)
    note = models.TextField(_("说明"), max_length=2000, blank=True)
    version = models.PositiveIntegerField(default=1)

    class Meta:
        verbose_name = _("年度考评")
        verbose_name_plural = _("年度考评")
        ordering = ["mechanism", "-year"]
        constraints = [models.UniqueConstraint(fields=["mechanism", "year"], name="evaluation_year_unique")]

    def __str__(self):
        return f"{self.year}年度考评"

    @property
    def title(self) -> str:
        return f"{self.mechanism.name}{self.year}年度考评结果"


class Score(models.Model):
    """One unit's (成员单位) or prefecture's (市州) result in an evaluation."""

    MEMBER, REPORTING = "mu", "ru"
    KINDS = [(MEMBER, _("成员单位")), (REPORTING, _("市州"))]

    evaluation = models.ForeignKey(Evaluation, on_delete=models.CASCADE, related_name="scores")
    kind = models.CharField(_("类别"), max_length=2, choices=KINDS)
    member_unit = models.ForeignKey(MemberUnit, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    reporting_unit = models.ForeignKey(ReportingUnit, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    name = models.CharField(_("单位"), max_length=60)
    order = models.PositiveSmallIntegerField(default=0)
    figures = models.JSONField(_("统计数"), default=dict)  # due, ontime, overdue_days, returns, marks, matters_*
    parts = models.JSONField(_("分项得分"), default=dict)  # indicator → points (text, 2 decimals)
    computed = models.DecimalField(_("核算得分"), max_digits=6, decimal_places=2)
    adjustment = models.DecimalField(_("调整分"), max_digits=6, decimal_places=2, default=0)
    final = models.DecimalField(_("最终得分"), max_digits=6, decimal_places=2)
    grade = models.CharField(_("等次"), max_length=10, blank=True)
    rank = models.PositiveSmallIntegerField(_("排名"), default=0)

    class Meta:
        verbose_name = _("考评得分")
        verbose_name_plural = _("考评得分")
        ordering = ["evaluation", "kind", "rank", "order", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(member_unit__isnull=True) ^ Q(reporting_unit__isnull=True), name="score_one_subject"
            ),
            models.UniqueConstraint(fields=["evaluation", "member_unit"], name="score_member_unit_once"),
            models.UniqueConstraint(fields=["evaluation", "reporting_unit"], name="score_reporting_unit_once"),
        ]

    def __str__(self):
        return f"{self.evaluation} · {self.name}"

    @property
    def obligor_key(self) -> str:
        return f"mu:{self.member_unit_id}" if self.member_unit_id else f"ru:{self.reporting_unit_id}"


class ScoreAdjustment(models.Model):
    """The office's change of a unit's adjustment, with its reason: the record stays when it changes again."""

    score = models.ForeignKey(Score, on_delete=models.CASCADE, related_name="adjustments")
    before = models.DecimalField(_("原调整分"), max_digits=6, decimal_places=2)
    after = models.DecimalField(_("新调整分"), max_digits=6, decimal_places=2)
    reason = models.TextField(_("调整理由"), max_length=1000)
    by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    at = models.DateTimeField(_("调整时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("得分调整")
        verbose_name_plural = _("得分调整")
        ordering = ["score", "at", "id"]


class GoodPractice(models.Model):
    """经验做法: collected by the office from a report or written directly; some are praised (通报表扬)."""

    mechanism = models.ForeignKey(Mechanism, on_delete=models.PROTECT, related_name="good_practices")
    title = models.CharField(_("标题"), max_length=100)
    member_unit = models.ForeignKey(
        MemberUnit, on_delete=models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("成员单位")
    )
    reporting_unit = models.ForeignKey(
        ReportingUnit, on_delete=models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("市州")
    )
    text = models.TextField(_("主要做法"), max_length=5000)
    source_url = models.CharField(_("来源链接"), max_length=300, blank=True)
    submission = models.ForeignKey(
        Submission, on_delete=models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("来源报送")
    )
    praised = models.BooleanField(_("通报表扬"), default=False)
    praised_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    praised_at = models.DateTimeField(_("表扬时间"), null=True, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(_("收集时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("经验做法")
        verbose_name_plural = _("经验做法")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=~(Q(member_unit__isnull=False) & Q(reporting_unit__isnull=False)),
                name="good_practice_one_unit",
            ),
        ]
        indexes = [models.Index(fields=["mechanism", "-created_at"], name="good_practice_recent")]

    def __str__(self):
        return self.title

    @property
    def unit_name(self) -> str:
        unit = self.member_unit or self.reporting_unit
        return unit.name if unit else ""
