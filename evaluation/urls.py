from django.urls import path

from . import views

app_name = "evaluation"
urlpatterns = [
    path("", views.index, name="index"),
    path("<int:pk>/", views.detail, name="detail"),
    path("<int:pk>/action/", views.action, name="action"),
    path("<int:pk>/mine/", views.mine, name="mine"),
    path("<int:pk>/export.xlsx", views.export_xlsx, name="xlsx"),
    path("<int:pk>/export.docx", views.export_docx, name="docx"),
    path("<int:pk>/units/<int:score_pk>/", views.score_detail, name="score"),
    path("<int:pk>/units/<int:score_pk>/<slug:indicator>/", views.score_drill, name="drill"),
    path("practices/", views.practice_list, name="practices"),
    path("practices/<int:pk>/", views.practice_detail, name="practice"),
    path(
        "practices/from-submission/<int:submission_pk>/",
        views.practice_from_submission,
        name="practice-from-submission",
    ),
]
