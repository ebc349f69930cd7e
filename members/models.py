"""Who: the joint meeting, its member units and divisions, people, their roles over time, the work
lines of the plan with their lead and participating units, and the prefecture-level reporting units.

History is never deleted: a unit that leaves gets `left_on`, a role that ends gets `end_date`."""

import uuid

from django.contrib.auth.models import AbstractUser
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class Mechanism(models.Model):
    """A province's joint meeting, loaded from its configuration file (members/mechanisms/*.yaml)."""

    code = models.SlugField(_("代码"), max_length=32, unique=True)
    name = models.CharField(_("名称"), max_length=100)
    province = models.CharField(_("省份"), max_length=20)
    document = models.CharField(_("依据文件"), max_length=100, blank=True)
    established_on = models.DateField(_("成立日期"))
    config_version = models.CharField(_("配置版本"), max_length=40)
    config_digest = models.CharField(_("配置摘要"), max_length=64)
    loaded_at = models.DateTimeField(_("载入时间"))

    class Meta:
        verbose_name = _("联席会议机制")
        verbose_name_plural = _("联席会议机制")
        permissions = [
            ("oversee", _("查看全部单位的工作（召集人、副召集人、办公室）")),
            ("decide", _("决定延期、退回与改派（召集人、副召集人）")),
            ("dispatch", _("交办、接收与办结（联席会议办公室）")),
        ]

    def __str__(self):
        return self.name


def _no_current_mechanism() -> int | None:
    raise RuntimeError("members.selectors has not plugged in the current mechanism (MembersConfig.ready)")


# Which mechanism "current" means (the signed-in person's, else the deployment's) is answered by
# members.selectors, which reads the request and imports these models; it plugs its answer in at start-up
# (MembersConfig.ready) so that the models do not import the module that imports them.
_mechanism_id_current = _no_current_mechanism


def current_mechanism_from(resolver) -> None:
    """Plug in the function that answers the current mechanism's id (members.selectors.mechanism_id_current)."""
    global _mechanism_id_current
    _mechanism_id_current = resolver


class MechanismQuerySet(models.QuerySet):
    """Rows that belong to one joint meeting (docs/decisions.md, "mechanism scope")."""

    def for_mechanism(self, mechanism):
        return self.filter(mechanism=mechanism)

    def in_current_mechanism(self):
        """The signed-in person's mechanism, or the deployment's (members.selectors.mechanism_current)."""
        return self.filter(mechanism_id=_mechanism_id_current())


class CurrentQuerySet(MechanismQuerySet):
    def current(self, on=None):
        on = on or timezone.localdate()
        return self.filter(Q(joined_on__isnull=True) | Q(joined_on__lte=on)).filter(
            Q(left_on__isnull=True) | Q(left_on__gt=on)
        )


class MemberUnit(models.Model):
    """A provincial department in the joint meeting (成员单位)."""

    mechanism = models.ForeignKey(Mechanism, on_delete=models.PROTECT, related_name="units")
    code = models.SlugField(_("代码"), max_length=32)
    name = models.CharField(_("单位名称"), max_length=60)
    full_name = models.CharField(_("全称"), max_length=100, blank=True)
    is_lead = models.BooleanField(_("牵头单位"), default=False)
    duties = models.TextField(_("工作职责"), blank=True)
    order = models.PositiveSmallIntegerField(_("排序"), default=0)
    joined_on = models.DateField(_("加入日期"), null=True, blank=True)
    left_on = models.DateField(_("退出日期"), null=True, blank=True)
    # 二次交办 (docs/divisions.md): the division whose liaison receives the unit's work and passes parts
    # down. When set, the liaisons and members of the unit's *other* divisions see and are told only
    # of the parts given to their division. Empty: every liaison of the unit receives its work.
    coordinating_division = models.ForeignKey(
        "Division",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("统筹处室"),
        help_text=_("接收本单位事项并二次交办给各处室的处室。"),
    )
    # 成员审核: what the unit's (or a division's) liaison submits goes to the responsible member first.
    head_review = models.BooleanField(
        _("成员审核"), default=False, help_text=_("开启后，联络员提交的反馈须经本单位（处室）成员审核后才报出。")
    )

    objects = CurrentQuerySet.as_manager()

    class Meta:
        verbose_name = _("成员单位")
        verbose_name_plural = _("成员单位")
        ordering = ["mechanism", "order", "id"]
        constraints = [
            models.UniqueConstraint(fields=["mechanism", "code"], name="unit_code_unique"),
            models.UniqueConstraint(fields=["mechanism", "name"], name="unit_name_unique"),
            models.UniqueConstraint(
                fields=["mechanism"], condition=Q(is_lead=True, left_on__isnull=True), name="one_lead_unit"
            ),
        ]
        permissions = [
            ("handle_unit_work", _("办理本单位事项（联络员、成员）")),
            ("review_unit_work", _("审核本单位报送（成员）")),
        ]

    def __str__(self):
        return self.name


