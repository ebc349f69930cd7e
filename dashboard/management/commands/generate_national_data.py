"""A national-scale data set for benchmarks: 31 provinces' joint meetings with ten years of history.

    manage.py generate_national_data [--provinces 31] [--items 100000] [--obligations 1000000]
                                     [--messages 10000000] [--seed 1]

PostgreSQL only (rows go in with COPY). The current mechanism (settings.MECHANISM, loaded first) is
one of the provinces; the others are generated ("gen01" …) with 25 member units, 12 reporting units,
one liaison account per unit and one deadline rule. Rows are spread evenly over the provinces and
over ten years of due dates (2017 – a year ahead of today): ~96% of the past is done (5% of it late),
the rest and the future open. Messages are reminder rows (before:3, due, overdue:N …) of obligations,
as the reminder engine writes them. A progress line is printed every 1% of each table.

It ADDS rows: run it on a scratch database, never on one whose data you want to keep."""

import random
import sys
import time
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import connection, transaction
from django.utils import timezone

from deadlines.models import DeadlineRule
from members.models import Mechanism, MemberUnit, ReportingUnit, User
from tasks.services import PROGRESS_BACKFILL_SQL

CST = ZoneInfo("Asia/Shanghai")
UNITS_PER_PROVINCE = 25
CITIES_PER_PROVINCE = 12
PROVINCES = ["北京", "天津", "河北", "山西", "内蒙古", "辽宁", "吉林", "黑龙江", "上海", "江苏", "浙江", "安徽",
             "福建", "江西", "山东", "河南", "湖北", "湖南", "广东", "广西", "海南", "重庆", "四川", "贵州", "云南",
             "西藏", "陕西", "甘肃", "青海", "宁夏", "新疆"]


