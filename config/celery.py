import logging
import os

from celery import Celery, signals

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")

app = Celery("config")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@signals.beat_init.connect
@signals.beat_embedded_init.connect
def _beat_started(**kwargs):
    """Beat records its start, so the health page gives it a grace period before its first tick."""
    import django

    django.setup()
    from core.services import heartbeat_touch

    try:
        heartbeat_touch(name="beat-start")
    except Exception:  # noqa: BLE001 - the health page will say the database is down
        logging.getLogger(__name__).exception("beat start not recorded")
