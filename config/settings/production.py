"""Production: PostgreSQL, Redis, SMTP, HTTPS. Refuses to start without its secrets.

`manage.py check --deploy` with these settings prints nothing (tests/core/test_production.py)."""

from django.core.exceptions import ImproperlyConfigured

from .base import *  # noqa: F401,F403
from .base import DATABASES, LOGGING, MIDDLEWARE, REDIS_URL, SECRET_KEY, env

DEBUG = False
DEMO_ACCOUNTS_ALLOWED = False

# The known development key is refused by name (S105 mistakes the comparison for a hardcoded password).
if SECRET_KEY == "insecure-local-only-key" or len(SECRET_KEY) < 50 or len(set(SECRET_KEY)) < 5:  # noqa: S105
    raise ImproperlyConfigured("生产环境必须设置 DJANGO_SECRET_KEY（至少 50 个字符的随机值）。")
if DATABASES["default"]["ENGINE"] != "django.db.backends.postgresql":
    raise ImproperlyConfigured("生产环境必须通过 DATABASE_URL 使用 PostgreSQL。")
if not REDIS_URL:
    raise ImproperlyConfigured("生产环境必须设置 REDIS_URL（Celery 消息队列）。")
if not env("EMAIL_URL", default=""):
    raise ImproperlyConfigured("生产环境必须设置 EMAIL_URL（例如 smtp+tls://user:pass@host:587）。")

# Log lines as JSON objects (time, level, logger, message, request_id) for the log collector.
LOGGING["handlers"]["console"]["formatter"] = env("LOG_FORMAT", default="json")

# Static files straight from gunicorn (no separate web server needed for them). viewflow's unused
# frontend is not collected (core/staticfiles.py; docs/decisions.md).
MIDDLEWARE = [MIDDLEWARE[0], "whitenoise.middleware.WhiteNoiseMiddleware", *MIDDLEWARE[1:]]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}
STATICFILES_FINDERS = [
    "django.contrib.staticfiles.finders.FileSystemFinder",
    "core.staticfiles.ProductAppDirectoriesFinder",
]

# HTTPS. The reverse proxy (nginx) terminates TLS and must set X-Forwarded-Proto; a request that
# arrives without it is redirected to https://.
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = env.bool("DJANGO_SECURE_SSL_REDIRECT", default=True)
SESSION_COOKIE_SECURE = env.bool("DJANGO_SECURE_COOKIES", default=True)
CSRF_COOKIE_SECURE = env.bool("DJANGO_SECURE_COOKIES", default=True)
# HSTS for a year. The header binds only the product's own host name and the names below it (never
# its siblings under gov.cn); `preload` is inert until someone submits the domain to the browsers' list.
SECURE_HSTS_SECONDS = env.int("DJANGO_HSTS_SECONDS", default=365 * 24 * 60 * 60)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool("DJANGO_HSTS_INCLUDE_SUBDOMAINS", default=True)
SECURE_HSTS_PRELOAD = env.bool("DJANGO_HSTS_PRELOAD", default=True)
SECURE_CONTENT_TYPE_NOSNIFF = True
