"""Contacts: each account's own mobile, e-mail, WeCom/DingTalk ids and channel choices (个人设置), the
codes that verify a new mobile or e-mail, the units' contact details and group robots (kept by the
office), and who cannot be reached (联系可达性).

Writes are services (`<noun>_<verb>`, audit row with old/new values in the same transaction); the
verification code is handed to the outbox through `members.signals` (deadlines listens) and goes out on commit."""

import hashlib
import hmac
import re
import secrets as random_codes
from datetime import timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.utils import timezone

from core.errors import DomainError

from .models import Contact, ContactCode, MemberUnit, UnitContact
from .secrets import secret_mask, secret_open, secret_seal
from .signals import contact_code_issued, unit_robot_changed

MOBILE_RE = re.compile(r"^1[3-9]\d{9}$")
ID_RE = re.compile(r"^[A-Za-z0-9_.@-]{1,64}$")
PERSONAL_CHANNELS = ("inapp", "email", "sms")
CHANNEL_LABELS = {"inapp": "站内通知", "email": "电子邮件", "sms": "短信"}
CODE_MINUTES = 10
CODE_RESEND_SECONDS = 60
CODE_TRIES = 5


# ---- where a channel reaches an account (read by the deadlines outbox and by 个人设置) ----------------


def contact_of(user):
    """The account's own contact row (Contact), or None; cached on the user object."""
    try:
        return user.contact
    except (Contact.DoesNotExist, AttributeError):
        return None


def contacts_prefetch(users) -> None:
    """Load the contact rows of `users` in one query (accounts only; other objects are skipped)."""
    from django.db.models import prefetch_related_objects

    todo = [u for u in users if hasattr(u, "_meta") and not u._meta.get_field("contact").is_cached(u)]
    if todo:
        prefetch_related_objects(todo, "contact")


def contact_address(user, channel: str) -> str:
    """Where a message on `channel` ("email", "sms") reaches `user`: the address the person verified on
    个人设置 (an unverified one is never used), else the one the office keeps in the roster (people) or on
    the account (prefecture users); "" when there is none."""
    contact = contact_of(user)
    person = getattr(user, "person", None)
    if channel == "email":
        if contact is not None and contact.email_ok:
            return contact.email
        return user.email or (person.email if person else "")
    if channel == "sms":
        if contact is not None and contact.mobile_ok:
            return contact.mobile
        return person.mobile if person else ""
    return ""


def contact_get(user) -> Contact:
    """The account's contact row (an unsaved blank one if the person never saved 个人设置)."""
    try:
        return user.contact
    except Contact.DoesNotExist:
        return Contact(user=user)


def _clean_mobile(value: str) -> str:
    value = re.sub(r"[\s-]", "", value or "")
    if value.startswith("+86"):
        value = value[3:]
    if value and not MOBILE_RE.match(value):
        raise DomainError("手机号码格式不正确：请填写 11 位中国大陆手机号。", field="mobile")
    return value


def _clean_email(value: str) -> str:
    value = (value or "").strip()
    if value:
        try:
            validate_email(value)
        except ValidationError:
            raise DomainError("电子邮箱格式不正确。", field="email") from None
    return value


def _clean_id(value: str, field: str, label: str) -> str:
    value = (value or "").strip()
    if value and not ID_RE.match(value):
        raise DomainError(f"{label}只能包含字母、数字和 _ . @ -，最长 64 个字符。", field=field)
    return value


def _clean_preferences(preferences: dict) -> dict:
    out = {}
    for urgency, _label in Contact.URGENCIES:
        chosen = [c for c in preferences.get(urgency, []) if c in PERSONAL_CHANNELS]
        out[urgency] = ["inapp"] + [c for c in chosen if c != "inapp"]
    return out


