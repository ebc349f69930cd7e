"""`manage.py orphan_files [--dry-run]`: move uploads no row refers to into quarantine (core.files)."""

from django.core.management.base import BaseCommand

from core.files import KEEP_DAYS, QUARANTINE, orphan_files_sweep


class Command(BaseCommand):
    help = "把没有任何记录引用、且超过一天的上传文件移入隔离目录；隔离超过 30 天的文件删除。"

    def add_arguments(self, parser):
        parser.add_argument("--dry-run", action="store_true", help="只统计，不移动、不删除")

    def handle(self, *args, dry_run=False, **options):
        r = orphan_files_sweep(dry_run=dry_run)
        verb = "将移入" if dry_run else "已移入"
        self.stdout.write(
            f"检查文件 {r.scanned} 个（被记录引用 {r.referenced} 个）；{verb}隔离目录 {QUARANTINE}/："
            f"{r.moved} 个；隔离满 {KEEP_DAYS} 天{'将' if dry_run else '已'}删除：{r.purged} 个。"
        )
