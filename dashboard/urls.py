from django.urls import path

from . import views

app_name = "dashboard"
urlpatterns = [
    path("", views.index, name="index"),
    path("list/", views.drill_list, name="list"),
    path("ledger.xlsx", views.ledger, name="ledger"),
    path("notice/", views.notice, name="notice"),
    path("notice.docx", views.notice_docx, name="notice-docx"),
    path("press/", views.press_all, name="press"),
    path("calendar/", views.calendar_feeds, name="calendar"),
]