def contact_update(
    *,
    user,
    by,
    mobile: str,
    email: str,
    wecom_userid: str = "",
    dingtalk_userid: str = "",
    preferences: dict | None = None,
) -> Contact:
    """Save a person's own contact details. A new mobile or e-mail is kept but not used until its code
    is confirmed (`contact_code_send`, `contact_code_confirm`)."""
    mobile, email = _clean_mobile(mobile), _clean_email(email)
    wecom_userid = _clean_id(wecom_userid, "wecom_userid", "企业微信账号")
    dingtalk_userid = _clean_id(dingtalk_userid, "dingtalk_userid", "钉钉账号")
    with transaction.atomic():
        contact, _ = Contact.objects.select_for_update().get_or_create(user=user)
        new = {"mobile": mobile, "email": email, "wecom_userid": wecom_userid, "dingtalk_userid": dingtalk_userid}
        if preferences is not None:
            new["preferences"] = _clean_preferences(preferences)
        changes = {f: [getattr(contact, f), v] for f, v in new.items() if getattr(contact, f) != v}
        if not changes:
            return contact
        for f, v in new.items():
            setattr(contact, f, v)
        contact.save()
        from core.services import audit_record

        audit_record(actor=by, action="contact.update", obj=contact, reason="个人设置", changes=changes)
    return contact


def _hash(code_id: int, code: str) -> str:
    return hmac.new(settings.SECRET_KEY.encode(), f"{code_id}:{code}".encode(), hashlib.sha256).hexdigest()


def contact_code_send(*, user, kind: str, by, now=None) -> ContactCode:
    """Send a 6-digit code to the mobile (SMS) or e-mail the person entered, through the outbox."""
    now = now or timezone.now()
    contact = contact_get(user)
    address = contact.mobile if kind == ContactCode.MOBILE else contact.email if kind == ContactCode.EMAIL else None
    if address is None:
        raise DomainError("不支持的验证方式。")
    if not address:
        raise DomainError(
            "请先填写并保存手机号码。" if kind == ContactCode.MOBILE else "请先填写并保存电子邮箱。",
            field="mobile" if kind == ContactCode.MOBILE else "email",
        )
    if contact.mobile_ok if kind == ContactCode.MOBILE else contact.email_ok:
        raise DomainError("该联系方式已经验证，无需再次验证。")
    with transaction.atomic():
        last = ContactCode.objects.select_for_update().filter(user=user, kind=kind).order_by("-created_at").first()
        if last and last.used_at is None and (now - last.created_at).total_seconds() < CODE_RESEND_SECONDS:
            raise DomainError("验证码已发送，请 1 分钟后再重新获取。")
        code = f"{random_codes.randbelow(10**6):06d}"
        row = ContactCode.objects.create(
            user=user, kind=kind, address=address, code_hash="", expires_at=now + timedelta(minutes=CODE_MINUTES)
        )
        row.code_hash = _hash(row.pk, code)
        row.save(update_fields=["code_hash"])
        from core.services import audit_record

        audit_record(
            actor=by,
            action="contact.code_send",
            obj=contact if contact.pk else user,
            reason="发送验证码",
            changes={kind: [None, address]},
        )
        _send_code(user=user, kind=kind, address=address, code=code, row=row, now=now)
    return row


def _send_code(*, user, kind, address, code, row, now):
    """Hand the code to the outbox (deadlines listens: members does not import it), sent on commit."""
    contact_code_issued.send(
        sender=ContactCode, user=user, kind=kind, address=address, code=code, code_id=row.pk, now=now
    )