class Progress:
    """A one-line progress bar on stderr: table, bar, count, rate."""

    def __init__(self, label: str, total: int, out):
        self.label, self.total, self.out = label, max(total, 1), out
        self.started, self.step, self.done = time.monotonic(), max(total // 100, 1), 0

    def advance(self, n: int = 1):
        before = self.done // self.step
        self.done += n
        if self.done // self.step != before or self.done >= self.total:
            self.draw()

    def draw(self):
        share = min(self.done / self.total, 1)
        elapsed = time.monotonic() - self.started
        rate = self.done / elapsed if elapsed else 0
        bar = "█" * int(share * 30) + "·" * (30 - int(share * 30))
        self.out.write(f"\r{self.label:<12} {bar} {share:6.1%} {self.done:>11,}/{self.total:,}  {rate:,.0f} 行/秒")
        self.out.flush()

    def finish(self):
        self.draw()
        self.out.write(f"  用时 {time.monotonic() - self.started:.1f} 秒\n")


class Command(BaseCommand):
    help = "生成全国规模的基准数据（31 个省份的联席会议、督办事项、报送任务和提醒消息），仅用于性能测试。"

    def add_arguments(self, parser):
        parser.add_argument("--provinces", type=int, default=31)
        parser.add_argument("--items", type=int, default=100_000)
        parser.add_argument("--obligations", type=int, default=1_000_000)
        parser.add_argument("--messages", type=int, default=10_000_000)
        parser.add_argument("--seed", type=int, default=1)

    def handle(self, *args, provinces, items, obligations, messages, seed, **options):
        if connection.vendor != "postgresql":
            raise CommandError("生成全国规模数据需要 PostgreSQL（使用 COPY 写入）。")
        if not 1 <= provinces <= 31:
            raise CommandError("省份数应在 1 到 31 之间。")
        current = Mechanism.objects.filter(code=settings.MECHANISM).first()
        if current is None:
            raise CommandError(f"请先载入当前联席会议（{settings.MECHANISM}）：manage.py mechanism_load。")
        self.rng = random.Random(seed)
        self.today = timezone.localdate()
        self.err = sys.stderr
        provinces_ = self._provinces(current, provinces)
        item_ids = self._items(provinces_, items)
        self._assignments(provinces_, item_ids)
        first_ob, last_ob = self._obligations(provinces_, obligations)
        self._messages(provinces_, first_ob, last_ob, messages)
        with connection.cursor() as c:
            self.err.write("ANALYZE …\n")
            for table in ("tasks_item", "tasks_assignment", "deadlines_obligation", "deadlines_message"):
                c.execute(f"ANALYZE {table}")
        self.stdout.write(self.style.SUCCESS(
            f"完成：{provinces} 个省份，督办事项 {items:,}，报送任务 {obligations:,}，提醒消息 {messages:,}。"))

    # --- provinces, units, accounts, rules -----------------------------------------------------

    def _provinces(self, current, n):
        out = []
        now = timezone.now()
        for i in range(n):
            if i == 0:
                mechanism = current
            else:
                mechanism, _ = Mechanism.objects.get_or_create(
                    code=f"gen{i:02d}", defaults={"name": f"{PROVINCES[i % 31]}绿色社区创建行动联席会议（基准数据）",
                                                  "province": PROVINCES[i % 31], "established_on": date(2017, 1, 1),
                                                  "config_version": "bench", "config_digest": "bench", "loaded_at": now})
                MemberUnit.objects.bulk_create(
                    [MemberUnit(mechanism=mechanism, code=f"u{j}", name=f"成员单位{j}", order=j)
                     for j in range(UNITS_PER_PROVINCE)], ignore_conflicts=True)
                ReportingUnit.objects.bulk_create(
                    [ReportingUnit(mechanism=mechanism, code=f"c{j}", name=f"市州{j}", kind="市", order=j)
                     for j in range(CITIES_PER_PROVINCE)], ignore_conflicts=True)
            units = list(MemberUnit.objects.filter(mechanism=mechanism).values_list("pk", flat=True))
            cities = list(ReportingUnit.objects.filter(mechanism=mechanism).values_list("pk", flat=True))
            rule = DeadlineRule.objects.filter(mechanism=mechanism).order_by("order", "id").first()
            if rule is None:
                rule = DeadlineRule.objects.create(
                    mechanism=mechanism, code="quarterly_report", title="季度工作情况", obligors="member_units",
                    schedule={"kind": "quarterly", "days": 5, "counting": "calendar", "reading": "after_quarter_end",
                              "on_holiday": "next_working_day"}, starts=date(2017, 1, 1))
            User.objects.bulk_create([User(username=f"bench-{mechanism.code}-{u}", password="!", display_name=f"联络员{u}")
                                      for u in units], ignore_conflicts=True)
            users = list(User.objects.filter(username__startswith=f"bench-{mechanism.code}-").values_list("pk", flat=True))
            out.append({"mechanism": mechanism, "units": units, "cities": cities, "rule": rule.pk, "users": users})
        self.err.write(f"省份 {n} 个：成员单位 {sum(len(p['units']) for p in out)}，市州 {sum(len(p['cities']) for p in out)}\n")
        return out

    # --- helpers -------------------------------------------------------------------------------

    def _due(self) -> date:
        start = date(2017, 1, 1)
        span = (self.today + timedelta(days=365) - start).days
        return start + timedelta(days=self.rng.randrange(span))

    def _next_id(self, table: str, n: int) -> int:
        """Reserve n ids from the table's sequence so COPY can write them and children can refer."""
        with connection.cursor() as c:
            c.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                      f"(SELECT COALESCE(MAX(id), 0) FROM {table}) + %s) - %s + 1", [n, n])
            return c.fetchone()[0]

    def _copy(self, table: str, columns: list[str], rows, total: int, label: str):
        progress = Progress(label, total, self.err)
        raw = connection.connection
        with transaction.atomic(), raw.cursor() as cur:
            with cur.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
                    progress.advance()
        progress.finish()

    # --- items and their unit tasks --------------------------------------------------------------

    def _items(self, provinces, n):
        first = self._next_id("tasks_item", n)
        self.item_meta = []   # (province index, due, done, late)
        creator = provinces[0]["users"][0] if provinces[0]["users"] else User.objects.order_by("pk").first().pk
        now = timezone.now()

        def rows():
            for k in range(n):
                p = k % len(provinces)
                due = self._due()
                done = due < self.today and self.rng.random() < 0.96
                late = done and self.rng.random() < 0.05
                self.item_meta.append((p, due, done, late))
                accepted = datetime.combine(due + timedelta(days=3 if late else -1), datetime.min.time(), CST) if done else None
                yield (first + k, f"基准督办事项{k}", "基准数据", "ad_hoc", "", due, due,
                       "done" if done else "in_progress", 1, creator, now, accepted, 1 if done else 0, "[]")

        # progress ("[]" here) is summarised from the unit tasks once they are written (_assignments).
        self._copy("tasks_item", ["id", "title", "content", "source", "source_note", "due_date",
                                  "contribution_due_date", "status", "version", "created_by_id", "created_at",
                                  "accepted_at", "review_round", "progress"], rows(), n, "督办事项")
        return first

    def _assignments(self, provinces, first_item):
        total = len(self.item_meta) * 2

        def rows():
            for k, (p, due, done, late) in enumerate(self.item_meta):
                units = self.rng.sample(provinces[p]["units"], 2)
                for order, (unit, role) in enumerate(zip(units, ("lead", "participating"))):
                    submitted = (datetime.combine(due + timedelta(days=2 if late else -1), datetime.min.time(), CST)
                                 if done else None)
                    status = "done" if done else self.rng.choice(["todo", "claimed", "claimed", "submitted"])
                    if status == "submitted":
                        submitted = datetime.combine(min(due, self.today), datetime.min.time(), CST)
                    yield (first_item + k, unit, role, 0, due, status, "", submitted, 1)

        self._copy("tasks_assignment", ["item_id", "unit_id", "role", '"order"', "due_date", "status", "result",
                                        "submitted_at", "version"], rows(), total, "单位任务")
        self.stdout.write("督办事项各单位进度汇总…")
        with connection.cursor() as c:
            c.execute(PROGRESS_BACKFILL_SQL)

    # --- obligations and reminder messages --------------------------------------------------------

    def _obligations(self, provinces, n):
        first = self._next_id("deadlines_obligation", n)
        now = timezone.now()

        def rows():
            for k in range(n):
                p = provinces[k % len(provinces)]
                due = self._due()
                done = due < self.today and self.rng.random() < 0.96
                late = done and self.rng.random() < 0.05
                status = "accepted" if done else ("open" if self.rng.random() < 0.9 else "returned")
                at = datetime.combine(due + timedelta(days=2 if late else -1), datetime.min.time(), CST) if done else None
                if self.rng.random() < 0.6:
                    mu, ru, key = p["units"][k % len(p["units"])], None, f"mu:{p['units'][k % len(p['units'])]}"
                else:
                    mu, ru, key = None, p["cities"][k % len(p["cities"])], f"ru:{p['cities'][k % len(p['cities'])]}"
                yield (first + k, p["rule"], mu, ru, key, f"g{first + k}", "基准期次", due, due, due - timedelta(days=30),
                       due, status, at, at, late, now)

        self._copy("deadlines_obligation", ["id", "rule_id", "member_unit_id", "reporting_unit_id", "obligor_key",
                                            "period", "period_label", "period_start", "period_end", "opens_on",
                                            "due_on", "status", "submitted_at", "accepted_at", "is_late",
                                            "created_at"], rows(), n, "报送任务")
        return first, first + n - 1

    def _messages(self, provinces, first_ob, last_ob, n):
        kinds = ["before:7", "before:3", "before:1", "due", "overdue:2", "overdue:4", "escalation", "overdue:6",
                 "overdue:8", "overdue:10"]
        channels = ["inapp", "sms", "email"]
        users = [u for p in provinces for u in p["users"]]
        now = timezone.now()

        def rows():
            count = last_ob - first_ob + 1
            for k in range(n):
                ob = first_ob + (k // (len(kinds) * len(channels))) % count
                kind = kinds[k % len(kinds)]
                channel = channels[(k // len(kinds)) % len(channels)]
                # the period (due day) distinguishes repeats beyond one obligation's 30 rows
                period = f"p{k // (count * len(kinds) * len(channels))}"
                yield (f"obligation:{ob}", kind, users[ob % len(users)], channel, period, "", "基准提醒", "基准提醒内容", "",
                       "sent", 1, None, None, "", "", now, now, None)

        self._copy("deadlines_message", ["subject", "kind", "recipient_id", "channel", "period", "address", "title",
                                         "body", "url", "status", "attempts", "next_attempt_at", "lease_until",
                                         "last_error", "provider_id", "created_at", "sent_at", "read_at"],
                   rows(), n, "提醒消息")