class Division(models.Model):
    """A division of a member unit (处室)."""

    unit = models.ForeignKey(MemberUnit, on_delete=models.PROTECT, related_name="divisions")
    name = models.CharField(_("处室名称"), max_length=60)
    order = models.PositiveSmallIntegerField(_("排序"), default=0)

    class Meta:
        verbose_name = _("处室")
        verbose_name_plural = _("处室")
        ordering = ["unit__order", "order", "id"]
        constraints = [models.UniqueConstraint(fields=["unit", "name"], name="division_name_unique")]

    def __str__(self):
        return f"{self.unit.name}{self.name}"


class Person(models.Model):
    """A person named in the roster (or added later). Contact details stay empty until known."""

    unit = models.ForeignKey(MemberUnit, on_delete=models.PROTECT, related_name="people", verbose_name=_("单位"))
    division = models.ForeignKey(
        Division, on_delete=models.PROTECT, null=True, blank=True, related_name="people", verbose_name=_("处室")
    )
    name = models.CharField(_("姓名"), max_length=30)
    title = models.CharField(_("职务"), max_length=60, blank=True)
    mobile = models.CharField(_("手机"), max_length=20, blank=True)
    email = models.EmailField(_("电子邮箱"), blank=True)
    is_demo = models.BooleanField(_("演示人员"), default=False, help_text=_("不在正式名单中，仅供演示。"))

    class Meta:
        verbose_name = _("人员")
        verbose_name_plural = _("人员")
        ordering = ["unit__order", "division__order", "id"]
        constraints = [models.UniqueConstraint(fields=["unit", "name"], name="person_unit_name_unique")]

    def __str__(self):
        return self.name

    def clean(self):
        if self.division_id and self.division.unit_id != self.unit_id:
            raise ValidationError({"division": _("处室不属于该单位。")})

    @property
    def affiliation(self):
        return f"{self.unit.name}{self.division.name if self.division_id else ''}"


class Role(models.TextChoices):
    CONVENER = "convener", _("召集人")
    DEPUTY_CONVENER = "deputy_convener", _("副召集人")
    MEMBER = "member", _("成员")
    LIAISON = "liaison", _("联络员")
    BACKUP_LIAISON = "backup_liaison", _("联络员（B角）")
    OFFICE_DIRECTOR = "office_director", _("办公室主任")
    OFFICE_STAFF = "office_staff", _("办公室工作人员")


OVERSIGHT_ROLES = {Role.CONVENER, Role.DEPUTY_CONVENER, Role.OFFICE_DIRECTOR, Role.OFFICE_STAFF}
DECIDING_ROLES = {Role.CONVENER, Role.DEPUTY_CONVENER}
OFFICE_ROLES = {Role.OFFICE_DIRECTOR, Role.OFFICE_STAFF}
UNIT_ROLES = {Role.MEMBER, Role.LIAISON, Role.BACKUP_LIAISON}


def division_scoped(role: str, division_id, coordinating_division_id) -> bool:
    """True when a unit role held in `division_id` reaches only that division's parts of the unit's
    work: the unit names a coordinating division and this is another one (docs/divisions.md)."""
    return (
        role in UNIT_ROLES
        and division_id is not None
        and coordinating_division_id is not None
        and division_id != coordinating_division_id
    )


class RoleAssignmentQuerySet(models.QuerySet):
    def active(self, on=None):
        on = on or timezone.localdate()
        return self.filter(start_date__lte=on).filter(Q(end_date__isnull=True) | Q(end_date__gt=on))


