"""账号安全 under /accounts/: the second factor (set up, verify, recovery codes, the administrator's
reset) and password change and reset (Django's views with audit rows and Chinese templates)."""

import re

import django_otp
import qrcode
import qrcode.image.svg
from django import forms
from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_not_required
from django.db import transaction
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse, reverse_lazy
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from core.errors import DomainError

from .models import User
from .security import has_second_factor, is_privileged, is_verified, second_factor_exempt
from .services import (
    password_changed_record,
    recovery_codes_renew,
    second_factor_begin,
    second_factor_check,
    second_factor_confirm,
    second_factor_reset,
)


class TokenForm(forms.Form):
    token = forms.CharField(
        label="验证码",
        max_length=16,
        strip=True,
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "numeric", "autofocus": True}),
    )


class ResetForm(forms.Form):
    reason = forms.CharField(label="重置理由", max_length=200, widget=forms.Textarea(attrs={"rows": 3}))


def _next_url(request) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return reverse("home")


def _qr_svg(data: str) -> str:
    """The otpauth:// address as an inline SVG, drawn here (no CDN, no script)."""
    image = qrcode.make(data, image_factory=qrcode.image.svg.SvgPathImage, box_size=8, border=2)
    svg = image.to_string(encoding="unicode")
    return re.sub(r"^<\?xml[^>]*\?>\s*", "", svg)


def _secret_text(device) -> str:
    from base64 import b32encode

    secret = b32encode(device.bin_key).decode()
    return " ".join(secret[i : i + 4] for i in range(0, len(secret), 4))


@second_factor_exempt
def second_factor(request):
    """两步验证: set up an authenticator (first time), enter a code (each sign-in), or manage it."""
    user = request.user
    request.nav_active = "second-factor"
    enrolled = has_second_factor(user)
    if enrolled and is_verified(user):
        return render(request, "accounts/second_factor_manage.html", {"privileged": is_privileged(user)})
    form = TokenForm(request.POST or None)
    if enrolled:
        if request.method == "POST" and form.is_valid():
            try:
                device = second_factor_check(user=user, token=form.cleaned_data["token"])
            except DomainError as e:
                form.add_error("token", e.message)
            else:
                django_otp.login(request, device)
                request.session.cycle_key()
                return redirect(_next_url(request))
        return render(request, "accounts/second_factor_verify.html", {"form": form, "next": _next_url(request)})

    device = second_factor_begin(user=user)
    if request.method == "POST" and form.is_valid():
        try:
            codes = second_factor_confirm(user=user, device=device, token=form.cleaned_data["token"])
        except DomainError as e:
            form.add_error("token", e.message)
        else:
            django_otp.login(request, device)
            request.session.cycle_key()
            return render(
                request,
                "accounts/recovery_codes.html",
                {"codes": codes, "next": _next_url(request), "first_time": True},
            )
    return render(
        request,
        "accounts/second_factor_setup.html",
        {
            "form": form,
            "next": _next_url(request),
            "qr_svg": _qr_svg(device.config_url),
            "secret": _secret_text(device),
            "required": is_privileged(user),
        },
    )


@require_POST
def recovery_codes(request):
    """New recovery codes (the old ones stop working), shown once."""
    if not (has_second_factor(request.user) and is_verified(request.user)):
        raise Http404
    codes = recovery_codes_renew(user=request.user, by=request.user)
    return render(request, "accounts/recovery_codes.html", {"codes": codes, "next": reverse("second-factor")})


def second_factor_reset_view(request, user_id: int):
    """An administrator resets another account's second factor (a lost phone)."""
    if not request.user.is_superuser:
        raise Http404
    target = get_object_or_404(User, pk=user_id)
    form = ResetForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            second_factor_reset(user=target, by=request.user, reason=form.cleaned_data["reason"])
        except DomainError as e:
            form.add_error("reason" if e.field == "reason" else None, e.message)
        else:
            messages.success(request, f"已重置 {target} 的两步验证；该账号下次登录时须重新设置。")
            return redirect("admin:members_user_changelist")
    return render(
        request,
        "accounts/second_factor_reset.html",
        {"form": form, "target": target, "enrolled": has_second_factor(target)},
    )


# --- Passwords ---------------------------------------------------------------------------------------------


class PasswordChangeView(auth_views.PasswordChangeView):
    template_name = "registration/password_change_form.html"
    success_url = reverse_lazy("password_change_done")

    def form_valid(self, form):
        with transaction.atomic():
            response = super().form_valid(form)
            password_changed_record(user=self.request.user, by=self.request.user, how="change")
        return response


class PasswordResetView(auth_views.PasswordResetView):
    """Mails a reset link to the address on the account, if there is one; the answer is the same
    whether or not an account has that address (nothing leaks about who has an account)."""

    email_template_name = "registration/password_reset_email.txt"
    subject_template_name = "registration/password_reset_subject.txt"
    success_url = reverse_lazy("password_reset_done")


class PasswordResetConfirmView(auth_views.PasswordResetConfirmView):
    success_url = reverse_lazy("password_reset_complete")

    def form_valid(self, form):
        with transaction.atomic():
            response = super().form_valid(form)
            password_changed_record(user=form.user, by=None, how="reset")
        return response


password_change = PasswordChangeView.as_view()
password_change_done = auth_views.PasswordChangeDoneView.as_view()
password_reset = login_not_required(PasswordResetView.as_view())
password_reset_done = login_not_required(auth_views.PasswordResetDoneView.as_view())
password_reset_confirm = login_not_required(PasswordResetConfirmView.as_view())
password_reset_complete = login_not_required(auth_views.PasswordResetCompleteView.as_view())
