"""Bench: the site under load — locust against gunicorn with the production settings, loopback only.

    createdb -h 127.0.0.1 -U postgres jm_load          # a scratch database: --prepare ADDS rows
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/jm_load REDIS_URL=redis://127.0.0.1:6379/12 \\
        .venv/bin/python bench/load.py --prepare [--items 3000 --obligations 7000 --messages 20000]
    DATABASE_URL=… REDIS_URL=… .venv/bin/python bench/load.py --users 50 --seconds 60 [--steps 10,20,40,80]

--prepare migrates, loads the Guizhou mechanism and its demo people, adds generated rows
(generate_national_data) and turns the demo convener, office and liaison accounts into ordinary
accounts named load_* (production settings refuse demo accounts; this is a scratch database).
Then gunicorn starts on 127.0.0.1:8765 with config.settings.production (2 workers × 4 threads; TLS
redirect and Secure cookies off because there is no proxy on loopback), and locust runs headless:

1. the mix: --users users (30 liaisons, 12 office, 8 convener for 50) on sessions signed in before
   the run (each account once, through the login page), then
   thinking 5–10 s between pages — liaisons: 我的待办, an item of theirs, 报送任务; office: 工作台,
   报送任务; convener: 督办总览, 逾期督办, drill-downs. Prints p50/p95/errors/rps.
   --without 报送任务,逾期督办 leaves pages out (to measure the rest while a known slow page is fixed).
2. with --steps: the same mix with 1 s think time at each user count for --step-seconds; reports the
   highest request rate held with p95 ≤ 200 ms and no errors.

Bounded: users ≤ 200, seconds ≤ 600. Everything it starts is stopped at the end. Results go to
bench/results/load-<label>.json with the load average (the machine is shared)."""

import argparse
import csv
import json
import os
import random
import re
import secrets
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PORT = 8765
HOST = f"http://127.0.0.1:{PORT}"
ACCOUNTS_FILE = ROOT / "bench" / "results" / "load-accounts.json"
SESSIONS_FILE = ROOT / "bench" / "results" / "load-sessions.json"
WITHOUT = ""  # --without: names of pages left out of the mix (prefixes)
PASSWORD = "demo-2026"  # the demo accounts' password, kept by --prepare
TOTP_KEY = "3132333435363738393031323334353637383930"  # hex (RFC 6238's test secret): load accounts only


