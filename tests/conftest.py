"""Shared fixtures. In CI (CI=true) a skipped test is a failure: the real services must be there."""

import os
import shutil

import pytest
from django.conf import settings
from django.core.cache import caches
from django.core.management.color import no_style
from django.db import connection
from django.test import Client

from members.mechanism_config import mechanism_path, mechanism_spec_read
from members.models import Mechanism, Person, ReportingUnit, Role, RoleAssignment, User
from members.services import account_create, mechanism_load

IN_CI = os.environ.get("CI", "").lower() in {"1", "true", "yes"}
PASSWORD = "test-pass-2026"


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    if IN_CI and report.skipped and not hasattr(report, "wasxfail"):
        report.outcome = "failed"
        reason = report.longrepr[2] if isinstance(report.longrepr, tuple) else report.longrepr
        report.longrepr = f"CI 中不允许跳过测试（缺少真实服务？）：{reason}"


def using_postgres() -> bool:
    return settings.DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql"


@pytest.fixture
def require_postgres():
    if not using_postgres():
        pytest.skip("needs PostgreSQL: set DATABASE_URL=postgres://…")


@pytest.fixture
def require_redis():
    if not settings.REDIS_URL:
        pytest.skip("needs Redis: set REDIS_URL=redis://…")


# --- The base world: Guizhou's joint meeting and one account per kind of user -------------------------
#
# Loading the mechanism and creating eleven accounts took ~1.4 s a test. They are built once, right
# after the test database is created, and every test runs inside a transaction that is rolled back,
# so each test starts from the same base world. A test that does not ask for `mechanism` or `users`
# (directly or through another fixture) sees an empty database, exactly as it was written: the base
# world is wiped inside its transaction. Transactional tests (live server, real workers) run last;
# Django empties the database after each of them, and `mechanism`/`users` rebuild what is missing.

BASE_FIXTURES = {"mechanism", "users"}
# Filled by migrate itself (post_migrate), never by the base world: never wiped.
STRUCTURAL_TABLES = {"django_content_type", "auth_permission", "django_migrations"}


def _load_mechanism():
    mechanism = Mechanism.objects.filter(code="guizhou").first()
    if mechanism is None:
        mechanism_load(spec=mechanism_spec_read(mechanism_path("guizhou")))
        mechanism = Mechanism.objects.get(code="guizhou")
    return mechanism


def _account_for(person_name: str, username: str):
    person = Person.objects.get(name=person_name)
    return account_create(username=username, password=PASSWORD, person=person)


def _create_users(mechanism):
    lead = mechanism.units.get(is_lead=True)
    office_person = Person.objects.create(
        unit=lead, division=lead.divisions.get(name="城市建设处"), name="办公室测试员"
    )
    RoleAssignment.objects.create(
        mechanism=mechanism,
        person=office_person,
        role=Role.OFFICE_STAFF,
        unit=lead,
        division=office_person.division,
        start_date=mechanism.established_on,
    )
    outsider_person = Person.objects.create(unit=lead, name="无职务人员")
    _account_for("陈维明", "convener")
    _account_for("张春晖", "deputy")
    account_create(username="office", password=PASSWORD, person=office_person)
    _account_for("方海", "member_mzt")
    _account_for("王浩然", "liaison_mzt")
    _account_for("蔡立智", "liaison_zjt")
    _account_for("陈显伟", "liaison_gat")
    account_create(username="city_guiyang", password=PASSWORD, reporting_unit=ReportingUnit.objects.get(code="guiyang"))
    account_create(username="city_zunyi", password=PASSWORD, reporting_unit=ReportingUnit.objects.get(code="zunyi"))
    account_create(username="outsider", password=PASSWORD, person=outsider_person)
    account_create(username="admin", password=PASSWORD, is_staff=True, is_superuser=True)


USERNAMES = [
    "convener",
    "deputy",
    "office",
    "member_mzt",
    "liaison_mzt",
    "liaison_zjt",
    "liaison_gat",
    "city_guiyang",
    "city_zunyi",
    "outsider",
    "admin",
]


def _base_world():
    mechanism = _load_mechanism()
    if not User.objects.filter(username="convener").exists():
        _create_users(mechanism)
    return mechanism


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):
    with django_db_blocker.unblock():
        _base_world()


def _wipe_base_world():
    tables = [
        t
        for t in connection.introspection.django_table_names(only_existing=True, include_views=False)
        if t not in STRUCTURAL_TABLES
    ]
    with connection.cursor() as cursor:
        for sql in connection.ops.sql_flush(no_style(), tables, allow_cascade=True):
            cursor.execute(sql)