class RoleAssignment(models.Model):
    """A person holding a role in the joint meeting for a period. `end_date` is exclusive: the first
    day the person no longer holds it."""

    mechanism = models.ForeignKey(Mechanism, on_delete=models.PROTECT, related_name="role_assignments")
    person = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="roles", verbose_name=_("人员"))
    role = models.CharField(_("角色"), max_length=20, choices=Role.choices)
    unit = models.ForeignKey(
        MemberUnit, on_delete=models.PROTECT, related_name="role_assignments", verbose_name=_("代表单位")
    )
    division = models.ForeignKey(
        Division,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="role_assignments",
        verbose_name=_("处室"),
    )
    start_date = models.DateField(_("起始日期"))
    end_date = models.DateField(_("终止日期"), null=True, blank=True)
    basis = models.CharField(_("依据"), max_length=200, blank=True)
    acting_for = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="backups",
        verbose_name=_("代理的A角"),
        help_text=_("B角在A角请假期间代为办理；仅用于联络员（B角）。"),
    )

    objects = RoleAssignmentQuerySet.as_manager()

    class Meta:
        verbose_name = _("联席会议职务")
        verbose_name_plural = _("联席会议职务")
        ordering = ["unit__order", "division__order", "role", "start_date"]
        constraints = [
            models.CheckConstraint(
                condition=Q(end_date__isnull=True) | Q(end_date__gt=models.F("start_date")),
                name="role_end_after_start",
            ),
            models.UniqueConstraint(
                fields=["mechanism", "role"],
                condition=Q(end_date__isnull=True, role="convener"),
                name="one_open_convener",
            ),
            models.UniqueConstraint(
                fields=["person", "role", "unit", "start_date"],
                name="role_assignment_unique",
            ),
            models.CheckConstraint(
                condition=Q(role="backup_liaison", acting_for__isnull=False, end_date__isnull=False)
                | (~Q(role="backup_liaison") & Q(acting_for__isnull=True)),
                name="backup_acts_for_a_liaison_for_a_period",
            ),
        ]
        indexes = [models.Index(fields=["person", "end_date"], name="role_person_end_idx")]

    def __str__(self):
        return f"{self.get_role_display()} {self.person.name}"

    @property
    def is_division_scoped(self) -> bool:
        """A unit role held in a division that is not the unit's coordinating division: it reaches the
        parts given to that division only (docs/divisions.md). Reads `unit.coordinating_division_id`."""
        return division_scoped(self.role, self.division_id, self.unit.coordinating_division_id)

    def clean(self):
        if self.person_id and self.unit_id and self.person.unit_id != self.unit_id:
            raise ValidationError({"unit": _("人员不属于该单位。")})
        if self.end_date and self.end_date <= self.start_date:
            raise ValidationError({"end_date": _("终止日期必须晚于起始日期。")})
        if self.role == Role.BACKUP_LIAISON:
            if not self.acting_for_id or self.acting_for.role != Role.LIAISON:
                raise ValidationError({"acting_for": _("B角必须对应一名联络员（A角）。")})
            if self.acting_for.unit_id != self.unit_id:
                raise ValidationError({"acting_for": _("B角必须与A角属于同一单位。")})
            if not self.end_date:
                raise ValidationError({"end_date": _("B角代理须注明结束日期。")})


class WorkLine(models.Model):
    """A line of work of the plan's section 三, with its lead and participating units."""

    mechanism = models.ForeignKey(Mechanism, on_delete=models.PROTECT, related_name="work_lines")
    code = models.CharField(_("编号"), max_length=8)
    section = models.CharField(_("所属部分"), max_length=60)
    title = models.CharField(_("工作事项"), max_length=120)
    content = models.TextField(_("工作内容"))
    order = models.PositiveSmallIntegerField(_("排序"), default=0)
    units = models.ManyToManyField(MemberUnit, through="WorkLineUnit", related_name="work_lines")

    objects = MechanismQuerySet.as_manager()

    class Meta:
        verbose_name = _("工作事项分工")
        verbose_name_plural = _("工作事项分工")
        ordering = ["mechanism", "order", "id"]
        constraints = [models.UniqueConstraint(fields=["mechanism", "code"], name="work_line_code_unique")]

    def __str__(self):
        return f"{self.code} {self.title}"

    def units_with(self, role):
        return [wlu.unit for wlu in self.assignments.all() if wlu.role == role]

    @property
    def lead_units(self):
        return self.units_with(WorkLineUnit.LEAD)

    @property
    def participating_units(self):
        return self.units_with(WorkLineUnit.PARTICIPATING)


