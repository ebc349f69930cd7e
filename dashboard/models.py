"""The dashboard's own data: private calendar-feed addresses (the figures are computed, not stored)."""

import secrets

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


def new_token() -> str:
    return secrets.token_urlsafe(32)


class FeedToken(models.Model):
    """A user's private iCal address. Revoked tokens are kept (who had an address, and until when);
    a user has at most one live token."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="feed_tokens", verbose_name=_("用户")
    )
    token = models.CharField(max_length=64, unique=True, default=new_token, editable=False)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    revoked_at = models.DateTimeField(_("停用时间"), null=True, blank=True)
    last_used_at = models.DateTimeField(_("最近访问"), null=True, blank=True)

    class Meta:
        verbose_name = _("日历订阅地址")
        verbose_name_plural = _("日历订阅地址")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["user"], condition=Q(revoked_at__isnull=True), name="feed_token_one_live_per_user"
            )
        ]

    def __str__(self):
        return f"{self.user} · {'已停用' if self.revoked_at else '有效'}"
