"""pytest. DATABASE_URL / REDIS_URL point the suite at PostgreSQL and Redis (CI always does)."""

from .base import *  # noqa: F401,F403
from .base import BASE_DIR, CACHES, DATABASES, env

DEBUG = False
DEMO_ACCOUNTS_ALLOWED = True
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
MEDIA_ROOT = env.path("MEDIA_ROOT", default=str(BASE_DIR / "var" / "test-media"))
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
CELERY_TASK_ALWAYS_EAGER = True
CELERY_TASK_EAGER_PROPAGATES = True
AXES_ENABLED = True
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # A file, not :memory:, so that a worker started by a test can open the same test database.
    DATABASES["default"]["TEST"] = {"NAME": str(BASE_DIR / "var" / "test-db.sqlite3")}
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
# Many tests sign in and then move the clock by days or years; the session-lifetime tests
# (tests/members/test_sign_in_security.py) set the real limits themselves.
SESSION_COOKIE_AGE = SESSION_ABSOLUTE_SECONDS = SESSION_IDLE_SECONDS = 10 * 365 * 24 * 3600
# The tests' cache is per process even when REDIS_URL is set (conftest clears it between tests, and a
# clear must never flush the broker's Redis database); the Redis setup is proven by
# tests/core/test_scale_out.py, which runs gunicorn with the production settings.
CACHES = {**CACHES, "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "default"}}
# Sessions in the database as without Redis, so the suite's query counts are the same with or without
# REDIS_URL (cached_db would take the session's query away only where Redis is configured).
SESSION_ENGINE = "django.contrib.sessions.backends.db"
# Query-count tests measure the dashboard's own queries; tests/dashboard/test_cache.py turns the cache on.
DASHBOARD_CACHE_SECONDS = 0
