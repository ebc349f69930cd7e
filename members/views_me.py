"""个人设置 (every account's own contacts and channels), 联系可达性 and units' contacts (the office)."""

from django import forms
from django.contrib import messages
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render

from core.errors import DomainError
from core.parsing import int_or_none

from . import contacts
from .models import Contact, ContactCode, MemberUnit
from .selectors import mechanism_current

CHANNEL_CHOICES = [(c, contacts.CHANNEL_LABELS[c]) for c in contacts.PERSONAL_CHANNELS]


class ContactForm(forms.Form):
    mobile = forms.CharField(
        label="手机号码",
        required=False,
        max_length=20,
        widget=forms.TextInput(attrs={"inputmode": "tel", "autocomplete": "tel"}),
    )
    email = forms.CharField(
        label="电子邮箱", required=False, max_length=254, widget=forms.EmailInput(attrs={"autocomplete": "email"})
    )
    wecom_userid = forms.CharField(
        label="企业微信账号",
        required=False,
        max_length=64,
        help_text="企业微信中的账号（UserID），紧急消息在单位群中 @ 您。",
    )
    dingtalk_userid = forms.CharField(
        label="钉钉账号", required=False, max_length=64, help_text="钉钉中的 userId，紧急消息在单位群中 @ 您。"
    )
    urgent = forms.MultipleChoiceField(
        label="紧急事项（催办、逾期）", choices=CHANNEL_CHOICES, required=False, widget=forms.CheckboxSelectMultiple
    )
    normal = forms.MultipleChoiceField(
        label="一般事项（交办、退回、决定）",
        choices=CHANNEL_CHOICES,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    info = forms.MultipleChoiceField(
        label="知悉事项（通报、办结）", choices=CHANNEL_CHOICES, required=False, widget=forms.CheckboxSelectMultiple
    )


class CodeForm(forms.Form):
    code = forms.CharField(
        label="验证码",
        max_length=6,
        min_length=6,
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "one-time-code"}),
        error_messages={"min_length": "验证码为 6 位数字。", "required": "请输入验证码。"},
    )


def settings_page(request):
    """个人设置: my mobile, e-mail, WeCom/DingTalk ids and the channels I want per urgency."""
    request.nav_active = "me"
    user = request.user
    contact = contacts.contact_get(user)
    initial = {
        "mobile": contact.mobile,
        "email": contact.email,
        "wecom_userid": contact.wecom_userid,
        "dingtalk_userid": contact.dingtalk_userid,
        **{u: contact.channels(u) for u, _ in Contact.URGENCIES},
    }
    form, code_form = ContactForm(initial=initial), CodeForm()
    if request.method == "POST":
        action = request.POST.get("action", "")
        try:
            if action == "save":
                form = ContactForm(request.POST)
                if form.is_valid():
                    data = form.cleaned_data
                    contact = contacts.contact_update(
                        user=user,
                        by=user,
                        mobile=data["mobile"],
                        email=data["email"],
                        wecom_userid=data["wecom_userid"],
                        dingtalk_userid=data["dingtalk_userid"],
                        preferences={u: data[u] for u, _ in Contact.URGENCIES},
                    )
                    pending = [
                        label
                        for ok, value, label in (
                            (contact.mobile_ok, contact.mobile, "手机号码"),
                            (contact.email_ok, contact.email, "电子邮箱"),
                        )
                        if value and not ok
                    ]
                    messages.success(
                        request, "已保存。" + (f"{'和'.join(pending)}验证后才会用于发送提醒。" if pending else "")
                    )
                    return redirect("me:settings")
            elif action in ("send_mobile", "send_email"):
                kind = ContactCode.MOBILE if action == "send_mobile" else ContactCode.EMAIL
                contacts.contact_code_send(user=user, kind=kind, by=user)
                messages.success(
                    request,
                    "验证码已发送到您的手机，10 分钟内有效。"
                    if kind == ContactCode.MOBILE
                    else "验证码已发送到您的邮箱，10 分钟内有效。",
                )
                return redirect("me:settings")
            elif action in ("confirm_mobile", "confirm_email"):
                kind = ContactCode.MOBILE if action == "confirm_mobile" else ContactCode.EMAIL
                code_form = CodeForm(request.POST)
                if code_form.is_valid():
                    contacts.contact_code_confirm(user=user, kind=kind, code=code_form.cleaned_data["code"], by=user)
                    messages.success(request, "验证成功，今后的提醒将发送到这里。")
                    return redirect("me:settings")
            else:
                raise Http404("不能进行该操作。")
        except DomainError as exc:
            target = code_form if action.startswith("confirm") else form
            pending = (
                (contact.mobile and not contact.mobile_ok)
                if action.endswith("mobile")
                else (contact.email and not contact.email_ok)
            )
            if action.startswith("confirm") and not pending:
                messages.error(request, exc.message)  # no verification box on the page to show it in
            elif exc.field and exc.field in target.fields:
                target.add_error(exc.field, exc.message)
            else:
                messages.error(request, exc.message)
    return render(
        request,
        "members/me.html",
        {
            "form": form,
            "code_form": code_form,
            "contact": contact,
            "roster_mobile": contacts.contact_address(user, "sms") if not contact.mobile_ok else "",
            "roster_email": contacts.contact_address(user, "email") if not contact.email_ok else "",
            "code_action": request.POST.get("action", "") if request.method == "POST" else "",
        },
    )