def totp_now(key_hex: str = TOTP_KEY) -> str:
    """The six-digit code an authenticator with this key shows now (RFC 6238: SHA-1, 30 s)."""
    import hashlib
    import hmac
    import struct

    digest = hmac.new(bytes.fromhex(key_hex), struct.pack(">Q", int(time.time()) // 30), hashlib.sha1).digest()
    offset = digest[-1] & 0x0F
    return f"{(struct.unpack('>I', digest[offset : offset + 4])[0] & 0x7FFFFFFF) % 1_000_000:06d}"


# --- locust users (this file is also the locustfile) ------------------------------------------------------

try:
    from locust import HttpUser, between, constant, task
except ImportError:  # --prepare needs no locust
    HttpUser = None

if HttpUser is not None:
    THINK = float(os.environ.get("LOAD_THINK", "0"))
    SKIP = [name for name in os.environ.get("LOAD_WITHOUT", "").split(",") if name]

    def _accounts():
        return json.loads(SESSIONS_FILE.read_text())

    class _Signed(HttpUser):
        abstract = True
        host = HOST
        wait_time = constant(THINK) if THINK else between(5, 10)
        kind = ""

        def on_start(self):
            # Each account signed in once by the driver (sign_in_all): the run measures pages, not a
            # storm of password hashes (PBKDF2 costs ~0.3 s of CPU a sign-in by design).
            self.username, sessionid = random.choice(list(_accounts()[self.kind].items()))
            self.client.cookies.set("sessionid", sessionid, domain="127.0.0.1")

        def page(self, path, name):
            if any(name.startswith(skip) for skip in SKIP):
                return ""
            with self.client.get(path, name=name, allow_redirects=False, catch_response=True) as r:
                if r.status_code != 200:
                    r.failure(f"{r.status_code}")
                return r.text if r.status_code == 200 else ""

    class Liaison(_Signed):
        fixed_count = int(os.environ.get("LOAD_LIAISONS", "30"))
        kind = "liaison"
        items: list = []

        @task(3)
        def inbox(self):
            text = self.page("/items/inbox/", "我的待办")
            found = re.findall(r'href="/items/(\d+)/"', text)
            if found:
                self.items = found

        @task(2)
        def item(self):
            if self.items:
                self.page(f"/items/{random.choice(self.items)}/", "事项页")
            else:
                self.inbox()

        @task(2)
        def obligations(self):
            self.page("/deadlines/", "报送任务（联络员）")

    class Office(_Signed):
        fixed_count = int(os.environ.get("LOAD_OFFICE", "12"))
        kind = "office"

        @task(3)
        def queue(self):
            self.page("/items/queue/", "工作台")

        @task(2)
        def obligations(self):
            self.page("/deadlines/", "报送任务（办公室）")

    class Convener(_Signed):
        fixed_count = int(os.environ.get("LOAD_CONVENER", "8"))
        kind = "convener"

        @task(3)
        def dashboard(self):
            self.page("/dashboard/", "督办总览")

        @task(2)
        def overdue(self):
            self.page("/deadlines/overdue/", "逾期督办")

        @task(2)
        def drill(self):
            metric = random.choice(["overdue", "open", "red", "soon"])
            self.page(f"/dashboard/list/?metric={metric}", "下钻列表")


# --- the driver ---------------------------------------------------------------------------------------


def _env(settings_module: str) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTEST", "CI"))}
    if not env.get("DATABASE_URL", "").startswith("postgres"):
        sys.exit("DATABASE_URL=postgres://… (a scratch database) is required")
    if not env.get("REDIS_URL"):
        sys.exit("REDIS_URL=redis://… is required")
    env["DJANGO_SETTINGS_MODULE"] = settings_module
    return env


def _manage(env, *args):
    subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT, env=env, check=True)


CONVERT = """
from members.models import User
plan = {"convener": ["demo_convener"], "office": ["demo_office"],
        "liaison": ["demo_" + n[5:] if n.startswith("load_") else n for n in User.objects.filter(
            username__regex=r"^(demo|load)_liaison_").values_list("username", flat=True)]}  # again: the same
out = {}
for kind, names in plan.items():
    out[kind] = []
    for name in names:
        u = User.objects.filter(username__in=[name, "load_" + name[5:]]).first()
        u.username, u.is_demo = "load_" + name[5:], False
        u.save()
        out[kind].append(u.username)
# The office and the convener pass a second factor at sign-in (production requires it): an
# authenticator with a known key, whose codes sign_in_all computes.
from django_otp.plugins.otp_totp.models import TOTPDevice
for name in out["office"] + out["convener"]:
    TOTPDevice.objects.get_or_create(user=User.objects.get(username=name), name="压测验证器",
                                     defaults={"key": %r, "confirmed": True})
import json, pathlib
pathlib.Path(%r).write_text(json.dumps(out))
print(out)
"""


def prepare(args):
    env = _env("config.settings.local")
    _manage(env, "migrate", "-v", "0")
    _manage(env, "load_mechanism", "guizhou")
    _manage(env, "load_demo")
    _manage(
        env,
        "generate_national_data",
        "--provinces",
        "3",
        "--items",
        str(args.items),
        "--obligations",
        str(args.obligations),
        "--messages",
        str(args.messages),
    )
    ACCOUNTS_FILE.parent.mkdir(parents=True, exist_ok=True)
    _manage(env, "shell", "-c", CONVERT % (TOTP_KEY, str(ACCOUNTS_FILE)))


def _production_env(static_root: Path) -> dict:
    env = _env("config.settings.production")
    env.update(
        {
            "DJANGO_SECRET_KEY": secrets.token_urlsafe(50),
            "EMAIL_URL": "consolemail://",
            "DJANGO_ALLOWED_HOSTS": "127.0.0.1,localhost",
            "DJANGO_SECURE_SSL_REDIRECT": "false",
            "DJANGO_SECURE_COOKIES": "false",
            "STATIC_ROOT": str(static_root),
            "LOG_LEVEL": "WARNING",
        }
    )
    return env


def start_gunicorn(env):
    with socket.socket() as s:
        if s.connect_ex(("127.0.0.1", PORT)) == 0:
            sys.exit(f"port {PORT} is in use")
    proc = subprocess.Popen(
        [
            str(Path(sys.executable).parent / "gunicorn"),
            "config.wsgi",
            "-b",
            f"127.0.0.1:{PORT}",
            "-w",
            "2",
            "--threads",
            "4",
            "-k",
            "gthread",
            "--timeout",
            "120",
        ],
        cwd=ROOT,
        env=env,
        start_new_session=True,
    )
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            sys.exit("gunicorn exited")
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", PORT)) == 0:
                return proc
        time.sleep(0.3)
    stop(proc)
    sys.exit("gunicorn did not start")


def stop(proc):
    if proc.poll() is None:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)


def sign_in_all() -> None:
    """Sign every load_* account in once through the login page; keep {kind: {username: sessionid}}."""
    import http.cookiejar
    import urllib.parse
    import urllib.request

    sessions = {}
    for kind, names in json.loads(ACCOUNTS_FILE.read_text()).items():
        sessions[kind] = {}
        for name in names:
            jar = http.cookiejar.CookieJar()
            opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
            page = opener.open(f"{HOST}/accounts/login/").read().decode()
            token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)
            data = urllib.parse.urlencode(
                {"csrfmiddlewaretoken": token, "username": name, "password": PASSWORD, "next": "/"}
            ).encode()
            answer = opener.open(f"{HOST}/accounts/login/", data)
            if "/accounts/2fa/" in answer.geturl():  # the office and the convener: the second factor
                page = answer.read().decode()
                token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)
                opener.open(
                    answer.geturl(),
                    urllib.parse.urlencode({"csrfmiddlewaretoken": token, "token": totp_now()}).encode(),
                )
            sid = next((c.value for c in jar if c.name == "sessionid"), None)
            if not sid:
                sys.exit(f"could not sign in {name}")
            sessions[kind][name] = sid
    SESSIONS_FILE.write_text(json.dumps(sessions))


