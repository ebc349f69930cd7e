"""The work lists, included by `tasks.urls` under /items/ (namespace `items`: `items:inbox`,
`items:queue`)."""

from django.urls import path

from . import views

urlpatterns = [
    path("inbox/", views.inbox, name="inbox"),
    path("queue/", views.queue, name="queue"),
]
