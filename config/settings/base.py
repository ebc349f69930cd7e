"""Settings shared by every environment. Every value that differs between machines comes from the
environment (django-environ); see README "Configuration"."""

from pathlib import Path

import environ
from celery.schedules import crontab

BASE_DIR = Path(__file__).resolve().parent.parent.parent
VAR_DIR = BASE_DIR / "var"

env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

SECRET_KEY = env("DJANGO_SECRET_KEY", default="insecure-local-only-key")
DEBUG = env.bool("DJANGO_DEBUG", default=False)
ALLOWED_HOSTS = env.list("DJANGO_ALLOWED_HOSTS", default=["localhost", "127.0.0.1", "[::1]"])
CSRF_TRUSTED_ORIGINS = env.list("DJANGO_CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "csp",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "guardian",
    "axes",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "django_celery_beat",
    "viewflow",
    "viewflow.workflow",
    "core",
    "members",
    "deadlines",
    "tasks",
    "workflow",
    "communities",
    "meetings",
    "inspections",
    "dashboard",
    "evaluation",
    "django_prometheus",
]

MIDDLEWARE = [
    # First and last: request counts and latency by view (core/observability.py, /metrics).
    "django_prometheus.middleware.PrometheusBeforeMiddleware",
    "core.observability.RequestIdMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "core.middleware.RejectNulMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "members.middleware.MechanismMiddleware",  # reads answer within the signed-in person's mechanism
    # Everything needs a signed-in user unless a view is marked @login_not_required.
    "core.middleware.LoginRequiredMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    # Inside MessageMiddleware: its notice is stored with the response (core.queue).
    "core.middleware.EnqueueNoticeMiddleware",
    # Absolute and idle session lifetimes; then the second factor for the accounts that need it.
    "members.security.SessionLifetimeMiddleware",
    "members.security.SecondFactorMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "axes.middleware.AxesMiddleware",
    # A domain error no page view handled: 403 with its reason, or back with the message (docs/workflow.md).
    "workflow.errors.DomainErrorMiddleware",
    "django_prometheus.middleware.PrometheusAfterMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "members.context_processors.navigation",
            ],
        },
    },
]

DATABASES = {"default": env.db("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}")}
DATABASES["default"]["ATOMIC_REQUESTS"] = False
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # Web, worker and beat share one file: wait for the writer instead of failing at once.
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {"timeout": 20, "transaction_mode": "IMMEDIATE", "init_command": "PRAGMA journal_mode=WAL;"}
    )
else:
    DATABASES["default"]["CONN_MAX_AGE"] = env.int("DATABASE_CONN_MAX_AGE", default=60)
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "members.User"

AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    # Demo accounts never sign in where DEMO_ACCOUNTS_ALLOWED is off (production).
    "core.backends.DemoAccountRefusalBackend",
    # ModelBackend reading permissions from the cached access snapshot (members.access).
    "members.access.AccountBackend",
    "guardian.backends.ObjectPermissionBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
# Without Redis (a developer's machine, the embedded single-machine setup) the default cache is per
# process and sessions live in the database. With REDIS_URL (production, CI) the default cache is Redis,
# shared by every web process and worker, and sessions are `cached_db`: read from Redis, written
# through to PostgreSQL, deleted from both at sign-out, so a sign-out is seen by every process and a
# Redis restart signs nobody out. CACHE_REDIS_URL may point the cache at another Redis database or
# instance than the broker (README "Production"). `access` holds each signed-in account's access
# snapshot (members.access) and stays per process: its keys change with every change of access, so it
# is never stale in any process (docs/decisions.md).
CACHE_REDIS_URL = env("CACHE_REDIS_URL", default=env("REDIS_URL", default=""))
DASHBOARD_CACHE_SECONDS = env.int("DASHBOARD_CACHE_SECONDS", default=60)
CACHES = {
    "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "default"},
    "access": {
        "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
        "LOCATION": "access",
        "TIMEOUT": 3600,
        "OPTIONS": {"MAX_ENTRIES": 20000},
    },
}
if CACHE_REDIS_URL:
    CACHES["default"] = {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": CACHE_REDIS_URL,
        "KEY_PREFIX": "jm",
        "TIMEOUT": 300,
    }
    SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"

