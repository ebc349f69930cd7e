from celery import shared_task

from .services import access_sync_all


@shared_task(ignore_result=True, autoretry_for=(Exception,), retry_backoff=60, max_retries=5)
def access_sync():
    """Nightly: grants follow roles that began or ended today (idempotent)."""
    access_sync_all()
