import os

from django.conf import settings
from django.core.management.base import BaseCommand

from members.demo import DEMO_PASSWORD
from members.models import User


class Command(BaseCommand):
    help = "打印访问地址、演示账号和所用的数据库与消息队列（make run 启动时调用）。"

    def handle(self, *args, **options):
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