# Prometheus (django-prometheus): /metrics answers only to `Authorization: Bearer METRICS_TOKEN`.
# Several processes on one machine (gunicorn workers, Celery's pool) need PROMETHEUS_MULTIPROC_DIR.
METRICS_TOKEN = env("METRICS_TOKEN", default="")
PROMETHEUS_EXPORT_MIGRATIONS = False

CSRF_FAILURE_VIEW = "core.handlers.csrf_failure"

LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

# --- Sign-in protection (docs/permissions.md "Sign-in protection") ------------------------------------
# The client's address: X-Forwarded-For is believed only from these proxies (addresses or networks,
# e.g. "127.0.0.1,10.0.0.0/8"). The default trusts the local nginx of the documented deployment
# (gunicorn bound to 127.0.0.1); set it to empty when nothing stands in front.
TRUSTED_PROXIES = env.list("TRUSTED_PROXIES", default=["127.0.0.1", "::1"])
AXES_CLIENT_IP_CALLABLE = "members.security.client_ip"
# django-axes: an account is locked for the address it is attacked from, not everywhere; an address
# trying many accounts is locked too, at a higher limit (a whole office may share one NAT address).
AXES_HANDLER = "members.security.LockoutHandler"
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"], "ip_address"]
AXES_FAILURE_LIMIT = env.int("AXES_FAILURE_LIMIT", default=5)
AXES_ADDRESS_FAILURE_LIMIT = env.int("AXES_ADDRESS_FAILURE_LIMIT", default=30)
AXES_COOLOFF_TIME = env.int("AXES_COOLOFF_MINUTES", default=30) / 60  # hours
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
# What the API (JSON) answers when locked; the page says the same (registration/locked_out.html).
AXES_COOLOFF_MESSAGE = "登录失败次数过多，已暂时锁定，请稍后再试或联系系统管理员。"
AXES_PERMALOCK_MESSAGE = "登录失败次数过多，已锁定，请联系系统管理员。"
AXES_RESET_ON_SUCCESS = True
AXES_USERNAME_CALLABLE = "core.middleware.axes_username"  # bounded: a forged long name answered 500

# Sessions: signed out after SESSION_ABSOLUTE_HOURS whatever happens, and after SESSION_IDLE_MINUTES
# without a request (members.security.SessionLifetimeMiddleware); the cookie dies with the browser.
SESSION_ABSOLUTE_SECONDS = env.int("SESSION_ABSOLUTE_HOURS", default=12) * 3600
SESSION_IDLE_SECONDS = env.int("SESSION_IDLE_MINUTES", default=30) * 60
SESSION_COOKIE_AGE = SESSION_ABSOLUTE_SECONDS
SESSION_EXPIRE_AT_BROWSER_CLOSE = env.bool("SESSION_EXPIRE_AT_BROWSER_CLOSE", default=True)

# Second factor (TOTP, django-otp): required for office, convener, deputy and administrators.
OTP_TOTP_ISSUER = env("OTP_TOTP_ISSUER", default="绿色社区联席会议")
RECOVERY_CODE_COUNT = 10
# Password reset links are valid for one day.
PASSWORD_RESET_TIMEOUT = 24 * 3600

# django-guardian: object permissions are granted on organisational units only (docs/permissions.md).
ANONYMOUS_USER_NAME = None
GUARDIAN_RAISE_403 = False

LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文")]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = env.path("STATIC_ROOT", default=str(BASE_DIR / "staticfiles"))
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_URL = "media/"
MEDIA_ROOT = env.path("MEDIA_ROOT", default=str(VAR_DIR / "media"))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
# Uploads: bounded; see core.uploads for the per-file checks.
DATA_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024

# The province whose mechanism this deployment runs by default.
MECHANISM = env("MECHANISM", default="guizhou")

# --- Celery -----------------------------------------------------------------------------------------
# Redis in production; with no REDIS_URL, kombu's filesystem transport needs no server.
REDIS_URL = env("REDIS_URL", default="")
BROKER_DIR = VAR_DIR / "broker"
if REDIS_URL:
    CELERY_BROKER_URL = REDIS_URL
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        # Longer than any retry countdown we use, so an unacked task is never redelivered early.
        "visibility_timeout": 2 * 60 * 60,
    }
