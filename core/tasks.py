import logging

from celery import shared_task

from .services import heartbeat_touch

logger = logging.getLogger(__name__)


@shared_task(ignore_result=True)
def beat_heartbeat():
    """Runs every minute from beat through the broker and a worker: proves all three are alive."""
    heartbeat_touch(name="beat")


@shared_task(ignore_result=True)
def orphan_files_sweep():
    """Nightly: uploads no row refers to (a rolled-back transaction's) go to quarantine (core.files)."""
    from .files import orphan_files_sweep as sweep

    report = sweep()
    if report.moved or report.purged:
        logger.info("orphan uploads: %s moved to quarantine, %s purged", report.moved, report.purged)
