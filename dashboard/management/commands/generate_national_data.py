"""One national world for every bench: 31 provinces' joint meetings with ten years of history.

    manage.py generate_national_data [--scale national|small] [--provinces 31] [--items N] [--tasks N]
                                     [--obligations N] [--messages N] [--meetings N] [--communities N]
                                     [--counties 9] [--county_obligations N] [--seed 1] [--more]

| table | national (default) | small (`--scale small`, the 10⁴ sibling) |
|---|---|---|
| items (督办事项), with their shares (单位任务) and viewflow processes | 10⁵ | 10³ |
| viewflow flow tasks (~10 per item: start, route, one per unit, join, review, decide, end, rounds) | 10⁶ | 10⁴ |
| obligations (报送任务) | 10⁶ | 10⁴ |
| reminder rows (deadlines_message) | 10⁷ | 10⁵ |
| meetings | 10⁴ | 10² |
| communities (社区台账) | 10⁵ | 10⁴ |
| counties (县市区) under every prefecture, one account each | 9 per prefecture (3,348 with 31 × 12) | same |
| counties' shares of their prefecture's obligations (报送任务 with a parent) | 10⁶ | 10⁴ |

PostgreSQL only (the big tables go in with COPY). The current mechanism (settings.MECHANISM) is loaded
first if it is not there, with its demo accounts and the bench accounts every bench script signs in as
(`bench_liaison_<unit code>` for each member unit, `bench_office`; password `bench-pass-2026`); the
other provinces are generated ("gen01" …) with 25 member units, 12 reporting units, one liaison
account per unit and one deadline rule. Every prefecture (the current province's too) gets `--counties`
counties (县市区, docs/counties.md) with one account each (the current province's are real accounts,
`bench_county_<code>`; password `bench-pass-2026`), and the first prefecture obligations are passed
down to all their counties — `--county_obligations` share rows, three days before their prefecture's
day (`--counties 0` builds the world as it was before counties). Rows are spread evenly over the provinces and over ten years
of due dates (2017 – a year ahead of today): ~96% of the past is done (5% of it late), the rest and
the future open. Each open unit share has its viewflow task ASSIGNED to its unit's liaison, as the
item flow leaves it, so viewflow's stock inbox and ours list the same work. A progress line is
printed every 1% of each table.

It ADDS rows: run it once on a scratch database, never on one whose data you want to keep (`--more` adds
another batch to a world that has one: the page-budget test grows its world that way). Benches run
on the world it builds and leave it as they found it."""

import json
import random
import sys
import time
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from django.conf import settings
from django.contrib.auth.models import Permission
from django.contrib.contenttypes.models import ContentType
from django.core.management.base import BaseCommand, CommandError
from django.db import connection, transaction
from django.utils import timezone
from viewflow.workflow.fields import get_flow_ref, get_task_ref

from communities.models import Community, CreationStatus
from deadlines.models import DeadlineRule
from meetings.models import Meeting, MeetingUnit
from members.demo import demo_accounts_ensure
from members.mechanism_config import mechanism_path, mechanism_spec_read
from members.models import Mechanism, MemberUnit, Person, ReportingUnit, Role, RoleAssignment, User
from members.services import account_create, mechanism_load
from tasks.flows import ItemFlow
from tasks.models import Item

