"""Run the deadlines sweeps once, in this process (operations, demos, catching up after an outage)."""

from datetime import date

from django.core.management.base import BaseCommand, CommandError

from deadlines import outbox, reminders
from deadlines.services.obligations import obligations_generate


class Command(BaseCommand):
    help = "生成报送任务、计划今日提醒并发送到期的消息（可重复执行，不会重复发送）。"

    def add_arguments(self, parser):
        parser.add_argument("--day", help="按指定日期（YYYY-MM-DD）计划提醒，用于补发停机期间错过的一天")
        parser.add_argument("--no-send", action="store_true", help="只生成和计划，不发送")

    def handle(self, *args, day=None, no_send=False, **options):
        try:
            today = date.fromisoformat(day) if day else None
        except ValueError:
            raise CommandError("日期格式应为 YYYY-MM-DD。") from None
        generated = obligations_generate(today=today)
        planned = reminders.reminders_plan(today=today)
        self.stdout.write(
            f"报送任务：新建 {generated.created} 条，已存在 {generated.existing} 条；提醒：新写入 {planned} 条。"
        )
        if no_send:
            return
        results = {}
        for message_id in outbox.due_ids():
            try:
                outcome = outbox.message_deliver(message_id=message_id)
            except outbox.DeliveryFailed:
                outcome = "retry"
            results[outcome] = results.get(outcome, 0) + 1
        labels = {"sent": "已发送", "skipped": "跳过", "failed": "失败", "retry": "稍后重试"}
        self.stdout.write("发送：" + ("，".join(f"{labels[k]} {v}" for k, v in results.items()) or "无到期消息") + "。")
