from django.urls import path

from . import views

app_name = "inspections"
urlpatterns = [
    path("", views.inspection_list, name="list"),
    path("plan/", views.inspection_plan, name="plan"),
    path("<int:pk>/", views.inspection_detail, name="detail"),
    path("<int:pk>/findings/", views.finding_record, name="record"),
    path("<int:pk>/finish/", views.inspection_finish, name="finish"),
    path("<int:pk>/report.docx", views.report_docx, name="report_docx"),
    path("findings/<int:pk>/", views.finding_anchor, name="finding"),
    path("findings/<int:pk>/issue/", views.finding_issue, name="issue"),
    path("photos/<int:pk>/", views.photo_download, name="photo"),
]
