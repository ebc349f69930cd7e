import os

from django.conf import settings
from django.core.management.base import BaseCommand

from members.demo import DEMO_PASSWORD
from members.models import User

LOCAL_HOSTS = {"", "localhost", "127.0.0.1", "::1", "[::1]"}


def remote_database_warning() -> str:
    """A loud warning when `make run` points at a database on another machine: it migrates that
    database and loads demo accounts into it."""
    db = settings.DATABASES["default"]
    host = str(db.get("HOST") or "")
    if db["ENGINE"] == "django.db.backends.sqlite3" or host in LOCAL_HOSTS or host.startswith("/"):
        return ""
    bar = "!" * 78
    return "\n".join(
        [
            "",
            bar,
            f"!! 警告：DATABASE_URL 指向非本机数据库 {host}（库名 {db['NAME']}）。",
            "!! make run 会对它执行迁移并写入演示账号（密码公开）。这只应在本机开发库上使用；",
            "!! 如果这是正式库或共享库，请立即按 Ctrl-C 停止，改用 README“Production”一节的步骤。",
            bar,
            "",
        ]
    )


class Command(BaseCommand):
    help = "打印访问地址、演示账号和所用的数据库与消息队列（make run 启动时调用）。"

    def add_arguments(self, parser):
        parser.add_argument(
            "--database-warning",
            action="store_true",
            help="只检查数据库地址：非本机时打印警告（make run 在迁移之前调用）",
        )

    def handle(self, *args, database_warning=False, **options):
        warning = remote_database_warning()
        if warning:
            self.stderr.write(self.style.ERROR(warning))
        if database_warning:
            return
        host, port = os.environ.get("HOST", "127.0.0.1"), os.environ.get("PORT", "8000")
        db = settings.DATABASES["default"]
        broker = "Redis" if settings.REDIS_URL else "本地文件队列（filesystem://，无需服务器）"
        lines = [
            "",
            "绿色社区创建行动联席会议工作平台 正在启动（网页 + Celery worker + beat，按 Ctrl-C 全部停止）",
            f"  访问地址：http://{host}:{port}/",
            f"  数据库：  {db['ENGINE'].rsplit('.', 1)[-1]} {db['NAME']}",
            f"  消息队列：{broker}",
            f"  演示账号（密码均为 {DEMO_PASSWORD}）：",
        ]
        for user in User.objects.filter(is_demo=True).select_related("person", "reporting_unit").order_by("id"):
            lines.append(f"    {user.username:<22} {user}")
        lines.append("")
        self.stdout.write("\n".join(lines))