def contact_code_confirm(*, user, kind: str, code: str, by, now=None) -> Contact:
    now = now or timezone.now()
    code = (code or "").strip()
    with transaction.atomic():
        contact = Contact.objects.select_for_update().filter(user=user).first()
        address = (contact.mobile if kind == ContactCode.MOBILE else contact.email) if contact else ""
        row = (
            ContactCode.objects.select_for_update()
            .filter(user=user, kind=kind, used_at__isnull=True)
            .order_by("-created_at")
            .first()
        )
        if row is None or not address or row.address != address:
            raise DomainError("请先获取验证码。", field="code")
        if row.expires_at < now:
            raise DomainError("验证码已过期，请重新获取。", field="code")
        if row.tries >= CODE_TRIES:
            raise DomainError("验证码错误次数过多，请重新获取。", field="code")
        if not (code.isdigit() and hmac.compare_digest(row.code_hash, _hash(row.pk, code))):
            ContactCode.objects.filter(pk=row.pk).update(tries=row.tries + 1)
            error = DomainError("验证码不正确，请核对短信或邮件中的 6 位数字。", field="code")
        else:
            error = None
            row.used_at = now
            row.save(update_fields=["used_at"])
            field = "mobile_verified" if kind == ContactCode.MOBILE else "email_verified"
            old = getattr(contact, field)
            setattr(contact, field, address)
            contact.save(update_fields=[field, "updated_at"])
            from core.services import audit_record

            audit_record(
                actor=by, action="contact.verify", obj=contact, reason="验证码确认", changes={field: [old, address]}
            )
    if error is not None:  # raised after the atomic block so the counted try is kept
        raise error
    return contact


# ---- units (kept by the office) ---------------------------------------------------------------


def unit_contact_get(*, unit: MemberUnit | None) -> UnitContact:
    key = f"mu:{unit.pk}" if unit is not None else UnitContact.OFFICE
    found = UnitContact.objects.filter(key=key).first()
    return found or UnitContact(key=key, unit=unit)


def robot_masks(uc: UnitContact) -> dict:
    return {
        "wecom_key": secret_mask(secret_open(uc.wecom_key)),
        "dingtalk_token": secret_mask(secret_open(uc.dingtalk_token)),
        "dingtalk_secret": secret_mask(secret_open(uc.dingtalk_secret)),
        "unreadable": any(v and not secret_open(v) for v in (uc.wecom_key, uc.dingtalk_token, uc.dingtalk_secret)),
    }


def unit_contact_update(
    *,
    unit: MemberUnit | None,
    by,
    phone: str,
    email: str,
    wecom_key: str = "",
    dingtalk_token: str = "",
    dingtalk_secret: str = "",
    clear_wecom: bool = False,
    clear_dingtalk: bool = False,
) -> UnitContact:
    """The office saves a unit's (unit=None: the office's own) contact phone, e-mail and group robots.
    Blank secret fields keep what is stored; the audit row records that a secret changed, never its value."""
    email = _clean_email(email)
    phone = (phone or "").strip()
    if len(phone) > 30 or (phone and not re.match(r"^[0-9+\-() 转]{5,30}$", phone)):
        raise DomainError("联系电话格式不正确。", field="phone")
    wecom_key = (wecom_key or "").strip()
    if "key=" in wecom_key:  # the whole webhook address was pasted: keep its key
        wecom_key = wecom_key.split("key=", 1)[1].split("&")[0]
    dingtalk_token = (dingtalk_token or "").strip()
    if "access_token=" in dingtalk_token:
        dingtalk_token = dingtalk_token.split("access_token=", 1)[1].split("&")[0]
    dingtalk_secret = (dingtalk_secret or "").strip()
    for value, field, label in (
        (wecom_key, "wecom_key", "企业微信群机器人 key"),
        (dingtalk_token, "dingtalk_token", "钉钉 access_token"),
        (dingtalk_secret, "dingtalk_secret", "钉钉加签密钥"),
    ):
        if value and not re.match(r"^[A-Za-z0-9_\-]{8,200}$", value):
            raise DomainError(f"{label}格式不正确。", field=field)
    with transaction.atomic():
        uc = unit_contact_get(unit=unit)
        if uc.pk:
            uc = UnitContact.objects.select_for_update().get(pk=uc.pk)
        changes = {}
        for field, value in (("phone", phone), ("email", email)):
            if getattr(uc, field) != value:
                changes[field] = [getattr(uc, field), value]
                setattr(uc, field, value)
        for field, value, clear in (
            ("wecom_key", wecom_key, clear_wecom),
            ("dingtalk_token", dingtalk_token, clear_dingtalk),
            ("dingtalk_secret", dingtalk_secret, clear_dingtalk),
        ):
            old_set = bool(getattr(uc, field))
            if clear and old_set:
                setattr(uc, field, "")
                changes[field] = ["已设置", "已清除"]
            elif value and value != secret_open(getattr(uc, field)):
                setattr(uc, field, secret_seal(value))
                changes[field] = ["已设置" if old_set else "", "已更换" if old_set else "已设置"]
        if bool(uc.dingtalk_token) != bool(uc.dingtalk_secret):
            raise DomainError("钉钉机器人需要同时填写 access_token 和加签密钥。", field="dingtalk_secret")
        if not changes:
            return uc
        uc.save()
        from core.services import audit_record

        audit_record(actor=by, action="unit_contact.update", obj=uc, reason="单位联系方式", changes=changes)
        if any(f in changes for f in ("wecom_key", "dingtalk_token", "dingtalk_secret")):
            unit_robot_changed.send(sender=UnitContact, unit_contact=uc)  # its waiting messages try again now
    return uc


