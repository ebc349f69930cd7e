"""Production: PostgreSQL, Redis, SMTP, HTTPS. Refuses to start without its secrets."""

from django.core.exceptions import ImproperlyConfigured

from .base import *  # noqa: F401,F403
from .base import DATABASES, MIDDLEWARE, REDIS_URL, SECRET_KEY, env

DEBUG = False
DEMO_ACCOUNTS_ALLOWED = False

if SECRET_KEY == "insecure-local-only-key" or len(SECRET_KEY) < 40:
    raise ImproperlyConfigured("生产环境必须设置 DJANGO_SECRET_KEY（至少 40 个字符）。")
if DATABASES["default"]["ENGINE"] != "django.db.backends.postgresql":
    raise ImproperlyConfigured("生产环境必须通过 DATABASE_URL 使用 PostgreSQL。")
if not REDIS_URL:
    raise ImproperlyConfigured("生产环境必须设置 REDIS_URL（Celery 消息队列）。")
if not env("EMAIL_URL", default=""):
    raise ImproperlyConfigured("生产环境必须设置 EMAIL_URL（例如 smtp+tls://user:pass@host:587）。")

# Static files straight from gunicorn (no separate web server needed for them).
MIDDLEWARE = [MIDDLEWARE[0], "whitenoise.middleware.WhiteNoiseMiddleware", *MIDDLEWARE[1:]]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SESSION_COOKIE_SECURE = env.bool("DJANGO_SECURE_COOKIES", default=True)
CSRF_COOKIE_SECURE = env.bool("DJANGO_SECURE_COOKIES", default=True)
SECURE_HSTS_SECONDS = env.int("DJANGO_HSTS_SECONDS", default=0)
SECURE_CONTENT_TYPE_NOSNIFF = True
