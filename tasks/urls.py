"""/items/: the item pages (here) and the work lists 我的待办 / 工作台 (`workflow.urls`), one namespace
`items` so every `items:…` name keeps working."""

from django.urls import include, path

from . import views

app_name = "items"

urlpatterns = [
    path("", include("workflow.urls")),
    path("new/", views.item_create, name="create"),
    path("<int:pk>/", views.item_detail, name="detail"),
    path("<int:pk>/accept/", views.item_accept, name="accept"),
    path("<int:pk>/revise/", views.item_revise, name="revise"),
    path("<int:pk>/comment/", views.item_comment, name="comment"),
    path("tasks/<int:pk>/claim/", views.task_claim, name="claim"),
    path("tasks/<int:pk>/work/", views.task_work, name="work"),
    path("tasks/<int:pk>/attach/", views.task_attach, name="attach"),
    path("tasks/<int:pk>/extension/", views.task_extension, name="extension"),
    path("tasks/<int:pk>/return/", views.task_return, name="return"),
    path("requests/<int:pk>/decide/", views.request_decide, name="decide"),
    path("attachments/<int:pk>/", views.attachment_download, name="attachment"),
]
