"""The work lists, included by `tasks.urls` under /items/ (namespace `items`: `items:inbox`,
`items:queue`)."""

from django.urls import path

from . import inbox_views, views

urlpatterns = [
    path("inbox/", inbox_views.inbox, name="inbox"),
    path("queue/", views.queue, name="queue"),
]