@pytest.fixture(autouse=True)
def _base_world_or_empty(request):
    marker = request.node.get_closest_marker("django_db")
    names = set(request.fixturenames)
    if marker is None and not names & {"db", "transactional_db", "live_server"}:
        yield
        return
    transactional = bool(names & {"transactional_db", "live_server"}) or (
        marker is not None and (marker.kwargs.get("transaction") or (marker.args and marker.args[0]))
    )
    request.getfixturevalue("transactional_db" if transactional else "db")
    # Base accounts keep their stamps from test to test (a rollback restores them): a snapshot cached
    # by an earlier test that changed access without renewing a stamp must not reach this one.
    caches["access"].clear()
    caches["default"].clear()
    if not names & BASE_FIXTURES:
        _wipe_base_world()
    yield
    _check_item_progress()


def _check_item_progress():
    """After every test: each item's stored progress (Item.progress, which 工作台 draws) is exactly what
    its assignments say — whatever path the test took through the services."""
    from django.db import DatabaseError

    from tasks.models import Item
    from tasks.services import progress_of

    try:
        stored = list(Item.objects.values_list("pk", "progress"))
    except DatabaseError:  # the test left its transaction aborted on purpose; nothing to compare
        return
    wrong = [(pk, progress, progress_of(pk)) for pk, progress in stored if progress != progress_of(pk)]
    assert not wrong, f"Item.progress out of date (item, stored, actual): {wrong}"


@pytest.fixture
def mechanism(db):
    """Guizhou's joint meeting, loaded from the shipped configuration file."""
    return _base_world()


@pytest.fixture
def users(mechanism):
    """One account per kind of user; keys name the role, values are saved users (fresh instances)."""
    by_name = {u.username: u for u in User.objects.filter(username__in=USERNAMES)}
    return {name: by_name[name] for name in USERNAMES}


@pytest.fixture
def client_for():
    """A client signed in as `user`; an account that needs a second factor has passed it (see
    `verified_login`). Tests of the second factor itself sign in through the real pages."""

    def make(user):
        return verified_login(Client(), user)

    return make


# --- The second factor (members.security): privileged accounts verify a TOTP code after the password ----

TEST_TOTP_KEY = "3132333435363738393031323334353637383930"  # hex, RFC 6238's test secret


def second_factor_device(user):
    """A confirmed authenticator with a known key for `user` (created once)."""
    from django_otp.plugins.otp_totp.models import TOTPDevice

    device = TOTPDevice.objects.filter(user=user, confirmed=True).first()
    return device or TOTPDevice.objects.create(user=user, name="测试验证器", key=TEST_TOTP_KEY, confirmed=True)


def totp_code(device) -> str:
    """The code the authenticator shows now. Clears the device's replay guard (a code is accepted once
    per 30 s step) so that a test may sign the same account in twice within a step."""
    from django_otp.oath import totp

    device.refresh_from_db()
    device.last_t = -1
    device.throttling_failure_count = 0
    device.throttling_failure_timestamp = None
    device.save()
    return f"{totp(device.bin_key, device.step, device.t0, device.digits, device.drift):0{device.digits}d}"


def verified_login(client, user):
    """force_login, and for an account that needs a second factor mark the session as verified with
    its authenticator, exactly as django_otp.login does after a correct code."""
    from django_otp import DEVICE_ID_SESSION_KEY

    from members.security import second_factor_required

    client.force_login(user)
    if second_factor_required(user):
        session = client.session
        session[DEVICE_ID_SESSION_KEY] = second_factor_device(user).persistent_id
        session.save()
    return client


def second_factor_pass(page, username):
    """In the browser, right after the password: an account that needs a second factor types its
    authenticator's code (others have nothing to do)."""
    from members.security import second_factor_required

    user = User.objects.get(username=username)
    if not second_factor_required(user):
        return
    code = totp_code(second_factor_device(user))
    page.wait_for_url("**/accounts/2fa/**")
    page.fill("#id_token", code)
    page.click("button[type=submit]")


# --- Browser (Playwright driving Debian's chromium) ---------------------------------------------------

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"


@pytest.fixture
def browser_page(live_server):
    """A fresh headless Chromium page. Playwright's sync API runs an event loop in this thread, so
    Django's async-safety guard must be relaxed for the ORM calls the test itself makes."""
    if not os.path.exists(CHROMIUM):
        pytest.skip("Debian's chromium is not installed (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    with sync_playwright() as pw:
        browser = pw.chromium.launch(
            executable_path=CHROMIUM,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-quic",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
            ],
        )
        context = browser.new_context(locale="zh-CN", base_url=live_server.url)
        page = context.new_page()
        page.set_default_timeout(15_000)
        try:
            yield page
        finally:
            context.close()
            browser.close()
            os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