else:
    CELERY_BROKER_URL = "filesystem://"
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(BROKER_DIR / "queue"),
        "data_folder_out": str(BROKER_DIR / "queue"),
        "processed_folder": str(BROKER_DIR / "processed"),
        "control_folder": str(BROKER_DIR / "control"),
        "store_processed": False,
    }
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_TASK_IGNORE_RESULT = True
CELERY_RESULT_BACKEND = None
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TIMEZONE = TIME_ZONE
# Workers log through LOGGING below (request ids, JSON in production), not Celery's own format.
CELERY_WORKER_HIJACK_ROOT_LOGGER = False
CELERY_BEAT_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"
# The heartbeat has a queue of its own, so a backlog of sends cannot make beat look down. Every worker
# consumes both queues (`-Q celery,heartbeat`: Procfile.dev, README); kombu serves them in turn.
CELERY_TASK_ROUTES = {"core.tasks.beat_heartbeat": {"queue": "heartbeat"}}
# Periodic tasks are declared here; django-celery-beat installs them idempotently at beat start.
CELERY_BEAT_SCHEDULE = {
    "beat-heartbeat": {"task": "core.tasks.beat_heartbeat", "schedule": 60.0},
    "access-sync": {"task": "members.tasks.access_sync", "schedule": crontab(minute=5, hour=0)},
    "deadlines-obligations": {"task": "deadlines.tasks.obligations_generate", "schedule": crontab(minute=20, hour=0)},
    # Hourly in office hours: the first run of the day plans and writes the digest; later runs are
    # idempotent and catch a run lost to an outage.
    "deadlines-reminders": {"task": "deadlines.tasks.reminders_sweep", "schedule": crontab(minute=30, hour="8-17")},
    "deadlines-outbox": {"task": "deadlines.tasks.outbox_dispatch", "schedule": 60.0},
    "orphan-files": {"task": "core.tasks.orphan_files_sweep", "schedule": crontab(minute=40, hour=3)},
    "meetings-regular": {"task": "meetings.tasks.regular_meetings_generate", "schedule": crontab(minute=50, hour=0)},
}

# --- Mail ---------------------------------------------------------------------------------------------
EMAIL_CONFIG = env.email("EMAIL_URL", default="consolemail://")
vars().update(EMAIL_CONFIG)
DEFAULT_FROM_EMAIL = env("DEFAULT_FROM_EMAIL", default="绿色社区联席会议 <noreply@localhost>")

# --- API ------------------------------------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.SessionAuthentication",
        # Basic auth for accounts without a second factor only (members.security.BasicAuthentication).
        "members.security.BasicAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_PAGINATION_CLASS": "core.api.LimitOffsetPagination",  # page size at most 100
    "PAGE_SIZE": 50,
    "EXCEPTION_HANDLER": "core.api.exception_handler",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "绿色社区创建行动联席会议工作平台 API",
    "DESCRIPTION": "成员单位、联席会议人员、工作事项分工与市州报送单位（只读）。",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SERVE_PERMISSIONS": ["rest_framework.permissions.IsAuthenticated"],
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    # Two serializers share the item's status set; name it once (drf_spectacular.W001 otherwise).
    "ENUM_NAME_OVERRIDES": {"ItemStatusEnum": "tasks.models.Item.Status"},
    "POSTPROCESSING_HOOKS": ["drf_spectacular.hooks.postprocess_schema_enums", "core.api.schema_error_responses"],
}

HEALTH_TOKEN = env("HEALTH_TOKEN", default="")
# Who may read /health/ besides staff (core knows no app of the product: the permission is named here).
HEALTH_VIEW_PERMISSION = "members.oversee"
# /health/ reports the outbox as down when its oldest due message has waited this long.
HEALTH_OUTBOX_MAX_AGE_MINUTES = env.int("HEALTH_OUTBOX_MAX_AGE_MINUTES", default=15)

# --- Content-Security-Policy (django-csp) -----------------------------------------------------------
# Everything from the product's own origin; no inline script and no inline style (pages carry no
# <script> and no style="..." attribute: tests/core/test_production.py reads every template).
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    },
}

# Every line carries the request id (core/observability.py), in tasks too. LOG_FORMAT=json (production's
# default) writes one JSON object a line for a log collector.
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"request_id": {"()": "core.observability.RequestIdFilter"}},
    "formatters": {
        "plain": {"format": "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"},
        "json": {"()": "core.observability.JsonFormatter"},
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": env("LOG_FORMAT", default="plain"),
            "filters": ["request_id"],
        }
    },
    "root": {"handlers": ["console"], "level": env("LOG_LEVEL", default="INFO")},
    "loggers": {"django.db.backends": {"level": "WARNING"}},
}
AXES_VERBOSE = False