# ---- 联系可达性 -----------------------------------------------------------------------------------


def reachability(mechanism, on=None) -> dict:
    """Every current unit and every person (and prefecture account) with what they cannot be reached
    on. A person without an account cannot be reached at all; an account without a usable mobile gets
    no SMS, without an e-mail no mail; a unit without a group robot gets no group message."""
    from .models import Person, User

    units = list(MemberUnit.objects.current(on).filter(mechanism=mechanism).order_by("order", "id"))
    robots = {uc.unit_id: uc for uc in UnitContact.objects.filter(unit__in=units)}
    people = list(
        Person.objects.filter(unit__in=units, roles__isnull=False)
        .distinct()
        .select_related("unit")
        .order_by("unit__order", "id")
    )
    users = {u.person_id: u for u in User.objects.filter(person__in=people, is_active=True).select_related("person")}
    contacts_prefetch(list(users.values()))
    unit_rows, person_rows = [], []
    for unit in units:
        uc = robots.get(unit.pk)
        missing = [
            label
            for ok, label in (
                (uc and uc.has_wecom, "企业微信群"),
                (uc and uc.has_dingtalk, "钉钉群"),
                (uc and uc.phone, "联系电话"),
                (uc and uc.email, "单位邮箱"),
            )
            if not ok
        ]
        group_ok = bool(uc and (uc.has_wecom or uc.has_dingtalk))
        unit_rows.append({"unit": unit, "contact": uc, "missing": missing, "group_ok": group_ok})
    for person in people:
        user = users.get(person.pk)
        if user is None:
            person_rows.append(
                {"name": person.name, "where": person.unit.name, "missing": ["没有账号（任何渠道都收不到）"]}
            )
            continue
        missing = [
            label
            for channel, label in (("sms", "短信（无已验证手机）"), ("email", "邮件（无邮箱）"))
            if not contact_address(user, channel)
        ]
        if missing:
            person_rows.append({"name": str(user), "where": person.unit.name, "missing": missing})
    reporting_users = list(
        User.objects.filter(reporting_unit__mechanism=mechanism, is_active=True)
        .select_related("reporting_unit")
        .order_by("reporting_unit__order", "id")
    )
    contacts_prefetch(reporting_users)  # prefectures' and counties' accounts: one query, not one per account
    for user in reporting_users:
        missing = [
            label
            for channel, label in (("sms", "短信（无已验证手机）"), ("email", "邮件（无邮箱）"))
            if not contact_address(user, channel)
        ]
        if missing:
            person_rows.append({"name": str(user), "where": user.reporting_unit.name, "missing": missing})
    office = UnitContact.objects.filter(key=UnitContact.OFFICE).first()
    return {
        "units": unit_rows,
        "people": person_rows,
        "office": office,
        "units_unreachable": sum(1 for r in unit_rows if not r["group_ok"]),
    }
