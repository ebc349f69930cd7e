from django.urls import path

from . import views

app_name = "communities"
urlpatterns = [
    path("", views.ledger, name="ledger"),
    path("new/", views.community_create, name="create"),
    path("import/", views.community_import, name="import"),
    path("import/template.xlsx", views.import_template_download, name="import-template"),
    path("<int:pk>/", views.community_detail, name="detail"),
    path("<int:pk>/edit/", views.community_edit, name="edit"),
    path("<int:pk>/join/", views.community_join, name="join"),
    path("<int:pk>/nominate/", views.community_nominate, name="nominate"),
    path("<int:pk>/assess/", views.assessment_start, name="assessment-start"),
    path("assessments/<int:pk>/", views.assessment_detail, name="assessment"),
    path("assessments/<int:pk>/submit/", views.assessment_submit, name="assessment-submit"),
    path("assessments/<int:pk>/review/", views.assessment_review, name="assessment-review"),
    path("assessments/<int:pk>/confirm/", views.assessment_confirm, name="assessment-confirm"),
    path("assessments/<int:pk>/evidence/", views.evidence_upload, name="evidence-upload"),
    path("evidence/<int:pk>/", views.evidence_download, name="evidence"),
    path("<int:pk>/support/", views.pilot_support, name="pilot-support"),
    path("support/<int:pk>/file/", views.support_file, name="support-file"),
    path("pilots/", views.pilots, name="pilots"),
    path("pilots/<int:pk>/confirm/", views.pilot_confirm, name="pilot-confirm"),
    path("progress/", views.progress, name="progress"),
    path("progress/annex2/", views.annex2, name="annex2"),
    path("progress/annex2.xlsx", views.annex2_export, name="annex2-export"),
    path("public/old-estates/", views.public_old_estates, name="public-old-estates"),
]
