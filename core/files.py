"""Uploaded files that no row refers to.

A file is written to storage before the transaction that records it commits; when that transaction
rolls back (a stale form, a second submit, a constraint), the file stays on disk with no row. The
nightly sweep moves such files aside — only those older than a day, so an upload whose transaction
is still open is never touched — into `MEDIA_ROOT/_orphans/<date>/`, keeping their paths, and deletes
what has waited there for `KEEP_DAYS`. Nothing a row refers to is ever moved; nothing is deleted
without first having lain in quarantine (an administrator can put a file back by moving it).

Generic on purpose: it reads every FileField of every installed model, so a new app's uploads are
covered without being named here."""

import logging
import os
import shutil
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

from django.apps import apps
from django.conf import settings
from django.db import models
from django.utils import timezone

log = logging.getLogger(__name__)

QUARANTINE = "_orphans"
MIN_AGE = timedelta(days=1)
KEEP_DAYS = 30


@dataclass
class SweepReport:
    referenced: int = 0
    scanned: int = 0
    moved: int = 0
    purged: int = 0


def referenced_names() -> set[str]:
    """Every storage name a FileField of any model holds."""
    names: set[str] = set()
    for model in apps.get_models():
        for f in model._meta.concrete_fields:
            if isinstance(f, models.FileField):
                names.update(
                    n
                    for n in model._default_manager.exclude(**{f.name: ""})
                    .values_list(f.name, flat=True)
                    .iterator(chunk_size=5000)
                    if n
                )
    return names


def orphan_files_sweep(*, now=None, dry_run: bool = False, root: str | os.PathLike | None = None) -> SweepReport:
    root = Path(root or settings.MEDIA_ROOT)
    now = now or timezone.now()
    report = SweepReport()
    if not root.is_dir():
        return report
    keep = referenced_names()
    report.referenced = len(keep)
    cutoff = (now - MIN_AGE).timestamp()
    quarantine = root / QUARANTINE
    target = quarantine / timezone.localdate(now).isoformat()
    for dirpath, dirnames, filenames in os.walk(root):
        here = Path(dirpath)
        if here == root:
            dirnames[:] = [d for d in dirnames if d != QUARANTINE]
        for filename in filenames:
            path = here / filename
            name = path.relative_to(root).as_posix()
            report.scanned += 1
            if name in keep:
                continue
            try:
                if path.stat().st_mtime > cutoff:
                    continue
            except FileNotFoundError:
                continue
            report.moved += 1
            if not dry_run:
                dest = target / name
                dest.parent.mkdir(parents=True, exist_ok=True)
                shutil.move(path, dest)
                log.info("orphan upload moved to quarantine: %s", name)
    if quarantine.is_dir():
        expiry = timezone.localdate(now - timedelta(days=KEEP_DAYS))
        for day in quarantine.iterdir():
            # Day folders are named YYYY-MM-DD, so their names sort as their dates do.
            if day.is_dir() and len(day.name) == 10 and day.name < expiry.isoformat():
                report.purged += sum(len(files) for _, _, files in os.walk(day))
                if not dry_run:
                    shutil.rmtree(day)
    if not dry_run:
        _remove_empty_dirs(root)
    return report


def _remove_empty_dirs(root: Path) -> None:
    """Folders emptied by the sweep (an item's folder), never the top-level upload folders."""
    for dirpath, _dirnames, _filenames in os.walk(root, topdown=False):
        here = Path(dirpath)
        if here == root or here.parent == root:
            continue
        try:
            here.rmdir()  # only succeeds when empty
        except OSError:
            pass