def _num(text) -> float:
    try:
        return float(text)
    except (TypeError, ValueError):  # "N/A" when nothing completed
        return 0.0


def run_locust(users: int, seconds: int, think: float, label: str) -> dict:
    counts = {"LOAD_LIAISONS": round(users * 0.6), "LOAD_OFFICE": round(users * 0.24)}
    counts["LOAD_CONVENER"] = users - counts["LOAD_LIAISONS"] - counts["LOAD_OFFICE"]
    env = {**os.environ, **{k: str(v) for k, v in counts.items()}, "LOAD_THINK": str(think), "LOAD_WITHOUT": WITHOUT}
    with tempfile.TemporaryDirectory() as tmp:
        prefix = Path(tmp) / "stats"
        subprocess.run(
            [
                str(Path(sys.executable).parent / "locust"),
                "-f",
                __file__,
                "--headless",
                "-u",
                str(users),
                "-r",
                str(max(1, users // 5)),
                "-t",
                f"{seconds}s",
                "--host",
                HOST,
                "--csv",
                str(prefix),
                "--only-summary",
                "--stop-timeout",
                "10",
                "--exit-code-on-error",
                "0",
                "--loglevel",
                "WARNING",
            ],
            cwd=ROOT,
            env=env,
            check=True,
        )
        rows = list(csv.DictReader(open(f"{prefix}_stats.csv", encoding="utf-8")))
    pages = {}
    for row in rows:
        pages[row["Name"]] = {
            "requests": int(row["Request Count"]),
            "errors": int(row["Failure Count"]),
            "p50_ms": _num(row["50%"]),
            "p95_ms": _num(row["95%"]),
            "rps": round(_num(row["Requests/s"]), 2),
        }
    total = pages.pop("Aggregated")
    return {"label": label, "users": users, "seconds": seconds, "think_s": think or "5–10", **total, "pages": pages}


def _print(result):
    print(
        f"{result['label']}: {result['users']} users, think {result['think_s']} s, {result['seconds']} s — "
        f"{result['requests']} requests, {result['errors']} errors, {result['rps']} req/s, "
        f"p50 {result['p50_ms']:.0f} ms, p95 {result['p95_ms']:.0f} ms"
    )
    for name, page in sorted(result["pages"].items()):
        print(
            f"    {name:<16} n={page['requests']:<5} err={page['errors']:<3} p50={page['p50_ms']:>6.0f} "
            f"p95={page['p95_ms']:>6.0f}"
        )


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--prepare", action="store_true")
    parser.add_argument("--items", type=int, default=3000)
    parser.add_argument("--obligations", type=int, default=7000)
    parser.add_argument("--messages", type=int, default=20000)
    parser.add_argument("--users", type=int, default=50)
    parser.add_argument("--seconds", type=int, default=60)
    parser.add_argument("--steps", default="", help="user counts for the step test, e.g. 10,20,40,80")
    parser.add_argument("--step-seconds", type=int, default=30)
    parser.add_argument("--label", default="run")
    parser.add_argument("--without", default="", help="pages left out of the mix, e.g. 报送任务,逾期督办")
    args = parser.parse_args()
    global WITHOUT
    WITHOUT = args.without
    if args.prepare:
        prepare(args)
        return
    if not ACCOUNTS_FILE.exists():
        sys.exit("run --prepare first")
    steps = [int(s) for s in args.steps.split(",") if s]
    if args.users > 200 or any(s > 200 for s in steps) or args.seconds > 600 or args.step_seconds > 600:
        sys.exit("bounded: users ≤ 200, seconds ≤ 600")
    static_root = ROOT / "var" / "load-static"
    env = _production_env(static_root)
    if not (static_root / "staticfiles.json").exists():
        _manage(env, "collectstatic", "--noinput", "-v", "0")
    gunicorn = start_gunicorn(env)
    results = {"load_before": os.getloadavg(), "runs": []}
    try:
        sign_in_all()
        mix = run_locust(args.users, args.seconds, 0, "mix")
        _print(mix)
        results["runs"].append(mix)
        held = None
        for users in steps:
            step = run_locust(users, args.step_seconds, 1.0, f"step {users}")
            _print(step)
            results["runs"].append(step)
            if step["requests"] and step["p95_ms"] <= 200 and step["errors"] == 0:
                held = max(held or 0, step["rps"])
        if steps:
            results["highest_rps_with_p95_le_200ms"] = held
            print(f"highest request rate held with p95 ≤ 200 ms and no errors: {held} req/s")
    finally:
        stop(gunicorn)
    results["load_after"] = os.getloadavg()
    out = ROOT / "bench" / "results" / f"load-{args.label}.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(results, ensure_ascii=False, indent=1))
    print(f"load average {results['load_before']} → {results['load_after']}; written {out}")


if __name__ == "__main__":
    main()
