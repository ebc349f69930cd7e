"""The operators' health page: database, broker, and the last beat tick."""

from datetime import timedelta

from django.conf import settings
from django.contrib.auth.decorators import login_not_required
from django.db import connection
from django.http import Http404, JsonResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.crypto import constant_time_compare

from .models import Heartbeat

BEAT_STALE_AFTER = timedelta(minutes=3)


def _check_database():
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        return True, connection.vendor
    except Exception as exc:  # noqa: BLE001 - any failure is the answer
        return False, f"{type(exc).__name__}: {exc}"


def _check_broker():
    from config.celery import app

    try:
        with app.connection_for_write() as conn:
            conn.ensure_connection(max_retries=1, timeout=2)
            return True, conn.transport_cls if isinstance(conn.transport_cls, str) else conn.as_uri()
    except Exception as exc:  # noqa: BLE001
        return False, f"{type(exc).__name__}: {exc}"


def _check_beat():
    beat = Heartbeat.objects.filter(name="beat").first()
    if beat is None:
        return False, None
    return timezone.now() - beat.at < BEAT_STALE_AFTER, beat.at


def _may_see(request):
    token = settings.HEALTH_TOKEN
    if token and constant_time_compare(request.headers.get("X-Health-Token", ""), token):
        return True
    user = request.user
    return user.is_authenticated and (user.is_staff or user.has_perm("members.oversee"))


@login_not_required
def health(request):
    """Signed-in staff see the page; a monitor may use the X-Health-Token header. Everyone else: 404."""
    if not _may_see(request):
        if not request.user.is_authenticated:
            from django.contrib.auth.views import redirect_to_login

            return redirect_to_login(request.get_full_path())
        raise Http404
    db_ok, db_info = _check_database()
    broker_ok, broker_info = _check_broker()
    beat_ok, beat_at = _check_beat()
    ok = db_ok and broker_ok and beat_ok
    data = {
        "status": "ok" if ok else "degraded",
        "database": {"ok": db_ok, "info": str(db_info)},
        "broker": {"ok": broker_ok, "info": str(broker_info)},
        "beat": {"ok": beat_ok, "last_tick": beat_at.isoformat() if beat_at else None},
    }
    code = 200 if ok else 503
    if request.GET.get("format") == "json" or "application/json" in request.headers.get("Accept", ""):
        return JsonResponse(data, status=code)
    return render(request, "core/health.html", {"data": data, "beat_at": beat_at}, status=code)
