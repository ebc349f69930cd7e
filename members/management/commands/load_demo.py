from django.core.management.base import BaseCommand, CommandError

from members.demo import DEMO_PASSWORD, demo_accounts_ensure
from members.selectors import mechanism_current


class Command(BaseCommand):
    help = "创建演示账号（仅开发与演示环境）并打印登录信息。幂等。"

    def handle(self, *args, **options):
        mechanism = mechanism_current()
        if mechanism is None:
            raise CommandError("请先运行 load_mechanism 载入联席会议机制。")
        accounts = demo_accounts_ensure(mechanism)
        if options["verbosity"] < 1:
            return
        self.stdout.write(f"演示账号（密码均为 {DEMO_PASSWORD}）：")
        for username, description in accounts:
            self.stdout.write(f"  {username:<22} {description}")
