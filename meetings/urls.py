from django.urls import path

from . import views

app_name = "meetings"
urlpatterns = [
    path("", views.meeting_list, name="list"),
    path("propose/", views.meeting_propose, name="propose"),
    path("<int:pk>/", views.meeting_detail, name="detail"),
    path("<int:pk>/decide/", views.meeting_decide, name="decide"),
    path("<int:pk>/schedule/", views.meeting_schedule, name="schedule"),
    path("<int:pk>/attendance/", views.meeting_attendance, name="attendance"),
    path("minutes/<int:pk>/", views.minutes_detail, name="minutes"),
    path("minutes/<int:pk>/edit/", views.minutes_edit, name="minutes_edit"),
    path("minutes/<int:pk>/review/", views.minutes_review, name="minutes_review"),
    path("minutes/<int:pk>/issue/", views.minutes_issue, name="minutes_issue"),
    path("minutes/<int:pk>/print/", views.minutes_print, name="minutes_print"),
    path("minutes/<int:pk>/minutes.docx", views.minutes_docx, name="minutes_docx"),
    path("notices/", views.notice_list, name="notices"),
    path("notices/send/", views.notice_send, name="notice_send"),
    path("notices/<int:pk>/", views.notice_detail, name="notice"),
    path("<int:pk>/agenda/", views.agenda_propose, name="agenda"),
    path("major-matters/", views.escalation_list, name="escalations"),
    path("major-matters/raise/", views.escalation_raise, name="escalation_raise"),
    path("major-matters/<int:pk>/", views.escalation_detail, name="escalation"),
    path("major-matters/<int:pk>/<slug:action>/", views.escalation_act, name="escalation_act"),
    path("membership/", views.change_list, name="changes"),
    path("membership/propose/", views.change_propose, name="change_propose"),
    path("membership/add-unit/", views.change_unit_add, name="change_unit_add"),
    path("membership/backup/", views.backup_name, name="backup"),
    path("membership/<int:pk>/", views.change_detail, name="change"),
    path("membership/<int:pk>/<slug:action>/", views.change_act, name="change_act"),
]