class WorkLineUnit(models.Model):
    LEAD = "lead"
    PARTICIPATING = "participating"
    ROLE_CHOICES = [(LEAD, _("牵头单位")), (PARTICIPATING, _("参与单位"))]

    work_line = models.ForeignKey(WorkLine, on_delete=models.CASCADE, related_name="assignments")
    unit = models.ForeignKey(MemberUnit, on_delete=models.PROTECT, related_name="work_line_assignments")
    role = models.CharField(_("分工"), max_length=16, choices=ROLE_CHOICES)
    order = models.PositiveSmallIntegerField(default=0)

    class Meta:
        verbose_name = _("分工单位")
        verbose_name_plural = _("分工单位")
        ordering = ["work_line", "role", "order"]
        constraints = [models.UniqueConstraint(fields=["work_line", "unit"], name="work_line_unit_unique")]


class ReportingUnitQuerySet(CurrentQuerySet):
    def prefectures(self):
        """Prefecture-level units only (市州): what the province's rules, pages and figures count."""
        return self.filter(parent__isnull=True)


class ReportingUnit(models.Model):
    """A prefecture-level reporting unit (市州, or a new area such as 贵安新区), or one of its counties
    (县市区, `parent` set) — see docs/counties.md."""

    mechanism = models.ForeignKey(Mechanism, on_delete=models.PROTECT, related_name="reporting_units")
    parent = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="counties",
        verbose_name=_("所属市州"),
        help_text=_("县（市、区）填写其所属市州；市州留空。"),
    )
    code = models.SlugField(_("代码"), max_length=32)
    name = models.CharField(_("名称"), max_length=40)
    kind = models.CharField(_("类别"), max_length=10)
    bureau = models.CharField(_("牵头部门"), max_length=60, blank=True)
    order = models.PositiveSmallIntegerField(_("排序"), default=0)
    joined_on = models.DateField(_("加入日期"), null=True, blank=True)
    left_on = models.DateField(_("退出日期"), null=True, blank=True)

    objects = ReportingUnitQuerySet.as_manager()

    class Meta:
        verbose_name = _("市州报送单位")
        verbose_name_plural = _("市州报送单位")
        ordering = ["mechanism", "order", "id"]
        constraints = [
            models.UniqueConstraint(fields=["mechanism", "code"], name="reporting_unit_code_unique"),
            models.UniqueConstraint(fields=["mechanism", "name"], name="reporting_unit_name_unique"),
        ]
        permissions = [("submit_for_reporting_unit", _("报送本地区材料（市州用户）"))]

    def __str__(self):
        return self.name

    @property
    def is_county(self) -> bool:
        return self.parent_id is not None

    def clean(self):
        if self.parent_id and self.parent.parent_id:
            raise ValidationError({"parent": _("县（市、区）只能属于市州，不能再属于县（市、区）。")})
        if self.parent_id and self.parent.mechanism_id != self.mechanism_id:
            raise ValidationError({"parent": _("所属市州应属于同一联席会议。")})


class User(AbstractUser):
    """A sign-in account: a roster person, a prefecture bureau user, or an administrator."""

    display_name = models.CharField(_("显示名称"), max_length=60, blank=True)
    person = models.OneToOneField(
        Person, on_delete=models.PROTECT, null=True, blank=True, related_name="user", verbose_name=_("对应人员")
    )
    reporting_unit = models.ForeignKey(
        ReportingUnit, on_delete=models.PROTECT, null=True, blank=True, related_name="users", verbose_name=_("所属市州")
    )
    is_demo = models.BooleanField(_("演示账号"), default=False)
    # Changes whenever anything this account may see or do can have changed (members.access): every
    # save of the row, and the signals on groups, permissions, unit grants and role assignments.
    # A fresh random value, not a counter, so a rolled-back change can never be mistaken for a later one.
    access_stamp = models.UUIDField(default=uuid.uuid4, editable=False)

    class Meta:
        verbose_name = _("账号")
        verbose_name_plural = _("账号")
        constraints = [
            models.CheckConstraint(
                condition=Q(person__isnull=True) | Q(reporting_unit__isnull=True),
                name="user_person_or_reporting_unit",
            )
        ]

    def __str__(self):
        return self.display_name or (self.person.name if self.person_id else self.username)

    def save(self, *args, **kwargs):
        # Any write of the account (flags, person, reporting unit, password) starts a new access snapshot.
        self.access_stamp = uuid.uuid4()
        if kwargs.get("update_fields") is not None:
            kwargs["update_fields"] = {*kwargs["update_fields"], "access_stamp"}
        super().save(*args, **kwargs)