def _office_or_404(user):
    if not (user.has_perm("members.dispatch") or user.is_superuser):
        raise Http404("页面不存在。")


def reach(request):
    """联系可达性: every unit and person who cannot be reached on some channel."""
    _office_or_404(request.user)
    request.nav_active = "reach"
    mechanism = mechanism_current()
    if mechanism is None:
        raise Http404("联席会议尚未载入。")
    return render(request, "members/reach.html", contacts.reachability(mechanism))


class UnitContactForm(forms.Form):
    phone = forms.CharField(label="联系电话", required=False, max_length=30)
    email = forms.CharField(label="单位邮箱", required=False, max_length=254, widget=forms.EmailInput)
    wecom_key = forms.CharField(
        label="企业微信群机器人 webhook 地址或 key",
        required=False,
        max_length=400,
        widget=forms.PasswordInput(render_value=False),
        help_text="留空则保持原设置。",
    )
    clear_wecom = forms.BooleanField(label="移除企业微信群机器人", required=False)
    dingtalk_token = forms.CharField(
        label="钉钉机器人 webhook 地址或 access_token",
        required=False,
        max_length=400,
        widget=forms.PasswordInput(render_value=False),
        help_text="留空则保持原设置。",
    )
    dingtalk_secret = forms.CharField(
        label="钉钉机器人加签密钥（SEC 开头）",
        required=False,
        max_length=200,
        widget=forms.PasswordInput(render_value=False),
        help_text="留空则保持原设置。",
    )
    clear_dingtalk = forms.BooleanField(label="移除钉钉机器人", required=False)


def unit_contact_edit(request, key: str):
    """The office keeps a unit's (or its own, key "office") contact phone, e-mail and group robots."""
    _office_or_404(request.user)
    request.nav_active = "reach"
    if key == "office":
        unit = None
    elif (pk := int_or_none(key)) is not None:
        unit = get_object_or_404(MemberUnit, pk=pk, mechanism=mechanism_current())
    else:
        raise Http404("没有该单位。")
    uc = contacts.unit_contact_get(unit=unit)
    form = UnitContactForm(request.POST or None, initial={"phone": uc.phone, "email": uc.email})
    if request.method == "POST" and form.is_valid():
        try:
            contacts.unit_contact_update(unit=unit, by=request.user, **form.cleaned_data)
            messages.success(request, "已保存单位联系方式。")
            return redirect("me:reach")
        except DomainError as exc:
            form.add_error(exc.field if exc.field in form.fields else None, exc.message)
    return render(
        request,
        "members/unit_contact.html",
        {"form": form, "uc": uc, "name": str(unit) if unit else "联席会议办公室", "masks": contacts.robot_masks(uc)},
    )
