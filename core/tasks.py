from celery import shared_task

from .services import heartbeat_touch


@shared_task(ignore_result=True)
def beat_heartbeat():
    """Runs every minute from beat through the broker and a worker: proves all three are alive."""
    heartbeat_touch(name="beat")
