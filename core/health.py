"""The operators' health page: what is down, by name, and never a 500.

Core checks the database, the broker and the beat; apps above it register their own checks
(`register_check`; deadlines adds mail, SMS and the outbox backlog in deadlines/health.py). The answer
is 503 when any check fails. While PostgreSQL is down the page cannot know who is asking: a monitor
with the token still gets every check; anyone else gets a bare JSON 503 naming the database."""

import logging
from collections.abc import Callable
from datetime import timedelta

from django.conf import settings
from django.contrib.auth.decorators import login_not_required
from django.db import DatabaseError, connection
from django.http import Http404, JsonResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.crypto import constant_time_compare

from .models import Heartbeat

log = logging.getLogger(__name__)

# Beat ticks every minute (on the `heartbeat` queue, so a send backlog cannot hold it up).
BEAT_STALE_AFTER = timedelta(minutes=3)
# A beat that started less than this long ago and has not ticked yet is "starting", not down.
BEAT_START_GRACE = timedelta(minutes=3)

_CHECKS: list[tuple[str, str, Callable[[], dict]]] = []


def register_check(name: str, label: str, check: Callable[[], dict]) -> None:
    """Add a check: `check()` returns {"ok": bool, "info": str, ...}; an exception counts as down."""
    if name not in {n for n, _, _ in _CHECKS}:
        _CHECKS.append((name, label, check))


def _check_database():
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return {"ok": True, "info": connection.vendor}


def _check_broker():
    from celery import current_app as app  # the project's Celery app (config/celery.py), not imported

    with app.connection_for_write() as conn:
        conn.ensure_connection(max_retries=1, timeout=2)
        return {"ok": True, "info": conn.as_uri()}


def beat_state(now=None) -> dict:
    """ok when the last tick is fresh, or when beat started within the grace period and has not had
    time to tick yet (a fresh deployment, a restart after a long stop)."""
    now = now or timezone.now()
    rows = dict(Heartbeat.objects.filter(name__in=["beat", "beat-start"]).values_list("name", "at"))
    tick, started = rows.get("beat"), rows.get("beat-start")
    if tick and now - tick < BEAT_STALE_AFTER:
        return {"ok": True, "info": "正常", "last_tick": tick.isoformat(), "started": _iso(started)}
    if started and now - started < BEAT_START_GRACE and (tick is None or tick < started):
        return {"ok": True, "info": "刚启动，等待第一次心跳", "last_tick": _iso(tick), "started": started.isoformat()}
    info = f"最近一次心跳已超过 {int(BEAT_STALE_AFTER.total_seconds() // 60)} 分钟" if tick else "尚无心跳记录"
    return {"ok": False, "info": info, "last_tick": _iso(tick), "started": _iso(started)}


def _iso(value):
    return value.isoformat() if value else None


register_check("database", "数据库", _check_database)
register_check("broker", "消息队列（Celery broker）", _check_broker)
register_check("beat", "定时任务（beat）心跳", beat_state)


def run_checks(*, skip: set[str] = frozenset()) -> dict:
    results = {}
    for name, label, check in _CHECKS:
        if name in skip:
            continue
        try:
            result = dict(check())
        except Exception as exc:  # noqa: BLE001 - any failure is the answer
            result = {"ok": False, "info": f"{type(exc).__name__}: {exc}"[:500]}
        result["label"] = label
        results[name] = result
    return results


def _token_ok(request) -> bool:
    token = settings.HEALTH_TOKEN
    return bool(token) and constant_time_compare(request.headers.get("X-Health-Token", ""), token)


def _answer(request, results, *, html=True):
    down = [name for name, result in results.items() if not result["ok"]]
    data = {"status": "ok" if not down else "degraded", "down": down, **results}
    code = 503 if down else 200
    wants_json = request.GET.get("format") == "json" or "application/json" in request.headers.get("Accept", "")
    if wants_json or not html:
        return JsonResponse(data, status=code, json_dumps_params={"ensure_ascii": False})
    return render(request, "core/health.html", {"data": data, "checks": results}, status=code)


@login_not_required
def health(request):
    """Signed-in staff see the page; a monitor may use the X-Health-Token header. Everyone else: 404."""
    if _token_ok(request):
        results = run_checks()
        # With the database down the page cannot be drawn (the frame reads it): JSON instead.
        return _answer(request, results, html=results["database"]["ok"])
    try:
        user = request.user
        allowed = user.is_authenticated and (user.is_staff or user.has_perm(settings.HEALTH_VIEW_PERMISSION))
        authenticated = user.is_authenticated
    except DatabaseError as exc:
        log.warning("health: database unavailable while checking who is asking: %s", exc)
        return JsonResponse(
            {
                "status": "degraded",
                "down": ["database"],
                "database": {"ok": False, "label": "数据库", "info": "数据库不可用"},
            },
            status=503,
            json_dumps_params={"ensure_ascii": False},
        )
    if not allowed:
        if not authenticated:
            from django.contrib.auth.views import redirect_to_login

            return redirect_to_login(request.get_full_path())
        raise Http404
    results = run_checks()
    return _answer(request, results, html=results["database"]["ok"])
