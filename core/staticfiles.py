"""Static files for production (whitenoise's manifest storage, collected by `collectstatic`)."""

from django.apps import apps
from django.contrib.staticfiles.finders import AppDirectoriesFinder

# viewflow ships its own Material frontend (49 MB of fonts, scripts and styles); the product draws
# every page with its own templates and never serves it. One of its stylesheets refers to fonts the
# wheel does not contain, so the manifest storage cannot hash it and collectstatic fails.
UNUSED_STATIC_APPS = {"viewflow"}


class ProductAppDirectoriesFinder(AppDirectoriesFinder):
    """Django's app-directories finder without the apps whose frontend the product does not use."""

    def __init__(self, app_names=None, *args, **kwargs):
        if app_names is None:
            app_names = [config.name for config in apps.get_app_configs() if config.name not in UNUSED_STATIC_APPS]
        super().__init__(app_names, *args, **kwargs)