class Contact(models.Model):
    """One account's own contact details and channel choices (个人设置) — the one place a delivery
    address comes from once a person has entered it. A mobile or e-mail counts only once verified by
    a code sent to it (`*_verified` equals the address that was verified; a changed address is
    unverified until its code is confirmed). WeCom/DingTalk user ids are used to @ the person in their
    unit's group robot. `preferences` maps an urgency to the channels the person wants for it."""

    URGENT, NORMAL, INFO = "urgent", "normal", "info"
    URGENCIES = [(URGENT, _("紧急")), (NORMAL, _("一般")), (INFO, _("知悉"))]
    DEFAULT_PREFERENCES = {URGENT: ["inapp", "sms", "email"], NORMAL: ["inapp", "email"], INFO: ["inapp"]}

    user = models.OneToOneField(
        "members.User", on_delete=models.CASCADE, related_name="contact", verbose_name=_("账号")
    )
    mobile = models.CharField(_("手机"), max_length=20, blank=True)
    mobile_verified = models.CharField(max_length=20, blank=True, editable=False)
    email = models.EmailField(_("电子邮箱"), blank=True)
    email_verified = models.EmailField(blank=True, editable=False)
    wecom_userid = models.CharField(_("企业微信账号"), max_length=64, blank=True)
    dingtalk_userid = models.CharField(_("钉钉账号"), max_length=64, blank=True)
    preferences = models.JSONField(_("接收方式"), default=dict, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("个人联系方式")
        verbose_name_plural = _("个人联系方式")

    def __str__(self):
        return f"{self.user} 的联系方式"

    @property
    def mobile_ok(self) -> bool:
        return bool(self.mobile) and self.mobile == self.mobile_verified

    @property
    def email_ok(self) -> bool:
        return bool(self.email) and self.email.lower() == self.email_verified.lower()

    def channels(self, urgency: str) -> list[str]:
        prefs = self.preferences.get(urgency)
        return list(self.DEFAULT_PREFERENCES.get(urgency, ["inapp"]) if prefs is None else prefs)


class ContactCode(models.Model):
    """A verification code sent to a new mobile or e-mail; only its hash is kept."""

    MOBILE, EMAIL = "mobile", "email"
    user = models.ForeignKey("members.User", on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(max_length=8, choices=[(MOBILE, _("手机")), (EMAIL, _("电子邮箱"))])
    address = models.CharField(max_length=200)
    code_hash = models.CharField(max_length=128)
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()
    tries = models.PositiveSmallIntegerField(default=0)
    used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["user", "kind", "-created_at"], name="contact_code_latest")]


class UnitContact(models.Model):
    """A member unit's (or the office's) contact phone and e-mail and its group robots. `key` is
    "mu:<unit id>" or "office". Robot secrets are stored encrypted (members.secrets) and never shown
    back in full."""

    OFFICE = "office"
    key = models.CharField(max_length=20, unique=True, editable=False)
    unit = models.OneToOneField(
        MemberUnit, on_delete=models.CASCADE, null=True, blank=True, related_name="contact", verbose_name=_("单位")
    )
    phone = models.CharField(_("联系电话"), max_length=30, blank=True)
    email = models.EmailField(_("单位邮箱"), blank=True)
    # All three are sealed (members.secrets): whoever holds one can post into the group.
    wecom_key = models.CharField(_("企业微信群机器人 key"), max_length=500, blank=True)
    dingtalk_token = models.CharField(_("钉钉机器人 access_token"), max_length=500, blank=True)
    dingtalk_secret = models.CharField(_("钉钉机器人加签密钥"), max_length=500, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("单位联系方式")
        verbose_name_plural = _("单位联系方式")
        constraints = [
            models.CheckConstraint(
                condition=Q(unit__isnull=False) | Q(key="office"), name="unit_contact_unit_or_office"
            )
        ]

    def __str__(self):
        return "联席会议办公室" if self.key == self.OFFICE else str(self.unit)

    @property
    def has_wecom(self) -> bool:
        return bool(self.wecom_key)

    @property
    def has_dingtalk(self) -> bool:
        return bool(self.dingtalk_token and self.dingtalk_secret)
