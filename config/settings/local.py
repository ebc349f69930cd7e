"""`make run` on a developer's machine: DEBUG on, SQLite and the filesystem broker by default."""

from .base import *  # noqa: F401,F403
from .base import env

DEBUG = env.bool("DJANGO_DEBUG", default=True)
DEMO_ACCOUNTS_ALLOWED = True