BENCH_PASSWORD = "bench-pass-2026"
SCALES = {
    "national": {
        "items": 100_000,
        "tasks": 1_000_000,
        "obligations": 1_000_000,
        "messages": 10_000_000,
        "meetings": 10_000,
        "communities": 100_000,
        "county_obligations": 1_000_000,
    },
    "small": {
        "items": 1_000,
        "tasks": 10_000,
        "obligations": 10_000,
        "messages": 100_000,
        "meetings": 100,
        "communities": 10_000,
        "county_obligations": 10_000,
    },
}
COUNTIES_PER_CITY = 9  # ~2,850 county-level divisions under ~333 prefecture-level ones, nationally
WORDS = [
    "老旧小区改造",
    "垃圾分类",
    "海绵城市",
    "社区议事协商",
    "智慧安防",
    "绿色出行",
    "节能灯具",
    "噪声治理",
    "适老化改造",
    "停车秩序",
    "物业管理",
    "社区绿化",
]
CST = ZoneInfo("Asia/Shanghai")
TABLES_WRITTEN = [
    "tasks_item",
    "tasks_assignment",
    "viewflow_process",
    "viewflow_task",
    "deadlines_obligation",
    "deadlines_message",
    "meetings_meeting",
    "meetings_meetingunit",
    "communities_community",
]
UNITS_PER_PROVINCE = 25
CITIES_PER_PROVINCE = 12
PROVINCES = [
    "北京",
    "天津",
    "河北",
    "山西",
    "内蒙古",
    "辽宁",
    "吉林",
    "黑龙江",
    "上海",
    "江苏",
    "浙江",
    "安徽",
    "福建",
    "江西",
    "山东",
    "河南",
    "湖北",
    "湖南",
    "广东",
    "广西",
    "海南",
    "重庆",
    "四川",
    "贵州",
    "云南",
    "西藏",
    "陕西",
    "甘肃",
    "青海",
    "宁夏",
    "新疆",
]


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
    help = "生成全国规模的基准数据（31 个省份的联席会议、督办事项及其流程任务、报送任务、提醒消息、会议和社区），仅用于性能测试。"

    def add_arguments(self, parser):
        parser.add_argument("--scale", choices=sorted(SCALES), default="national")
        parser.add_argument("--provinces", type=int, default=31)
        for name in SCALES["national"]:
            parser.add_argument(f"--{name}", type=int, default=None)
        parser.add_argument("--counties", type=int, default=COUNTIES_PER_CITY)
        parser.add_argument("--seed", type=int, default=1)
        parser.add_argument(
            "--more", action="store_true", help="再加一批到已有基准数据的数据库（页面查询预算测试用它让数据变大）"
        )

    def handle(self, *args, scale, provinces, seed, counties, more=False, **options):
        sizes = {
            name: options[name] if options[name] is not None else default for name, default in SCALES[scale].items()
        }
        if connection.vendor != "postgresql":
            raise CommandError("生成全国规模数据需要 PostgreSQL（使用 COPY 写入）。")
        if not 1 <= provinces <= 31:
            raise CommandError("省份数应在 1 到 31 之间。")
        if not more and Item.objects.filter(title__startswith="基准").exists():
            raise CommandError("数据库中已有基准数据：请换一个空数据库再生成（基准脚本不会清空它）。")
        self.rng = random.Random(seed)
        self.today = timezone.localdate()
        self.err = sys.stderr
        self.err.write(f"规模 {scale}：" + "，".join(f"{k} {v:,}" for k, v in sizes.items()) + "\n")
        current = self._current_mechanism(demo=not more)
        provinces_ = self._provinces(current, provinces)
        self._items(provinces_, sizes["items"], sizes["tasks"])
        first_ob, last_ob = self._obligations(provinces_, sizes["obligations"])
        if counties:
            self._counties(provinces_, counties)
            self._county_obligations(first_ob, last_ob, sizes["county_obligations"])
        self._messages(provinces_, first_ob, last_ob, sizes["messages"])
        self._meetings(provinces_, sizes["meetings"])
        self._communities(provinces_, sizes["communities"])
        with connection.cursor() as c:
            if connection.in_atomic_block:
                # Inside a test's transaction VACUUM cannot run, and a database-wide ANALYZE would lock
                # the shared catalogs until the transaction ends: the tables written, only.
                for table in TABLES_WRITTEN:
                    c.execute(f"ANALYZE {table}")
            else:
                # VACUUM too: it sets the visibility map, so the lists' index-only scans are index-only.
                self.err.write("VACUUM ANALYZE …\n")
                c.execute("VACUUM ANALYZE")
        self.stdout.write(
            self.style.SUCCESS(
                f"完成：{provinces} 个省份，督办事项 {sizes['items']:,}（流程任务约 {sizes['tasks']:,}），"
                f"报送任务 {sizes['obligations']:,}，提醒消息 {sizes['messages']:,}，会议 {sizes['meetings']:,}，"
                f"社区 {sizes['communities']:,}。"
            )
        )

    # --- the current province and the accounts the benches sign in as ------------------------------

    def _current_mechanism(self, demo=True):
        current = Mechanism.objects.filter(code=settings.MECHANISM).first()
        if current is None:
            self.err.write(f"载入联席会议 {settings.MECHANISM} …\n")
            mechanism_load(spec=mechanism_spec_read(mechanism_path(settings.MECHANISM)))
            current = Mechanism.objects.get(code=settings.MECHANISM)
        if demo:  # a second batch (--more) finds them, or a world whose people have accounts already
            demo_accounts_ensure(current)
        self.bench_liaisons = {}
        for unit in MemberUnit.objects.filter(mechanism=current):
            self.bench_liaisons[unit.pk] = self._bench_account(
                current, unit, f"bench_liaison_{unit.code}", f"压测联络员{unit.code}", Role.LIAISON
            )
        lead = MemberUnit.objects.get(mechanism=current, is_lead=True)
        self.bench_office = self._bench_account(current, lead, "bench_office", "压测办公室", Role.OFFICE_STAFF)
        # viewflow's stock views need the process model's view permission (stack-notes).
        ct = ContentType.objects.get_for_model(ItemFlow.process_class, for_concrete_model=False)
        view = Permission.objects.get(content_type=ct, codename="view_itemprocess")
        for user in [*self.bench_liaisons.values(), self.bench_office]:
            user.user_permissions.add(view)
        return current

    def _bench_account(self, mechanism, unit, username, name, role):
        user = User.objects.filter(username=username).first()
        if user is None:
            person, _ = Person.objects.get_or_create(unit=unit, name=name, defaults={"is_demo": True})
            RoleAssignment.objects.get_or_create(
                mechanism=mechanism,
                person=person,
                role=role,
                unit=unit,
                defaults={"start_date": mechanism.established_on},
            )
            user = account_create(username=username, password=BENCH_PASSWORD, person=person, is_demo=True)
        return user

    # --- provinces, units, accounts, rules -----------------------------------------------------

    def _provinces(self, current, n):
        out = []
        now = timezone.now()
        for i in range(n):
            if i == 0:
                mechanism = current
            else:
                mechanism, _ = Mechanism.objects.get_or_create(
                    code=f"gen{i:02d}",
                    defaults={
                        "name": f"{PROVINCES[i % 31]}绿色社区创建行动联席会议（基准数据）",
                        "province": PROVINCES[i % 31],
                        "established_on": date(2017, 1, 1),
                        "config_version": "bench",
                        "config_digest": "bench",
                        "loaded_at": now,
                    },
                )
                MemberUnit.objects.bulk_create(
                    [
                        MemberUnit(mechanism=mechanism, code=f"u{j}", name=f"成员单位{j}", order=j)
                        for j in range(UNITS_PER_PROVINCE)
                    ],
                    ignore_conflicts=True,
                )
                ReportingUnit.objects.bulk_create(
                    [
                        ReportingUnit(mechanism=mechanism, code=f"c{j}", name=f"市州{j}", kind="市", order=j)
                        for j in range(CITIES_PER_PROVINCE)
                    ],
                    ignore_conflicts=True,
                )
            units = list(MemberUnit.objects.filter(mechanism=mechanism).values_list("pk", flat=True))
            cities = list(ReportingUnit.objects.filter(mechanism=mechanism).values_list("pk", flat=True))
            rule = DeadlineRule.objects.filter(mechanism=mechanism).order_by("order", "id").first()
            if rule is None:
                rule = DeadlineRule.objects.create(
                    mechanism=mechanism,
                    code="quarterly_report",
                    title="季度工作情况",
                    obligors="member_units",
                    schedule={
                        "kind": "quarterly",
                        "days": 5,
                        "counting": "calendar",
                        "reading": "after_quarter_end",
                        "on_holiday": "next_working_day",
                    },
                    starts=date(2017, 1, 1),
                )
            if i == 0:
                liaison_of = {u: self.bench_liaisons[u].pk for u in units}
            else:
                User.objects.bulk_create(
                    [
                        User(username=f"bench-{mechanism.code}-{u}", password="!", display_name=f"联络员{u}")
                        for u in units
                    ],
                    ignore_conflicts=True,
                )
                liaison_of = {
                    int(name.rsplit("-", 1)[1]): pk
                    for name, pk in User.objects.filter(username__startswith=f"bench-{mechanism.code}-").values_list(
                        "username", "pk"
                    )
                }
            out.append(
                {
                    "mechanism": mechanism,
                    "units": units,
                    "cities": cities,
                    "rule": rule.pk,
                    "users": list(liaison_of.values()),
                    "liaison_of": liaison_of,
                }
            )
        self.err.write(
            f"省份 {n} 个：成员单位 {sum(len(p['units']) for p in out)}，市州 {sum(len(p['cities']) for p in out)}\n"
        )
        return out

    # --- helpers -------------------------------------------------------------------------------

    def _due(self) -> date:
        start = date(2017, 1, 1)
        span = (self.today + timedelta(days=365) - start).days
        return start + timedelta(days=self.rng.randrange(span))

    def _next_id(self, table: str, n: int) -> int:
        """Reserve n ids from the table's sequence so COPY can write them and children can refer."""
        with connection.cursor() as c:
            c.execute(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                f"(SELECT COALESCE(MAX(id), 0) FROM {table}) + %s) - %s + 1",
                [n, n],
            )
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

    # --- items, their shares and their viewflow processes and tasks --------------------------------

    def _items(self, provinces, n, n_tasks):
        """Four tables in one pass, each through its own COPY in turn per chunk of items, so a share
        refers to its flow task and each item's progress summary matches its shares."""
        first_item = self._next_id("tasks_item", n)
        first_process = self._next_id("viewflow_process", n)
        first_assignment = self._next_id("tasks_assignment", 3 * n)
        first_task = self._next_id("viewflow_task", n_tasks + 4 * n)
        creator = self.bench_office.pk
        item_ct = ContentType.objects.get_for_model(Item).pk
        flow_ref = get_flow_ref(ItemFlow)
        ref = {
            name: get_task_ref(getattr(ItemFlow, name))
            for name in ("start", "route", "unit_work", "join", "review", "decide", "end")
        }
        kind = {name: getattr(ItemFlow, name).task_type for name in ref}
        per_item = max(7, n_tasks // max(n, 1))
        columns = {
            "tasks_item": [
                "id",
                "title",
                "content",
                "source",
                "source_note",
                "due_date",
                "contribution_due_date",
                "status",
                "version",
                "created_by_id",
                "created_at",
                "accepted_at",
                "review_round",
                "progress",
                "mechanism_id",
            ],
            "viewflow_process": [
                "id",
                "flow_class",
                "status",
                "created",
                "finished",
                "data",
                "artifact_content_type_id",
                "artifact_object_id",
            ],
            "tasks_assignment": [
                "id",
                "item_id",
                "unit_id",
                "role",
                '"order"',
                "due_date",
                "status",
                "result",
                "claimed_by_id",
                "claimed_at",
                "submitted_at",
                "version",
                "flow_task_id",
            ],
            "viewflow_task": [
                "id",
                "flow_task",
                "flow_task_type",
                "status",
                "created",
                "assigned",
                "started",
                "finished",
                "token",
                "owner_id",
                "process_id",
                "data",
            ],
        }
        labels = {
            "tasks_item": "督办事项",
            "viewflow_process": "流程实例",
            "tasks_assignment": "单位任务",
            "viewflow_task": "流程任务",
        }
        progress = Progress("督办事项及流程", n, self.err)
        written = dict.fromkeys(columns, 0)
        buffers = {t: [] for t in columns}
        counters = {"assignment": first_assignment, "task": first_task}
        rng, today = self.rng, self.today

        def flush():
            raw = connection.connection
            with transaction.atomic(), raw.cursor() as cur:
                for table, rows in buffers.items():
                    with cur.copy(f"COPY {table} ({', '.join(columns[table])}) FROM STDIN") as copy:
                        for row in rows:
                            copy.write_row(row)
                    written[table] += len(rows)
                    rows.clear()
            progress.advance(written["tasks_item"] - progress.done)

        for k in range(n):
            item_id, process_id = first_item + k, first_process + k
            p = provinces[k % len(provinces)]
            due = self._due()
            done = due < today and rng.random() < 0.96
            late = done and rng.random() < 0.05
            contribution = due - timedelta(days=2)
            created = datetime.combine(due - timedelta(days=rng.randint(10, 60)), datetime.min.time(), CST)
            accepted = (
                datetime.combine(due + timedelta(days=3 if late else -1), datetime.min.time(), CST) if done else None
            )
            units = rng.sample(p["units"], 1 + rng.randint(0, 2))
            statuses = ["done" if done else rng.choice(["todo", "claimed", "claimed", "submitted"]) for _ in units]
            summary = [
                [u, "lead" if i == 0 else "participating", 0 if i == 0 else i - 1, st]
                for i, (u, st) in enumerate(zip(units, statuses))
            ]
            buffers["tasks_item"].append(
                (
                    item_id,
                    f"基准{rng.choice(WORDS)}督办事项第{item_id}号",
                    "基准数据",
                    "ad_hoc",
                    "",
                    due,
                    contribution,
                    "done" if done else "in_progress",
                    1,
                    creator,
                    created,
                    accepted,
                    1 if done else 0,
                    json.dumps(summary),
                    p["mechanism"].pk,
                )
            )
            buffers["viewflow_process"].append(
                (
                    process_id,
                    flow_ref,
                    "DONE" if done else "NEW",
                    created,
                    accepted,
                    json.dumps({"item": item_id}),
                    item_ct,
                    item_id,
                )
            )

            def task(name, status, owner=None, data=None, token="start"):
                tid = counters["task"]
                counters["task"] += 1
                buffers["viewflow_task"].append(
                    (
                        tid,
                        ref[name],
                        kind[name],
                        status,
                        created,
                        created if owner else None,
                        created,
                        created if status == "DONE" else None,
                        token,
                        owner,
                        process_id,
                        json.dumps(data or {}),
                    )
                )
                return tid

            task("start", "DONE")
            task("route", "DONE")
            emitted = 2
            token_base = f"start/{counters['task']}"
            for order, (unit, status) in enumerate(zip(units, statuses)):
                aid = counters["assignment"]
                counters["assignment"] += 1
                liaison = p["liaison_of"].get(unit)
                open_share = status in ("todo", "claimed")
                tid = task(
                    "unit_work",
                    "ASSIGNED" if open_share else "DONE",
                    liaison if open_share else None,
                    {"assignment": aid},
                    token=f"{token_base}_{order + 1}",
                )
                emitted += 1
                role = "lead" if order == 0 else "participating"
                submitted = None
                if status == "done":
                    submitted = datetime.combine(due + timedelta(days=2 if late else -1), datetime.min.time(), CST)
                elif status == "submitted":
                    submitted = datetime.combine(min(due, today), datetime.min.time(), CST)
                buffers["tasks_assignment"].append(
                    (
                        aid,
                        item_id,
                        unit,
                        role,
                        0 if order == 0 else order - 1,
                        due if role == "lead" else contribution,
                        status,
                        "",
                        liaison if status == "claimed" else None,
                        created if status == "claimed" else None,
                        submitted,
                        1,
                        tid if open_share else None,
                    )
                )
            if done:
                for name in ("join", "review", "decide", "end"):
                    task(name, "DONE")
                emitted += 4
            else:
                task("join", "STARTED")
                emitted += 1
            while emitted < per_item:  # done revision rounds: the task count of a long-lived system
                task(("route", "unit_work", "join", "review", "decide")[emitted % 5], "DONE")
                emitted += 1
            if (k + 1) % 5_000 == 0:
                flush()
        flush()
        progress.finish()
        self.err.write("  " + "，".join(f"{labels[t]} {written[t]:,}" for t in columns) + "\n")
        with connection.cursor() as c:
            for table in columns:
                c.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT max(id) FROM {table}))")

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
                at = (
                    datetime.combine(due + timedelta(days=2 if late else -1), datetime.min.time(), CST)
                    if done
                    else None
                )
                if self.rng.random() < 0.6:
                    mu, ru, key = p["units"][k % len(p["units"])], None, f"mu:{p['units'][k % len(p['units'])]}"
                else:
                    mu, ru, key = None, p["cities"][k % len(p["cities"])], f"ru:{p['cities'][k % len(p['cities'])]}"
                yield (
                    first + k,
                    p["rule"],
                    mu,
                    ru,
                    key,
                    f"g{first + k}",
                    "基准期次",
                    due,
                    due,
                    due - timedelta(days=30),
                    due,
                    status,
                    at,
                    at,
                    late,
                    now,
                )

        self._copy(
            "deadlines_obligation",
            [
                "id",
                "rule_id",
                "member_unit_id",
                "reporting_unit_id",
                "obligor_key",
                "period",
                "period_label",
                "period_start",
                "period_end",
                "opens_on",
                "due_on",
                "status",
                "submitted_at",
                "accepted_at",
                "is_late",
                "created_at",
            ],
            rows(),
            n,
            "报送任务",
        )
        return first, first + n - 1

    def _messages(self, provinces, first_ob, last_ob, n):
        kinds = [
            "before:7",
            "before:3",
            "before:1",
            "due",
            "overdue:2",
            "overdue:4",
            "escalation",
            "overdue:6",
            "overdue:8",
            "overdue:10",
        ]
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
                yield (
                    f"obligation:{ob}",
                    kind,
                    users[ob % len(users)],
                    channel,
                    period,
                    "",
                    "基准提醒",
                    "基准提醒内容",
                    "",
                    "sent",
                    1,
                    None,
                    None,
                    "",
                    "",
                    now,
                    now,
                    None,
                )

        self._copy(
            "deadlines_message",
            [
                "subject",
                "kind",
                "recipient_id",
                "channel",
                "period",
                "address",
                "title",
                "body",
                "url",
                "status",
                "attempts",
                "next_attempt_at",
                "lease_until",
                "last_error",
                "provider_id",
                "created_at",
                "sent_at",
                "read_at",
            ],
            rows(),
            n,
            "提醒消息",
        )

    # --- counties under every prefecture (docs/counties.md) --------------------------------------------

    def _counties(self, provinces, per_city):
        progress = Progress("县市区", sum(len(p["cities"]) for p in provinces) * per_city, self.err)
        current = provinces[0]["mechanism"]
        for p in provinces:
            cities = list(ReportingUnit.objects.filter(pk__in=p["cities"]).order_by("order", "pk"))
            ReportingUnit.objects.bulk_create(
                [
                    ReportingUnit(
                        mechanism=p["mechanism"],
                        parent=c,
                        code=f"{c.code}-x{m}",
                        name=f"{c.name}县区{m}",
                        kind="县市区",
                        order=m,
                        bureau=c.bureau,
                    )
                    for c in cities
                    for m in range(per_city)
                ],
                ignore_conflicts=True,
            )
            progress.advance(len(cities) * per_city)
            counties = ReportingUnit.objects.filter(parent_id__in=p["cities"]).order_by("pk")
            if p["mechanism"] == current:
                for county in counties:  # real accounts with their grants: the benches sign in as them
                    if not User.objects.filter(username=f"bench_county_{county.code}").exists():
                        account_create(
                            username=f"bench_county_{county.code}",
                            password=BENCH_PASSWORD,
                            reporting_unit=county,
                            display_name=f"{county.name}（压测）",
                            is_demo=True,
                        )
            else:
                User.objects.bulk_create(
                    [
                        User(
                            username=f"bench-{p['mechanism'].code}-county-{pk}",
                            password="!",
                            reporting_unit_id=pk,
                            display_name="县区报送用户",
                        )
                        for pk in counties.values_list("pk", flat=True)
                    ],
                    ignore_conflicts=True,
                )
        progress.finish()

    def _county_obligations(self, first_ob, last_ob, n):
        """Pass the first prefecture obligations down to every county of their prefecture."""
        counties: dict[int, list[int]] = {}
        for pk, parent in ReportingUnit.objects.filter(parent__isnull=False).values_list("pk", "parent_id"):
            counties.setdefault(parent, []).append(pk)
        parents = []
        total = 0
        with connection.cursor() as c:
            c.execute(
                "SELECT id, rule_id, reporting_unit_id, period, period_label, period_start, period_end, opens_on,"
                " due_on, status FROM deadlines_obligation WHERE reporting_unit_id IS NOT NULL AND id BETWEEN %s AND %s"
                " ORDER BY id",
                [first_ob, last_ob],
            )
            for row in c:
                if total >= n:
                    break
                parents.append(row)
                total += len(counties.get(row[2], []))
        now = timezone.now()

        def rows():
            for pid, rule, ru, period, label, start, end, opens, due, status in parents:
                for county in counties.get(ru, []):
                    share_due = due - timedelta(days=3)
                    if status == "accepted":
                        st, at = "accepted", datetime.combine(share_due, datetime.min.time(), CST)
                    else:
                        st = self.rng.choice(["open", "open", "submitted", "accepted", "returned"])
                        at = (
                            datetime.combine(min(share_due, self.today), datetime.min.time(), CST)
                            if st in ("submitted", "accepted")
                            else None
                        )
                    yield (
                        rule,
                        None,
                        county,
                        f"ru:{county}",
                        period,
                        label,
                        start,
                        end,
                        min(opens, share_due),
                        share_due,
                        st,
                        at,
                        at if st == "accepted" else None,
                        False,
                        now,
                        pid,
                        "",
                    )

        self._copy(
            "deadlines_obligation",
            [
                "rule_id",
                "member_unit_id",
                "reporting_unit_id",
                "obligor_key",
                "period",
                "period_label",
                "period_start",
                "period_end",
                "opens_on",
                "due_on",
                "status",
                "submitted_at",
                "accepted_at",
                "is_late",
                "created_at",
                "parent_id",
                "instructions",
            ],
            rows(),
            total,
            "县区报送任务",
        )
        self.err.write(f"  县区报送任务 {total:,}（{len(parents):,} 项市州报送任务分解下发）\n")

    # --- meetings and communities ------------------------------------------------------------------

    def _meetings(self, provinces, n):
        progress = Progress("会议", n, self.err)
        statuses = ["held"] * 8 + ["scheduled", "proposed"]
        now = timezone.now()
        for start in range(0, n, 2_000):
            batch, units = [], []
            for k in range(start, min(n, start + 2_000)):
                p = provinces[k % len(provinces)]
                status = self.rng.choice(statuses)
                when = datetime.combine(self._due(), datetime.min.time(), CST).replace(hour=9)
                batch.append(
                    Meeting(
                        mechanism=p["mechanism"],
                        title=f"基准联席会议第{k}次",
                        topics="基准议题",
                        reasons="基准数据",
                        proposed_by_id=p["users"][k % len(p["users"])],
                        status=status,
                        starts_at=None if status == "proposed" else when,
                        place="" if status == "proposed" else "会议室",
                        invited_at=None if status == "proposed" else now,
                    )
                )
                units.append(self.rng.sample(p["units"], min(3, len(p["units"]))))
            with transaction.atomic():
                Meeting.objects.bulk_create(batch)
                MeetingUnit.objects.bulk_create(
                    [MeetingUnit(meeting=m, unit_id=u) for m, us in zip(batch, units) for u in us]
                )
            progress.advance(len(batch))
        progress.finish()

    def _communities(self, provinces, n):
        progress = Progress("社区", n, self.err)
        base = Community.objects.filter(name__startswith="基准社区").count()  # a second batch (--more) goes on
        for start in range(0, n, 5_000):
            batch = []
            for k in range(start, min(n, start + 5_000)):
                p = provinces[k % len(provinces)]
                met = self.rng.random() < 0.45
                batch.append(
                    Community(
                        reporting_unit_id=p["cities"][(k // len(provinces)) % len(p["cities"])],
                        county=f"县区{self.rng.randrange(8)}",
                        name=f"基准社区{base + k:06d}",
                        renovation="finished" if self.rng.random() < 0.2 else "none",
                        status=CreationStatus.MEETS_STANDARD if met else CreationStatus.TAKING_PART,
                        standard_met_on=date(self.rng.choice([2021, 2022]), self.rng.randrange(1, 13), 1)
                        if met
                        else None,
                    )
                )
            Community.objects.bulk_create(batch)
            progress.advance(len(batch))
        progress.finish()
