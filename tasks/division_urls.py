from django.urls import path

from . import division_views as views

app_name = "divisions"

urlpatterns = [
    path("", views.division_list, name="list"),
    path("settings/", views.division_settings, name="settings"),
    path("shares/<int:pk>/assign/", views.share_assign, name="assign"),
    path("shares/<int:pk>/review/", views.share_review, name="share-review"),
    path("shares/<int:pk>/approve/", views.share_approve, name="share-approve"),
    path("parts/<int:pk>/work/", views.part_work, name="part-work"),
    path("parts/<int:pk>/return/", views.part_return, name="part-return"),
    path("parts/<int:pk>/withdraw/", views.part_withdraw, name="part-withdraw"),
    path("reviews/<int:pk>/decide/", views.review_decide, name="review-decide"),
    path("files/<int:pk>/", views.part_file, name="file"),
]
