"""Backup and restore drill: back up (pg_dump + the uploads), restore into a fresh database and check
the product comes up there with the same data. docs/operations.md describes when to run it."""

import json
import os
import subprocess
import sys
import tarfile
import tempfile
from datetime import datetime
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import connection

# Run in a child process against the restored database: the product must serve a signed-in page there.
PAGE_CHECK = """
import json, django
django.setup()
from django.conf import settings
from django.test.utils import setup_test_environment
setup_test_environment()
from django.test import Client
from members.models import User
client = Client()
users = User.objects.filter(is_active=True)
if not getattr(settings, "DEMO_ACCOUNTS_ALLOWED", False):
    users = users.filter(is_demo=False)
from members.security import second_factor_required
# An account that signs in with its password alone (a second factor is typed by a person, not a drill).
user = next((u for u in users.order_by("pk")[:200] if not second_factor_required(u)), None)
if user is not None:
    client.force_login(user)
response = client.get("/mechanism/" if user else "/accounts/login/", secure=True)
print(json.dumps({"status": response.status_code, "user": user.username if user else None,
                  "page": "联席会议" in response.content.decode() or "登录" in response.content.decode()}))
"""


def _pg_env(db: dict) -> dict:
    env = {
        **os.environ,
        "PGHOST": db.get("HOST") or "127.0.0.1",
        "PGPORT": str(db.get("PORT") or 5432),
        "PGUSER": db.get("USER") or "postgres",
    }
    if db.get("PASSWORD"):
        env["PGPASSWORD"] = db["PASSWORD"]
    return env


def _run(argv, env):
    result = subprocess.run(argv, env=env, capture_output=True, text=True)
    if result.returncode != 0:
        raise CommandError(f"{' '.join(argv[:2])} 失败：{result.stderr.strip()[:2000]}")
    return result.stdout


def _row_counts(cursor) -> dict[str, int]:
    cursor.execute("SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY tablename")
    tables = [row[0] for row in cursor.fetchall()]
    counts = {}
    for table in tables:
        cursor.execute(f'SELECT count(*) FROM "{table}"')  # noqa: S608 — names from the catalogue
        counts[table] = cursor.fetchone()[0]
    return counts


def _files(root: Path) -> dict[str, int]:
    if not root.exists():
        return {}
    return {str(p.relative_to(root)): p.stat().st_size for p in sorted(root.rglob("*")) if p.is_file()}


class Command(BaseCommand):
    help = "备份与恢复演练：pg_dump 数据库并打包上传文件，恢复到一个新数据库，核对各表行数、上传文件并打开页面。"

    def add_arguments(self, parser):
        parser.add_argument(
            "--output",
            default=str(Path(settings.BASE_DIR) / "var" / "backups"),
            help="备份文件存放目录（默认 var/backups）",
        )
        parser.add_argument("--keep", action="store_true", help="保留恢复出的数据库（默认核对后删除）")

    def handle(self, *args, output, keep, **options):
        db = settings.DATABASES["default"]
        if db["ENGINE"] != "django.db.backends.postgresql":
            raise CommandError("备份演练需要 PostgreSQL（DATABASE_URL=postgres://…）。")
        stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
        out = Path(output)
        out.mkdir(parents=True, exist_ok=True)
        env = _pg_env(db)
        media_root = Path(settings.MEDIA_ROOT)

        # 1. Back up: the counts are read in the same snapshot pg_dump sees (nothing is written meanwhile
        #    in a drill; in production the counts are only compared with the dump, not with the live site).
        dump = out / f"{db['NAME']}-{stamp}.dump"
        media_archive = out / f"media-{stamp}.tar.gz"
        with connection.cursor() as cursor:
            before = _row_counts(cursor)
        _run(["pg_dump", "--format=custom", "--no-owner", f"--file={dump}", db["NAME"]], env)
        with tarfile.open(media_archive, "w:gz") as archive:
            if media_root.exists():
                archive.add(media_root, arcname="media")
        files_before = _files(media_root)
        self.stdout.write(
            f"已备份：{dump}（{dump.stat().st_size} 字节），{media_archive}（{len(files_before)} 个上传文件）"
        )

        # 2. Restore into a fresh database and a fresh media directory.
        target = f"{db['NAME']}_drill_{stamp.replace('-', '_')}"[:63]
        _run(["createdb", target], env)
        try:
            _run(["pg_restore", "--no-owner", "--exit-on-error", f"--dbname={target}", str(dump)], env)
            with tempfile.TemporaryDirectory(prefix="media-drill-") as media_dir:
                with tarfile.open(media_archive, "r:gz") as archive:
                    archive.extractall(media_dir, filter="data")
                restored_media = Path(media_dir) / "media"
                problems = self._compare(before, target, env, files_before, _files(restored_media))
                page = self._page_check(db, target, restored_media)
        finally:
            if not keep:
                _run(["dropdb", "--if-exists", target], env)
        if page.get("status") != 200 or not page.get("page"):
            problems.append(f"恢复后的数据库上页面打不开：{page}")
        if problems:
            raise CommandError("备份演练未通过：\n  " + "\n  ".join(problems))
        tables = sum(1 for n in before.values() if n)
        self.stdout.write(
            self.style.SUCCESS(
                f"备份演练通过：{len(before)} 张表（{tables} 张有数据，共 {sum(before.values())} 行）与 {len(files_before)} 个上传文件"
                f"恢复后完全一致；以 {page['user'] or '未登录'} 身份打开页面成功。"
                + (f" 恢复出的数据库 {target} 已保留。" if keep else "")
            )
        )

    def _compare(self, before, target, env, files_before, files_after) -> list[str]:
        out = _run(
            [
                "psql",
                "-At",
                "-d",
                target,
                "-c",
                "SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY tablename",
            ],
            env,
        )
        after = {}
        for table in out.split():
            after[table] = int(_run(["psql", "-At", "-d", target, "-c", f'SELECT count(*) FROM "{table}"'], env))  # noqa: S608
        problems = [
            f"表 {t}：备份前 {before.get(t)} 行，恢复后 {after.get(t)} 行"
            for t in sorted(set(before) | set(after))
            if before.get(t) != after.get(t)
        ]
        if files_before != files_after:
            missing = sorted(set(files_before) - set(files_after))[:10]
            problems.append(f"上传文件不一致（缺少或大小不同：{missing or '大小不同'}）")
        return problems

    def _page_check(self, db, target, media_root) -> dict:
        url = (
            f"postgres://{db.get('USER') or 'postgres'}@{db.get('HOST') or '127.0.0.1'}:"
            f"{db.get('PORT') or 5432}/{target}"
        )
        env = {
            **os.environ,
            "DATABASE_URL": url,
            "MEDIA_ROOT": str(media_root),
            "DJANGO_SETTINGS_MODULE": os.environ.get("DJANGO_SETTINGS_MODULE", "config.settings.local"),
        }
        if db.get("PASSWORD"):
            env["PGPASSWORD"] = db["PASSWORD"]
        result = subprocess.run(
            [sys.executable, "-c", PAGE_CHECK], cwd=settings.BASE_DIR, env=env, capture_output=True, text=True
        )
        if result.returncode != 0:
            return {"status": None, "error": result.stderr.strip()[-1500:]}
        return json.loads(result.stdout.strip().splitlines()[-1])
