"""The production path, run as the README writes it: production settings, PostgreSQL, Redis, SMTP,
static files collected by whitenoise's manifest storage, gunicorn serving real pages.

The commands are read from the README's "Production" block itself, so the README cannot drift from
what CI runs."""

import http.client
import os
import re
import shlex
import signal
import socket
import subprocess
import sys
import time
from http.cookies import SimpleCookie
from pathlib import Path
from urllib.parse import urlencode

import pytest
from django.conf import settings
from django.contrib.auth.hashers import PBKDF2PasswordHasher
from django.db import connection
from django.utils.crypto import get_random_string

from members.models import Person, Role, RoleAssignment
from members.services import account_create
from tests.conftest import second_factor_device, totp_code

BASE_DIR = Path(settings.BASE_DIR)
VENV_BIN = Path(sys.executable).parent
PASSWORD = "Prod-smoke-2026!"


# --- The README's production steps ------------------------------------------------------------------


def readme_production_steps() -> list[list[str]]:
    """The commands of the README's production block (without the `export` line), as argv lists."""
    readme = (BASE_DIR / "README.md").read_text(encoding="utf-8")
    block = re.search(r"^## Production\n.*?```sh\n(.*?)```", readme, re.S | re.M).group(1)
    lines = block.replace("\\\n", " ").splitlines()
    steps = []
    for line in lines:
        line = line.split("#", 1)[0].strip()
        if not line or line.startswith("export "):
            continue
        for part in line.split("&&"):
            steps.append(shlex.split(part.strip()))
    return steps


def _argv(step: list[str]) -> list[str]:
    return [str(VENV_BIN / Path(step[0]).name) if step[0].startswith(".venv/bin/") else step[0], *step[1:]]


def test_the_readme_production_block_names_every_step_this_file_runs():
    programs = [" ".join(step[:3]) for step in readme_production_steps()]
    assert programs[:3] == [
        ".venv/bin/python manage.py migrate",
        ".venv/bin/python manage.py collectstatic",
        ".venv/bin/python manage.py load_mechanism",
    ]
    assert any(step[0] == ".venv/bin/gunicorn" for step in readme_production_steps())


# --- Environment ------------------------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _database_url() -> str:
    db = connection.settings_dict  # the test database pytest-django created
    return f"postgres://{db['USER']}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


@pytest.fixture
def smtp_server():
    """A throwaway local SMTP server (aiosmtpd) that keeps what it receives."""
    from aiosmtpd.controller import Controller
    from aiosmtpd.handlers import Sink

    controller = Controller(Sink(), hostname="127.0.0.1", port=_free_port())
    controller.start()
    try:
        yield f"smtp://127.0.0.1:{controller.port}"
    finally:
        controller.stop()


@pytest.fixture
def production_env(require_postgres, require_redis, smtp_server, tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "PYTEST", "CI"))}
    env.update(
        {
            "DJANGO_SETTINGS_MODULE": "config.settings.production",
            "DJANGO_SECRET_KEY": "prod-smoke-" + "k3Y-9f" * 10,
            "DATABASE_URL": _database_url(),
            "REDIS_URL": settings.REDIS_URL,
            "EMAIL_URL": smtp_server,
            "DJANGO_ALLOWED_HOSTS": "127.0.0.1,localhost",
            "STATIC_ROOT": str(tmp_path / "static"),
            "MEDIA_ROOT": str(tmp_path / "media"),
        }
    )
    return env


def _run(argv, env, timeout=600):
    result = subprocess.run(argv, cwd=BASE_DIR, env=env, capture_output=True, text=True, timeout=timeout)
    assert result.returncode == 0, f"{' '.join(argv)}\n{result.stdout}\n{result.stderr}"
    return result


# --- check --deploy ---------------------------------------------------------------------------------


