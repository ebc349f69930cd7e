"""`make run` on a developer's machine: SQLite and the filesystem broker by default.

DEBUG is off unless DJANGO_DEBUG=true: `make run` is also how an office tries the product, and with
DEBUG on Django answers a missing page or a crash with its English technical page instead of the
product's Chinese error pages (core/handlers.py). runserver serves the static files itself
(`--insecure` in Procfile.dev)."""

from .base import *  # noqa: F401,F403
from .base import env

DEBUG = env.bool("DJANGO_DEBUG", default=False)
DEMO_ACCOUNTS_ALLOWED = True