@pytest.mark.services
def test_check_deploy_under_production_settings_prints_no_warning(production_env):
    result = _run([sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"], production_env)
    output = result.stdout + result.stderr
    assert "System check identified no issues" in output, output
    assert "WARNING" not in output


# --- No inline script or style (the CSP forbids both) -------------------------------------------------


def test_templates_hold_no_inline_script_and_no_style_attribute():
    offenders = []
    paths = [p for p in BASE_DIR.rglob("templates/**/*.html") if ".venv" not in p.parts]
    assert len(paths) > 50  # the project's and the apps' own templates
    for path in paths:
        text = path.read_text(encoding="utf-8")
        if re.search(r"<script(?![^>]*\bsrc=)[^>]*>", text) or re.search(r"\son\w+\s*=", text):
            offenders.append(f"{path}: inline script")
        if re.search(r"\sstyle\s*=|<style\b", text):
            offenders.append(f"{path}: inline style")
    assert not offenders, offenders


# --- gunicorn ---------------------------------------------------------------------------------------


class Browser:
    """Just enough of a browser behind the documented nginx: every request arrives with
    X-Forwarded-Proto: https, and cookies marked Secure are kept and sent back."""

    def __init__(self, port: int):
        self.port = port
        self.cookies: dict[str, str] = {}

    def request(self, method, path, body=None, headers=None, forwarded_https=True):
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
        all_headers = {"Host": f"127.0.0.1:{self.port}", **(headers or {})}
        if forwarded_https:
            all_headers["X-Forwarded-Proto"] = "https"
        if self.cookies:
            all_headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        try:
            conn.request(method, path, body=body, headers=all_headers)
            response = conn.getresponse()
            content = response.read()
        finally:
            conn.close()
        for header in response.headers.get_all("Set-Cookie") or []:
            for name, morsel in SimpleCookie(header).items():
                self.cookies[name] = morsel.value
        return response, content

    def get(self, path, **kwargs):
        return self.request("GET", path, **kwargs)

    def post_form(self, path, data):
        return self.request(
            "POST",
            path,
            body=urlencode(data),
            headers={
                "Content-Type": "application/x-www-form-urlencoded",
                "Origin": f"https://127.0.0.1:{self.port}",
                "Referer": f"https://127.0.0.1:{self.port}{path}",
            },
        )

    def sign_in(self, username, password):
        response, content = self.get("/accounts/login/")
        assert response.status == 200, content[:500]
        token = re.search(rb'name="csrfmiddlewaretoken" value="([^"]+)"', content).group(1).decode()
        response, content = self.post_form(
            "/accounts/login/", {"csrfmiddlewaretoken": token, "username": username, "password": password, "next": "/"}
        )
        assert response.status == 302, content[:2000]
        assert "sessionid" in self.cookies

    def second_factor(self, code):
        """The office's second step: the authenticator's code on /accounts/2fa/."""
        response, content = self.get("/accounts/2fa/")
        assert response.status == 200, content[:500]
        token = re.search(rb'name="csrfmiddlewaretoken" value="([^"]+)"', content).group(1).decode()
        response, content = self.post_form("/accounts/2fa/", {"csrfmiddlewaretoken": token, "token": code, "next": "/"})
        assert response.status == 302, content[:2000]


def _wait_until_serving(proc, port):
    deadline = time.monotonic() + 120  # start-up allowance, not an assertion about speed
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise AssertionError(f"gunicorn exited with {proc.returncode}:\n{proc.stdout.read()}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return
        except OSError:
            time.sleep(0.3)
    raise AssertionError("gunicorn did not start listening")


def _stop(proc):
    if proc.poll() is None:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()


def _accounts(mechanism):
    """A real (not demo) office account and a liaison account, as the office would open them."""
    lead = mechanism.units.get(is_lead=True)
    office = Person.objects.create(unit=lead, division=lead.divisions.first(), name="生产检查办公室人员")
    RoleAssignment.objects.create(
        mechanism=mechanism,
        person=office,
        role=Role.OFFICE_STAFF,
        unit=lead,
        division=office.division,
        start_date=mechanism.established_on,
    )
    unit = mechanism.units.filter(is_lead=False).order_by("pk").first()
    liaison = Person.objects.create(unit=unit, name="生产检查联络员")
    RoleAssignment.objects.create(
        mechanism=mechanism, person=liaison, role=Role.LIAISON, unit=unit, start_date=mechanism.established_on
    )
    accounts = (
        account_create(username="prod_office", password=PASSWORD, person=office),
        account_create(username="prod_liaison", password=PASSWORD, person=liaison),
    )
    for account in accounts:  # hashed as production hashes (the test settings' fast hasher is not there)
        account.password = PBKDF2PasswordHasher().encode(PASSWORD, get_random_string(16))
        account.save(update_fields=["password"])
    return accounts


@pytest.mark.services
@pytest.mark.django_db(transaction=True)
def test_gunicorn_with_production_settings_serves_the_main_pages(production_env, mechanism):
    steps = readme_production_steps()
    for step in steps:
        if step[0].endswith("gunicorn"):
            gunicorn = step
            break
        if step[0].endswith("python"):
            _run(_argv(step), production_env)  # migrate, collectstatic, load_mechanism
    assert Path(production_env["STATIC_ROOT"], "staticfiles.json").exists()
    office, liaison = _accounts(mechanism)
    assert not office.is_demo and not liaison.is_demo

    port = _free_port()
    argv = _argv(gunicorn)
    argv[argv.index("-b") + 1] = f"127.0.0.1:{port}"
    argv[argv.index("-w") + 1] = "2"
    proc = subprocess.Popen(
        argv,
        cwd=BASE_DIR,
        env=production_env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    try:
        _wait_until_serving(proc, port)
        browser = Browser(port)

        # Plain HTTP without the proxy's header is sent to HTTPS.
        response, _ = browser.get("/accounts/login/", forwarded_https=False)
        assert response.status == 301 and response.headers["Location"].startswith("https://")

        response, content = browser.get("/accounts/login/")
        assert response.status == 200
        assert "max-age=" in response.headers["Strict-Transport-Security"]
        csp = response.headers["Content-Security-Policy"]
        assert "script-src 'self'" in csp and "unsafe-inline" not in csp
        stylesheet = re.search(rb'href="(/static/css/app\.[0-9a-f]{12}\.css)"', content)
        assert stylesheet, "the page must link the hashed stylesheet from the manifest"
        response, css = browser.get(stylesheet.group(1).decode())
        assert response.status == 200 and response.headers["Content-Type"].startswith("text/css") and css

        pages = {
            "prod_office": ["/", "/items/queue/", "/dashboard/", "/deadlines/", "/mechanism/"],
            "prod_liaison": ["/", "/items/inbox/", "/deadlines/", "/mechanism/"],
        }
        for username, paths in pages.items():
            browser = Browser(port)
            browser.sign_in(username, PASSWORD)
            if username == "prod_office":  # the office passes its second factor, as in production
                browser.second_factor(totp_code(second_factor_device(office)))
            for path in paths:
                response, content = browser.get(path)
                if response.status == 302 and path == "/":
                    response, content = browser.get(response.headers["Location"])
                assert response.status == 200, (username, path, response.status, content[:500])
                assert "退出" in content.decode(), (username, path)  # signed in, in the product frame
            response, content = browser.get("/no-such-page/")
            assert response.status == 404 and "页面不存在" in content.decode() and "返回首页" in content.decode()
    finally:
        _stop(proc)
        log = proc.stdout.read()
        print(log)  # shown by pytest when the test fails
    assert "Internal Server Error" not in log and "Traceback" not in log, log
